import { describe, expect, it } from 'vitest';
import { analyzeChain } from '../../../src/analytics/analyze-chain.ts';
import { segmentOf } from '../../../src/domain/calendar/calendar-data.ts';
import { DEFAULT_EXCHANGE_CALENDAR } from '../../../src/domain/calendar/default-calendar.ts';
import { INDEX_SPECS, INDEX_SYMBOLS } from '../../../src/domain/indices.ts';
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
});
