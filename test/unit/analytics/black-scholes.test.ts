import { describe, expect, it } from 'vitest';
import { blackScholes } from '../../../src/analytics/black-scholes.ts';
import { normalCdf } from '../../../src/analytics/normal-distribution.ts';
import { readGzipCsv } from '../../helpers/fixtures.ts';

const REFERENCE = readGzipCsv('analytics/bs_reference.csv.gz').map((r) => ({
  input: {
    right: r.right as 'C' | 'P',
    spot: Number(r.spot),
    strike: Number(r.strike),
    timeToExpiryYears: Number(r.time_years),
    rate: Number(r.rate),
    dividendYield: Number(r.dividend_yield),
    volatility: Number(r.volatility),
  },
  expected: {
    price: Number(r.price),
    delta: Number(r.delta),
    gamma: Number(r.gamma),
    vega: Number(r.vega),
    theta: Number(r.theta),
    rho: Number(r.rho),
  },
}));

/** The reference README's tolerance: 1e-12 relative or 1e-10 absolute. */
function expectClose(actual: number, expected: number, label: string): void {
  const absolute = Math.abs(actual - expected);
  const withinTolerance = absolute <= 1e-10 || absolute <= 1e-12 * Math.abs(expected);
  expect(withinTolerance, `${label}: ${actual} vs ${expected}`).toBe(true);
}

describe('blackScholes', () => {
  it('matches the 40-digit reference table on price and every Greek for all 2,000 rows', () => {
    expect(REFERENCE).toHaveLength(2000);
    for (const [i, { input, expected }] of REFERENCE.entries()) {
      const result = blackScholes(input);
      expectClose(result.price, expected.price, `row ${i} price`);
      expectClose(result.delta, expected.delta, `row ${i} delta`);
      expectClose(result.gamma, expected.gamma, `row ${i} gamma`);
      expectClose(result.vegaPerVolPoint * 100, expected.vega, `row ${i} vega`);
      expectClose(result.thetaPerDay * 365, expected.theta, `row ${i} theta`);
      expectClose(result.rhoPerRatePoint * 100, expected.rho, `row ${i} rho`);
    }
  });

  it('satisfies put-call parity C − P = S·e^(−qT) − K·e^(−rT)', () => {
    for (const { input } of REFERENCE.slice(0, 300)) {
      const call = blackScholes({ ...input, right: 'C' }).price;
      const put = blackScholes({ ...input, right: 'P' }).price;
      const { spot, strike, timeToExpiryYears: T, rate, dividendYield } = input;
      const parity = spot * Math.exp(-dividendYield * T) - strike * Math.exp(-rate * T);
      expect(Math.abs(call - put - parity)).toBeLessThan(1e-9 * spot);
    }
  });

  it('has call and put gamma and vega equal, and deltas a discount factor apart', () => {
    const input = {
      spot: 24_600,
      strike: 24_500,
      timeToExpiryYears: 0.05,
      rate: 0.065,
      dividendYield: 0.01,
      volatility: 0.14,
    };
    const call = blackScholes({ ...input, right: 'C' });
    const put = blackScholes({ ...input, right: 'P' });
    expect(call.gamma).toBeCloseTo(put.gamma, 15);
    expect(call.vegaPerVolPoint).toBeCloseTo(put.vegaPerVolPoint, 12);
    expect(call.delta - put.delta).toBeCloseTo(Math.exp(-0.01 * 0.05), 14);
  });

  it('agrees with central finite differences for delta, gamma, vega, theta and rho', () => {
    const base = {
      right: 'P' as const,
      spot: 52_000,
      strike: 53_000,
      timeToExpiryYears: 0.12,
      rate: 0.06,
      dividendYield: 0.005,
      volatility: 0.17,
    };
    const price = (overrides: Partial<typeof base>) => blackScholes({ ...base, ...overrides }).price;
    const g = blackScholes(base);
    const h = 0.5;
    expect(g.delta).toBeCloseTo((price({ spot: base.spot + h }) - price({ spot: base.spot - h })) / (2 * h), 7);
    expect(g.gamma).toBeCloseTo(
      (price({ spot: base.spot + h }) - 2 * price({}) + price({ spot: base.spot - h })) / (h * h),
      7,
    );
    expect(g.vegaPerVolPoint).toBeCloseTo(
      (price({ volatility: 0.1701 }) - price({ volatility: 0.1699 })) / 0.0002 / 100,
      5,
    );
    expect(g.rhoPerRatePoint).toBeCloseTo((price({ rate: 0.0601 }) - price({ rate: 0.0599 })) / 0.0002 / 100, 5);
    const day = 1 / 365;
    expect(g.thetaPerDay).toBeCloseTo(
      (price({ timeToExpiryYears: base.timeToExpiryYears - day / 100 }) -
        price({ timeToExpiryYears: base.timeToExpiryYears + day / 100 })) /
        (2 / 100),
      4,
    );
  });

  it('at expiry returns intrinsic value with degenerate Greeks instead of NaN', () => {
    const result = blackScholes({
      right: 'C',
      spot: 100,
      strike: 90,
      timeToExpiryYears: 0,
      rate: 0.05,
      dividendYield: 0,
      volatility: 0.2,
    });
    expect(result.price).toBe(10);
    expect(result.delta).toBe(1);
    expect(result.gamma).toBe(0);
  });
});

describe('normalCdf', () => {
  it('keeps relative precision deep in the lower tail', () => {
    // Φ(−10) = 7.6198530241605260659733432515993e-24 (Abramowitz & Stegun 26.2 / mpmath).
    expect(Math.abs(normalCdf(-10) / 7.619853024160525e-24 - 1)).toBeLessThan(1e-13);
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 15);
  });
});
