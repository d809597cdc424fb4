import { describe, expect, it } from 'vitest';
import type { IndexMarketData, OptionQuote } from '../../../src/domain/market-data.ts';
import { quoteSpotDay, quoteToOptionQuote } from '../../../src/providers/kite/kite-quotes.ts';
import { LiveIndexChain, mergeSpotDay, mergeTick } from '../../../src/providers/kite/live-chain.ts';

const OPTION_TOKEN = 11546626;
const SPOT_TOKEN = 256265;

const rawQuote = (fields: Record<string, unknown>) => ({
  instrument_token: OPTION_TOKEN,
  last_price: 112.35,
  volume: 18240515,
  oi: 5120375,
  depth: { buy: [], sell: [] },
  ...fields,
});

const option: OptionQuote = {
  tradingsymbol: 'NIFTY2681824350CE',
  instrumentToken: OPTION_TOKEN,
  lastPrice: 112.35,
  bid: 112.3,
  ask: 112.4,
  bidQuantity: 650,
  askQuantity: 650,
  volume: 18240515,
  oi: 5120375,
  averagePrice: 118.9,
  lastTradeTime: null,
};

const DAY = { open: 24_410.5, high: 24_480.25, low: 24_390, previousClose: 24_400.1 };

function chainData(): IndexMarketData {
  return {
    index: 'NIFTY',
    observedAt: new Date('2026-08-17T05:00:00Z'),
    spot: 24_450,
    spotDay: DAY,
    expiries: [{ expiry: '2026-08-18', kind: 'WEEKLY', strikes: [{ strike: 24_350, call: option, put: null }] }],
  };
}

describe('Kite average price and index day', () => {
  it('maps a quote’s average_price, 0 or missing as not traded yet', () => {
    expect(quoteToOptionQuote('X', rawQuote({ average_price: 118.9 }))?.averagePrice).toBe(118.9);
    expect(quoteToOptionQuote('X', rawQuote({ average_price: 0 }))?.averagePrice).toBeNull();
    expect(quoteToOptionQuote('X', rawQuote({}))?.averagePrice).toBeNull();
    expect(quoteToOptionQuote('X', rawQuote({ average_price: 'n/a' }))?.averagePrice).toBeNull();
  });

  it('reads an index quote’s ohlc as the day, close as the previous close; zeros or nonsense as unknown', () => {
    const ohlc = { open: 24_410.5, high: 24_480.25, low: 24_390, close: 24_400.1 };
    expect(quoteSpotDay({ last_price: 24_450, ohlc })).toEqual(DAY);
    expect(quoteSpotDay({ last_price: 24_450, ohlc: { open: 0, high: 0, low: 0, close: 0 } })).toBeNull();
    expect(quoteSpotDay({ last_price: 24_450, ohlc: { ...ohlc, close: 0 } })).toBeNull();
    expect(quoteSpotDay({ last_price: 24_450, ohlc: { ...ohlc, low: -1 } })).toBeNull();
    // An open outside the day's own range cannot be true.
    expect(quoteSpotDay({ last_price: 24_450, ohlc: { ...ohlc, open: 24_500 } })).toBeNull();
    expect(quoteSpotDay({ last_price: 24_450 })).toBeNull();
    expect(quoteSpotDay(null)).toBeNull();
  });

  it('takes a tick’s average traded price, keeps the last one when the tick has none', () => {
    expect(mergeTick(option, { last_price: 113, average_traded_price: 117.55 })?.averagePrice).toBe(117.55);
    expect(mergeTick(option, { last_price: 113, average_traded_price: 0 })?.averagePrice).toBeNull();
    // LTP-mode ticks carry only the price.
    expect(mergeTick(option, { last_price: 113 })?.averagePrice).toBe(118.9);
    expect(mergeTick(option, { last_price: 113, average_traded_price: -4 })).toBeNull();
  });

  it('takes an index tick’s ohlc, else stretches the last known day to the new level', () => {
    const ohlc = { open: 24_410.5, high: 24_520, low: 24_390, close: 24_400.1 };
    expect(mergeSpotDay(DAY, { ohlc }, 24_520)).toEqual({ ...DAY, high: 24_520 });
    expect(mergeSpotDay(DAY, {}, 24_380)).toEqual({ ...DAY, low: 24_380 });
    expect(mergeSpotDay(DAY, { ohlc: { open: 0, high: 0, low: 0, close: 0 } }, 24_450)).toEqual(DAY);
    expect(mergeSpotDay(null, {}, 24_450)).toBeNull();
  });

  it('carries the day and the VWAP through the live chain between REST snapshots', () => {
    const chain = new LiveIndexChain(chainData(), SPOT_TOKEN, new Map());
    const at = new Date('2026-08-17T05:00:01Z');
    expect(chain.snapshot(at).spotDay).toEqual(DAY);
    expect(chain.apply({ instrument_token: SPOT_TOKEN, last_price: 24_500 })).toBe('applied');
    expect(chain.snapshot(at)).toMatchObject({ spot: 24_500, spotDay: { ...DAY, high: 24_500 } });
    const fromTick = { open: 24_410.5, high: 24_530, low: 24_370, close: 24_400.1 };
    expect(chain.apply({ instrument_token: SPOT_TOKEN, last_price: 24_470, ohlc: fromTick })).toBe('applied');
    expect(chain.snapshot(at).spotDay).toEqual({ open: 24_410.5, high: 24_530, low: 24_370, previousClose: 24_400.1 });
    expect(chain.apply({ instrument_token: OPTION_TOKEN, last_price: 114, average_traded_price: 118.2 })).toBe(
      'applied',
    );
    expect(chain.snapshot(at).expiries[0]!.strikes[0]!.call).toMatchObject({ lastPrice: 114, averagePrice: 118.2 });
  });
});
