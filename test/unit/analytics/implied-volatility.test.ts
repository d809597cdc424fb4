import { describe, expect, it } from 'vitest';
import { blackScholes } from '../../../src/analytics/black-scholes.ts';
import { impliedVolatility } from '../../../src/analytics/implied-volatility.ts';
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
