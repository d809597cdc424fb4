import { describe, expect, it } from 'vitest';
import { analyzeChain } from '../../../src/analytics/analyze-chain.ts';
import { segmentOf } from '../../../src/domain/calendar/calendar-data.ts';
import { DEFAULT_EXCHANGE_CALENDAR } from '../../../src/domain/calendar/default-calendar.ts';
import { INDEX_SPECS, INDEX_SYMBOLS } from '../../../src/domain/indices.ts';
import type { IndexMarketData, OptionQuote } from '../../../src/domain/market-data.ts';
import { createTestMarket, TEST_CONVENTIONS, TEST_INSTANT } from '../../helpers/simulated-snapshots.ts';

const YEAR_MS = 365 * 24 * 3600 * 1000;
const at = (seconds: number) => new Date(TEST_INSTANT.getTime() + seconds * 1000);

describe('SimulatedIndexMarket', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const instants = [0, 2, 4, 30].map(at);
    const run = (seed: string) => {
      const market = createTestMarket('BANKNIFTY', seed);
      return instants.map((t) => market.advance(t));
    };
    expect(run('alpha')).toEqual(run('alpha'));
    expect(run('alpha').at(-1)!.spot).not.toBe(run('beta').at(-1)!.spot);
  });

  it('moves spot, volume and open interest between cycles', () => {
    const market = createTestMarket('NIFTY');
    const first = market.advance(at(0));
    const second = market.advance(at(30));
    expect(second.spot).not.toBe(first.spot);
    const volume = (d: typeof first) => d.expiries[0]!.strikes.reduce((n, s) => n + (s.call?.volume ?? 0), 0);
    const oi = (d: typeof first) => d.expiries[0]!.strikes.reduce((n, s) => n + (s.put?.oi ?? 0), 0);
    expect(volume(second)).toBeGreaterThan(volume(first));
    expect(oi(second)).not.toBe(oi(first));
  });

  it('prices so that implied volatility recovers its smile within tick rounding', () => {
    for (const index of INDEX_SYMBOLS) {
      const market = createTestMarket(index);
      const data = market.advance(at(0));
      for (const expiry of data.expiries.slice(0, 3)) {
        const cutoff = DEFAULT_EXCHANGE_CALENDAR.expiryCutoff(segmentOf(INDEX_SPECS[index]), expiry.expiry);
        const T = (cutoff.getTime() - data.observedAt.getTime()) / YEAR_MS;
        const analysis = analyzeChain({
          chain: expiry,
          spot: data.spot,
          timeToExpiryYears: T,
          conventions: TEST_CONVENTIONS,
          observedAt: data.observedAt,
          staleAfterMs: 600_000,
        });
        let checked = 0;
        for (const row of analysis.strikes) {
          for (const leg of [row.call, row.put]) {
            // Half a tick of rounding is 0.025 rupees; require it to be below 0.1 vol point of premium.
            if (leg === null || leg.analytics.vegaPerVolPoint === null || leg.analytics.vegaPerVolPoint < 0.25) {
              continue;
            }
            const truth = market.trueVolatility(row.strike, T);
            expect(Math.abs(leg.analytics.iv! - truth), `${index} ${expiry.expiry} ${row.strike}`).toBeLessThan(0.001);
            checked += 1;
          }
        }
        // Expiry day (NIFTY 2026-08-18, four hours left) has only a handful of strikes with real vega.
        expect(checked, `${index} ${expiry.expiry}`).toBeGreaterThanOrEqual(6);
      }
    }
  });

  it('has a put skew: lower strikes carry higher implied volatility', () => {
    const market = createTestMarket('NIFTY');
    const T = 0.05;
    expect(market.trueVolatility(23_000, T)).toBeGreaterThan(market.trueVolatility(24_600, T));
    expect(market.trueVolatility(24_600, T)).toBeGreaterThan(market.trueVolatility(25_500, T));
  });

  it('concentrates open interest at round strikes, calls above spot and heavier puts below', () => {
    const market = createTestMarket('NIFTY');
    const data = market.advance(at(0));
    const monthly = data.expiries.find((e) => e.kind === 'MONTHLY')!;
    const near = monthly.strikes.filter((s) => Math.abs(s.strike - data.spot) < 1_500);
    const round = near.filter((s) => s.strike % 500 === 0);
    const other = near.filter((s) => s.strike % 100 !== 0);
    const meanOi = (rows: typeof near) => rows.reduce((n, s) => n + s.call!.oi + s.put!.oi, 0) / rows.length;
    expect(meanOi(round)).toBeGreaterThan(1.5 * meanOi(other));
    const below = near.filter((s) => s.strike < data.spot);
    const above = near.filter((s) => s.strike > data.spot);
    const sum = (rows: typeof near, pick: (s: (typeof near)[number]) => number) =>
      rows.reduce((n, s) => n + pick(s), 0);
    expect(sum(below, (s) => s.put!.oi)).toBeGreaterThan(sum(below, (s) => s.call!.oi));
    expect(sum(above, (s) => s.call!.oi)).toBeGreaterThan(sum(above, (s) => s.put!.oi));
    expect(sum(near, (s) => s.put!.oi)).toBeGreaterThan(sum(near, (s) => s.call!.oi));
  });

  it('quotes on the tick grid with bid ≤ ask', () => {
    const data = createTestMarket('SENSEX').advance(at(0));
    for (const expiry of data.expiries) {
      for (const row of expiry.strikes) {
        for (const q of [row.call!, row.put!]) {
          expect(Math.abs(q.ask! * 20 - Math.round(q.ask! * 20))).toBeLessThan(1e-9);
          if (q.bid !== null) {
            expect(q.bid).toBeLessThanOrEqual(q.ask!);
          }
          expect(q.oi % 20).toBe(0);
        }
      }
    }
  });

  describe('VWAP and the index day', () => {
    const quotes = (data: IndexMarketData): OptionQuote[] =>
      data.expiries.flatMap((e) => e.strikes.flatMap((s) => [s.call, s.put])).filter((q) => q !== null);

    /** Σ price × Δvolume / Σ Δvolume from the quotes alone, each new volume at that quote's last price. */
    function recompute(sequence: readonly IndexMarketData[]) {
      const seen = new Map<string, { volume: number; value: number; min: number; max: number }>();
      for (const data of sequence) {
        for (const q of quotes(data)) {
          const before = seen.get(q.tradingsymbol) ?? { volume: 0, value: 0, min: Infinity, max: -Infinity };
          const traded = q.volume - before.volume;
          expect(traded, q.tradingsymbol).toBeGreaterThanOrEqual(0);
          seen.set(
            q.tradingsymbol,
            traded > 0
              ? {
                  volume: q.volume,
                  value: before.value + q.lastPrice! * traded,
                  min: Math.min(before.min, q.lastPrice!),
                  max: Math.max(before.max, q.lastPrice!),
                }
              : before,
          );
        }
      }
      return seen;
    }

    // Tuesday 11:30 IST onwards, a collection every 30 s for ten minutes (BANKNIFTY: no expiry that day).
    const session = Array.from({ length: 21 }, (_, i) => at(i * 30));

    it('reports each contract’s VWAP over the prices it traded at, null before any trade', () => {
      const market = createTestMarket('BANKNIFTY');
      const sequence = session.map((t) => market.advance(t));
      const truth = recompute(sequence);
      let spread = 0;
      for (const q of quotes(sequence.at(-1)!)) {
        const t = truth.get(q.tradingsymbol)!;
        if (q.volume === 0) {
          expect(q.averagePrice, q.tradingsymbol).toBeNull();
          continue;
        }
        expect(q.averagePrice, q.tradingsymbol).not.toBeNull();
        expect(Math.abs(q.averagePrice! - t.value / t.volume), q.tradingsymbol).toBeLessThan(1e-9 * t.max);
        expect(q.averagePrice!, q.tradingsymbol).toBeGreaterThanOrEqual(t.min);
        expect(q.averagePrice!, q.tradingsymbol).toBeLessThanOrEqual(t.max);
        if (t.max > t.min) {
          spread += 1;
        }
      }
      // Most contracts traded at several prices, so the VWAP is a real average, not the last price.
      expect(spread).toBeGreaterThan(100);
    });

    it('tracks the session’s open, high and low, and starts a new day from the last close', () => {
      const market = createTestMarket('BANKNIFTY');
      const tuesday = session.map((t) => market.advance(t));
      const spots = tuesday.map((d) => d.spot);
      for (const data of tuesday) {
        const day = data.spotDay!;
        expect(day.high).toBeGreaterThanOrEqual(data.spot);
        expect(day.low).toBeLessThanOrEqual(data.spot);
        expect(day.open).toBe(spots[0]);
        expect(day.previousClose).toBe(tuesday[0]!.spotDay!.previousClose);
      }
      expect(tuesday.at(-1)!.spotDay).toMatchObject({ high: Math.max(...spots), low: Math.min(...spots) });
      expect(Math.max(...spots)).toBeGreaterThan(Math.min(...spots));
      // The first day's previous close is derived from the seed: the same each run, another for another seed.
      const first = tuesday[0]!.spotDay!.previousClose;
      expect(Math.abs(first / INDEX_SPECS.BANKNIFTY.referenceSpot - 1)).toBeLessThan(0.1);
      expect(createTestMarket('BANKNIFTY').advance(at(0)).spotDay!.previousClose).toBe(first);
      expect(createTestMarket('BANKNIFTY', 'other').advance(at(0)).spotDay!.previousClose).not.toBe(first);

      // After the close nothing trades; the day (and every VWAP) is the close's until Wednesday opens.
      const evening = market.advance(new Date('2026-08-18T12:00:00Z'));
      expect(evening.spotDay).toEqual(tuesday.at(-1)!.spotDay);
      const tuesdayClose = evening.spot;
      const wednesday = [0, 60, 120].map((m) =>
        market.advance(new Date(Date.parse('2026-08-19T04:00:00Z') + m * 1000)),
      );
      for (const data of wednesday) {
        expect(data.spotDay).toMatchObject({ open: wednesday[0]!.spot, previousClose: tuesdayClose });
      }
      expect(wednesday[0]!.spotDay).toEqual({
        open: wednesday[0]!.spot,
        high: wednesday[0]!.spot,
        low: wednesday[0]!.spot,
        previousClose: tuesdayClose,
      });
      expect(wednesday[0]!.spot).not.toBe(tuesdayClose);
    });

    it('resets every VWAP at the session start', () => {
      const market = createTestMarket('BANKNIFTY');
      const tuesday = session.map((t) => market.advance(t)).at(-1)!;
      const wednesday = [0, 60, 120].map((m) =>
        market.advance(new Date(Date.parse('2026-08-19T04:00:00Z') + m * 1000)),
      );
      // Wednesday's first quote carries all of Wednesday's volume so far, at that quote's price.
      let differs = 0;
      const before = new Map(quotes(tuesday).map((q) => [q.tradingsymbol, q]));
      for (const q of quotes(wednesday[0]!)) {
        expect(q.averagePrice, q.tradingsymbol).toBe(q.volume > 0 ? q.lastPrice : null);
        const old = before.get(q.tradingsymbol);
        if (
          old?.averagePrice != null &&
          q.averagePrice !== null &&
          Math.abs(old.averagePrice - q.averagePrice) > 0.01
        ) {
          differs += 1;
        }
      }
      expect(differs).toBeGreaterThan(100);
      // From there on it averages Wednesday's trades only.
      const truth = recompute(wednesday);
      for (const q of quotes(wednesday.at(-1)!)) {
        const t = truth.get(q.tradingsymbol);
        if (t !== undefined && t.volume > 0) {
          expect(Math.abs(q.averagePrice! - t.value / t.volume), q.tradingsymbol).toBeLessThan(1e-9 * t.max);
        }
      }
    });
  });
});
