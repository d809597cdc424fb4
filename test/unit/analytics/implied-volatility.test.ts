import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { black76, blackScholes } from '../../../src/analytics/black-scholes.ts';
import {
  IV_STATUS_NAMES,
  impliedVolatility,
  impliedVolatilityBatch,
  impliedVolatilityBlack76,
} from '../../../src/analytics/implied-volatility.ts';
import { readGzipCsv } from '../../helpers/fixtures.ts';

describe('impliedVolatility', () => {
  it('recovers the volatility of every well-conditioned reference row to 1e-12 relative, with no failures', () => {
    const rows = readGzipCsv('analytics/bs_reference.csv.gz').filter((r) => r.iv_check === '1');
    expect(rows.length).toBeGreaterThan(1000);
    for (const r of rows) {
      const volatility = Number(r.volatility);
      const result = impliedVolatility({
        right: r.right as 'C' | 'P',
        price: Number(r.price),
        spot: Number(r.spot),
        strike: Number(r.strike),
        timeToExpiryYears: Number(r.time_years),
        rate: Number(r.rate),
        dividendYield: Number(r.dividend_yield),
      });
      expect(result.ok, JSON.stringify(r)).toBe(true);
      if (result.ok) {
        expect(Math.abs(result.volatility - volatility) / volatility, JSON.stringify(r)).toBeLessThan(1e-12);
      }
    }
  });

  // Deep in the money the time value sits below one ulp of the premium, so only the OTM leg is well posed.
  it('round-trips deep out-of-the-money and expiry-day options', () => {
    const cases = [
      { strike: 30_000, timeToExpiryYears: 2 / 365, volatility: 0.35 },
      { strike: 20_000, timeToExpiryYears: 30 / 365, volatility: 0.4 },
      { strike: 24_650, timeToExpiryYears: 1 / (365 * 24), volatility: 0.12 },
      { strike: 24_600, timeToExpiryYears: 0.5, volatility: 1.5 },
    ];
    for (const c of cases) {
      const rights =
        Math.abs(c.strike - 24_600) > 1_000 ? ([c.strike > 24_600 ? 'C' : 'P'] as const) : (['C', 'P'] as const);
      for (const right of rights) {
        const market = {
          right,
          spot: 24_600,
          strike: c.strike,
          timeToExpiryYears: c.timeToExpiryYears,
          rate: 0.065,
          dividendYield: 0,
        };
        const price = blackScholes({ ...market, volatility: c.volatility }).price;
        const result = impliedVolatility({ ...market, price });
        expect(result.ok).toBe(true);
        if (result.ok) {
          expect(result.volatility).toBeCloseTo(c.volatility, 6);
        }
      }
    }
  });

  it('tags impossible premiums instead of returning NaN or throwing', () => {
    const market = { spot: 100, strike: 90, timeToExpiryYears: 0.25, rate: 0.05, dividendYield: 0 };
    expect(impliedVolatility({ ...market, right: 'C', price: 5 })).toEqual({ ok: false, reason: 'BELOW_INTRINSIC' });
    expect(impliedVolatility({ ...market, right: 'C', price: 150 })).toEqual({ ok: false, reason: 'ABOVE_MAXIMUM' });
    const intrinsic = 100 - 90 * Math.exp(-0.05 * 0.25);
    expect(impliedVolatility({ ...market, right: 'C', price: intrinsic })).toEqual({
      ok: false,
      reason: 'NO_TIME_VALUE',
    });
    expect(impliedVolatility({ ...market, right: 'P', price: Number.NaN })).toEqual({
      ok: false,
      reason: 'INVALID_INPUT',
    });
    expect(impliedVolatility({ ...market, timeToExpiryYears: 0, right: 'P', price: 1 })).toEqual({
      ok: false,
      reason: 'INVALID_INPUT',
    });
  });
});

/** The reference README's well-posedness rule: time value and vega above 1e-9 × spot, price ≤ 100 × vega × σ. */
function isWellPosed(input: Parameters<typeof blackScholes>[0], price: number): boolean {
  const { spot, strike, timeToExpiryYears: T, rate, dividendYield } = input;
  const forwardIntrinsic = Math.max(
    (input.right === 'C' ? 1 : -1) * (spot * Math.exp(-dividendYield * T) - strike * Math.exp(-rate * T)),
    0,
  );
  const vega = blackScholes(input).vegaPerVolPoint * 100;
  return price - forwardIntrinsic > 1e-9 * spot && vega > 1e-9 * spot && price <= 100 * vega * input.volatility;
}

