import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_EXCHANGE_CALENDAR } from '../../src/domain/calendar/default-calendar.ts';
import { createGuardedKiteConnect } from '../../src/providers/kite/kite-client.ts';
import {
  buildIndexCatalog,
  normaliseInstruments,
  selectIndexDerivatives,
} from '../../src/providers/kite/kite-instruments.ts';
import { kiteTimestampToInstant, quoteSpotDay, quoteToOptionQuote } from '../../src/providers/kite/kite-quotes.ts';
import { REAL_DUMP_ROWS } from '../fake-kite/dump.ts';
import { encodeTradable, type TradableTick } from '../fake-kite/ticker-packets.ts';
import { ACCESS_TOKEN, API_KEY, startFakeKite } from '../helpers/fake-kite.ts';

const mock = (name: string) => readFileSync(new URL(`../fixtures/kite-mocks/${name}`, import.meta.url));

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) {
    await step();
  }
});

describe('parsing real Kite data', () => {
  it('reads all 39,941 rows of the real NFO+BFO dump through kiteconnect, dropping only the junk row', async () => {
    // Clock on the dump's day, no simulated listings: the fake serves the dump byte for byte.
    const fake = await startFakeKite({ now: () => new Date('2026-08-17T05:00:00Z'), mintListings: false });
    cleanup.push(() => fake.close());
    const kite = createGuardedKiteConnect({ apiKey: API_KEY, root: fake.restUrl, timeoutMs: 10_000 });
    kite.setAccessToken(ACCESS_TOKEN);
    const rows = [...(await kite.getInstruments('NFO')), ...(await kite.getInstruments('BFO'))] as unknown[];
    // The trailing newline of each response becomes one junk row in the client.
    expect(rows).toHaveLength(REAL_DUMP_ROWS + 2);
    const { instruments, rejected } = normaliseInstruments(rows);
    expect(rejected).toBe(2);
    expect(instruments).toHaveLength(REAL_DUMP_ROWS);
    // Every token follows Kite's rule exchange_token * 256 + segment (2 NFO, 5 BFO).
    expect(instruments.every((i) => i.instrumentToken % 256 === (i.exchange === 'NFO' ? 2 : 5))).toBe(true);
    const index = selectIndexDerivatives(instruments, ['NIFTY', 'BANKNIFTY', 'FINNIFTY', 'MIDCPNIFTY', 'SENSEX']);
    const nifty = buildIndexCatalog('NIFTY', index, new Date('2026-08-17T05:00:00Z'), DEFAULT_EXCHANGE_CALENDAR);
    const weekly = nifty.expiries.find((e) => e.expiry === '2026-08-18')!;
    expect(weekly.kind).toBe('WEEKLY');
    expect(weekly.strikes.find((s) => s.strike === 24350)?.call?.instrumentToken).toBe(11546626);
    expect(weekly.strikes.find((s) => s.strike === 24350)?.put?.instrumentToken).toBe(11546882);
    expect(nifty.expiries.find((e) => e.expiry === '2026-08-25')).toMatchObject({
      kind: 'MONTHLY',
      future: { instrumentToken: 14866434 },
    });
    expect(nifty.lotSize).toBe(65);
    const sensex = buildIndexCatalog('SENSEX', index, new Date('2026-08-17T05:00:00Z'), DEFAULT_EXCHANGE_CALENDAR);
    expect(
      sensex.expiries.find((e) => e.expiry === '2026-08-20')?.strikes.find((s) => s.strike === 78000)?.call
        ?.instrumentToken,
    ).toBe(218937093);
    expect(sensex.spot.quoteKey).toBe('BSE:SENSEX');
  });

  it('maps Kite’s official quote mock: depth, IST timestamps whatever the process time zone', () => {
    const body = JSON.parse(mock('quote.json').toString('utf8')) as { data: Record<string, unknown> };
    const raw = body.data['NSE:INFY'] as Record<string, unknown>;
    // As kiteconnect hands it over: the 19-character IST stamp parsed as a *local* Date.
    const asClientGivesIt = { ...raw, last_trade_time: new Date(2021, 5, 8, 15, 45, 52) };
    for (const value of [raw, asClientGivesIt]) {
      const quote = quoteToOptionQuote('INFY', value)!;
      expect(quote).toMatchObject({
        lastPrice: 1412.95,
        bid: null,
        bidQuantity: 0,
        ask: 1412.95,
        askQuantity: 5191,
        volume: 7360198,
        oi: 0,
        averagePrice: 1412.47,
      });
      expect(quote.lastTradeTime?.toISOString()).toBe('2021-06-08T10:15:52.000Z');
    }
    expect(quoteSpotDay(raw)).toEqual({ open: 1396, high: 1421.75, low: 1395.55, previousClose: 1389.65 });
    expect(kiteTimestampToInstant('2021-07-05T10:41:27+05:30')?.toISOString()).toBe('2021-07-05T05:11:27.000Z');
    expect(quoteToOptionQuote('X', { ...raw, oi: 'many' })).toBeNull();
    expect(quoteToOptionQuote('X', null)).toBeNull();
  });

  it('serves the index day and contract VWAPs through kiteconnect’s quote and OHLC calls', async () => {
    const fake = await startFakeKite({ now: () => new Date('2026-08-17T05:00:00Z'), quoteRequestsPerSecond: 100 });
    cleanup.push(() => fake.close());
    const kite = createGuardedKiteConnect({ apiKey: API_KEY, root: fake.restUrl, timeoutMs: 10_000 });
    kite.setAccessToken(ACCESS_TOKEN);
    const day = fake.market.spotDay('NIFTY')!;
    const ohlc = { open: day.open, high: day.high, low: day.low, close: day.previousClose };
    const viaOhlc = (await kite.getOHLC(['NSE:NIFTY 50'])) as Record<string, { ohlc: unknown }>;
    expect(viaOhlc['NSE:NIFTY 50']?.ohlc).toEqual(ohlc);
    const quotes = (await kite.getQuote(['NSE:NIFTY 50', 'NFO:NIFTY2681824350CE'])) as Record<string, unknown>;
    expect(quoteSpotDay(quotes['NSE:NIFTY 50'])).toEqual(day);
    const call = fake.market.optionQuote(
      fake.market.locate('NFO:NIFTY2681824350CE') as Parameters<typeof fake.market.optionQuote>[0],
    )!;
    expect(call.averagePrice).not.toBeNull();
    const mapped = quoteToOptionQuote('NIFTY2681824350CE', quotes['NFO:NIFTY2681824350CE'])!;
    expect(mapped.averagePrice).toBe(Math.round(call.averagePrice! * 100) / 100);
    // An option's day spans every price it was quoted at, so its VWAP lies inside it.
    const optionOhlc = (quotes['NFO:NIFTY2681824350CE'] as { ohlc: { high: number; low: number } }).ohlc;
    expect(mapped.averagePrice!).toBeGreaterThanOrEqual(optionOhlc.low);
    expect(mapped.averagePrice!).toBeLessThanOrEqual(optionOhlc.high);
  });

  it('the fake encodes ticks exactly as Kite’s real binary frames are laid out', () => {
    const full = mock('js_fullMode_binary.packet');
    // The documented values of the real TATAMOTORS frame (kite.md §7).
    const packet = full.subarray(4);
    expect(full.readUInt16BE(0)).toBe(1);
    expect(full.readUInt16BE(2)).toBe(184);
    const read = (at: number) => packet.readInt32BE(at);
    const tick: TradableTick = {
      instrumentToken: read(0),
      lastPrice: read(4) / 100,
      lastTradedQuantity: read(8),
      averageTradedPrice: read(12) / 100,
      volumeTraded: read(16),
      totalBuyQuantity: read(20),
      totalSellQuantity: read(24),
      ohlc: { open: read(28) / 100, high: read(32) / 100, low: read(36) / 100, close: read(40) / 100 },
      lastTradeTimeSeconds: read(44),
      oi: read(48),
      oiDayHigh: read(52),
      oiDayLow: read(56),
      exchangeTimestampSeconds: read(60),
      depth: Array.from({ length: 10 }, (_, i) => ({
        quantity: read(64 + i * 12),
        price: read(68 + i * 12) / 100,
        orders: packet.readUInt16BE(72 + i * 12),
      })),
    };
    expect(tick).toMatchObject({
      instrumentToken: 884737,
      lastPrice: 392.95,
      volumeTraded: 22261032,
      ohlc: { open: 420, high: 420.9, low: 390.1, close: 414.1 },
    });
    expect(tick.depth[0]).toEqual({ quantity: 5617, price: 392.95, orders: 30 });
    expect(new Date(tick.exchangeTimestampSeconds * 1000).toISOString()).toBe('2022-06-16T11:18:48.000Z');
    expect(encodeTradable(tick, 'full').equals(packet)).toBe(true);
    const quoteFrame = mock('js_quoteMode_binary.packet');
    expect(encodeTradable(tick, 'quote').subarray(0, 8).equals(quoteFrame.subarray(4, 12))).toBe(true);
  });
});