describe('impliedVolatility properties (fast-check)', () => {
  const market = fc.record({
    right: fc.constantFrom('C' as const, 'P' as const),
    spot: fc.double({ min: 5_000, max: 90_000, noNaN: true }),
    moneyness: fc.double({ min: 0.5, max: 1.5, noNaN: true }),
    timeToExpiryYears: fc.oneof(
      fc.double({ min: 10 / 525_600, max: 1 / 365, noNaN: true }),
      fc.double({ min: 1 / 365, max: 2, noNaN: true }),
    ),
    rate: fc.double({ min: 0, max: 0.12, noNaN: true }),
    dividendYield: fc.double({ min: 0, max: 0.03, noNaN: true }),
    volatility: fc.double({ min: 0.03, max: 2, noNaN: true }),
  });

  // An in-the-money price carries the pricer's rounding of S and K terms (~ε·(S + K)), which moves its exact
  // implied volatility by that over vega; the tolerance adds exactly this conditioning term.
  it('round-trips every well-posed option to 1e-12 relative plus the price rounding, in two Householder steps', () => {
    let checked = 0;
    fc.assert(
      fc.property(market, (m) => {
        const input = { ...m, strike: m.spot * m.moneyness };
        const price = blackScholes(input).price;
        fc.pre(isWellPosed(input, price));
        checked++;
        const result = impliedVolatility({ ...input, price });
        const vegaPerUnit = blackScholes(input).vegaPerVolPoint * 100;
        const conditioning = (4 * Number.EPSILON * (input.spot + input.strike)) / vegaPerUnit;
        return result.ok && Math.abs(result.volatility - m.volatility) <= 1e-12 * m.volatility + conditioning;
      }),
      { numRuns: 20_000, seed: 20261124 },
    );
    expect(checked).toBeGreaterThan(10_000);
  });

  it('never throws and never returns NaN, whatever the doubles', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('C' as const, 'P' as const),
        fc.double(),
        fc.double(),
        fc.double(),
        fc.double(),
        fc.double(),
        fc.double(),
        (right, price, spot, strike, timeToExpiryYears, rate, dividendYield) => {
          const result = impliedVolatility({ right, price, spot, strike, timeToExpiryYears, rate, dividendYield });
          return result.ok
            ? Number.isFinite(result.volatility) && result.volatility > 0
            : typeof result.reason === 'string';
        },
      ),
      { numRuns: 20_000, seed: 7 },
    );
  });

  it('agrees between the Black-76 entry and Black-Scholes-Merton on the same forward', () => {
    const forward = 24_600 * Math.exp(0.065 * 0.05);
    const price = black76({
      right: 'P',
      forward,
      strike: 24_000,
      timeToExpiryYears: 0.05,
      rate: 0.065,
      volatility: 0.19,
    }).price;
    const result = impliedVolatilityBlack76({
      right: 'P',
      price,
      forward,
      strike: 24_000,
      timeToExpiryYears: 0.05,
      rate: 0.065,
    });
    expect(result.ok && Math.abs(result.volatility - 0.19)).toBeLessThan(1e-14);
  });
});

describe('impliedVolatilityBatch', () => {
  it('solves columns like the scalar API and tags failures per option', () => {
    const spots = [24_600, 24_600, 24_600, 24_600, -1];
    const strikes = [24_000, 25_000, 20_000, 24_600, 24_600];
    const rights = [1, -1, 1, 1, 1];
    const prices = [
      blackScholes({
        right: 'C',
        spot: 24_600,
        strike: 24_000,
        timeToExpiryYears: 0.03,
        rate: 0.065,
        dividendYield: 0,
        volatility: 0.15,
      }).price,
      blackScholes({
        right: 'P',
        spot: 24_600,
        strike: 25_000,
        timeToExpiryYears: 0.03,
        rate: 0.065,
        dividendYield: 0,
        volatility: 0.18,
      }).price,
      10, // below the intrinsic value of a 20,000 call on 24,600
      30_000,
      5,
    ];
    const n = spots.length;
    const output = { volatility: new Float64Array(n), status: new Uint8Array(n) };
    const solved = impliedVolatilityBatch(
      {
        right: Int8Array.from(rights),
        price: Float64Array.from(prices),
        spot: Float64Array.from(spots),
        strike: Float64Array.from(strikes),
        timeToExpiryYears: new Float64Array(n).fill(0.03),
        rate: new Float64Array(n).fill(0.065),
        dividendYield: new Float64Array(n),
      },
      output,
    );
    expect(solved).toBe(2);
    expect(output.volatility[0]).toBeCloseTo(0.15, 13);
    expect(output.volatility[1]).toBeCloseTo(0.18, 13);
    expect([...output.status].map((s) => IV_STATUS_NAMES[s])).toEqual([
      'OK',
      'OK',
      'BELOW_INTRINSIC',
      'ABOVE_MAXIMUM',
      'INVALID_INPUT',
    ]);
    expect(output.volatility[2]).toBeNaN();
  });
});
