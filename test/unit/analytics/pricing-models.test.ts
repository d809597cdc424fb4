import { describe, expect, it } from 'vitest';
import {
  black76,
  black76Batch,
  blackScholes,
  blackScholesBatch,
  type OptionGreeks,
} from '../../../src/analytics/black-scholes.ts';
import { inverseNormalCdf, normalCdf } from '../../../src/analytics/normal-distribution.ts';
import {
  controlParameterForLeftCurvature,
  controlParameterForRightCurvature,
  rationalCubicInterpolation,
} from '../../../src/analytics/rational-cubic.ts';
import { createRandomStream } from '../../../src/providers/simulated/random.ts';

const BASE = {
  spot: 24_600,
  strike: 24_900,
  timeToExpiryYears: 9 / 365,
  rate: 0.065,
  dividendYield: 0.012,
  volatility: 0.16,
};

function relativeDifference(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-300);
}

describe('black76', () => {
  it('equals Black-Scholes-Merton on the forward S·e^((r−q)T), with delta scaled by dF/dS', () => {
    for (const right of ['C', 'P'] as const) {
      const bsm = blackScholes({ ...BASE, right });
      const forward = BASE.spot * Math.exp((BASE.rate - BASE.dividendYield) * BASE.timeToExpiryYears);
      const b76 = black76({
        right,
        forward,
        strike: BASE.strike,
        timeToExpiryYears: BASE.timeToExpiryYears,
        rate: BASE.rate,
        volatility: BASE.volatility,
      });
      expect(relativeDifference(b76.price, bsm.price)).toBeLessThan(1e-13);
      const dForwardDSpot = forward / BASE.spot;
      expect(relativeDifference(b76.delta * dForwardDSpot, bsm.delta)).toBeLessThan(1e-13);
      expect(relativeDifference(b76.vegaPerVolPoint, bsm.vegaPerVolPoint)).toBeLessThan(1e-13);
      // With the forward held fixed rho only discounts: −T·V per unit rate.
      expect(relativeDifference(b76.rhoPerRatePoint, (-BASE.timeToExpiryYears * b76.price) / 100)).toBeLessThan(1e-14);
    }
  });

  it('satisfies parity C − P = e^(−rT)(F − K) and returns intrinsic at expiry', () => {
    const input = { forward: 51_800, strike: 52_000, timeToExpiryYears: 0.02, rate: 0.07, volatility: 0.13 };
    const call = black76({ ...input, right: 'C' });
    const put = black76({ ...input, right: 'P' });
    expect(call.price - put.price).toBeCloseTo(Math.exp(-0.07 * 0.02) * (51_800 - 52_000), 9);
    expect(black76({ ...input, right: 'P', timeToExpiryYears: 0 }).price).toBe(200);
  });
});

describe('second-order Greeks', () => {
  type Bump = (g: OptionGreeks) => number;
  const price = (over: Partial<typeof BASE>, right: 'C' | 'P') => blackScholes({ ...BASE, ...over, right });

  it('match central finite differences: vanna = ∂Δ/∂σ, volga = ∂vega/∂σ, charm = −∂Δ/∂T (per vol point, per day)', () => {
    for (const right of ['C', 'P'] as const) {
      const greeks = price({}, right);
      const dSigma = 1e-4;
      const difference = (field: Bump, over: (sign: number) => Partial<typeof BASE>, step: number) =>
        (field(price(over(1), right)) - field(price(over(-1), right))) / (2 * step);
      const vanna =
        difference(
          (g) => g.delta,
          (k) => ({ volatility: BASE.volatility + k * dSigma }),
          dSigma,
        ) / 100;
      const volga =
        difference(
          (g) => g.vegaPerVolPoint,
          (k) => ({ volatility: BASE.volatility + k * dSigma }),
          dSigma,
        ) / 100;
      const dT = 1e-5;
      const charm =
        -difference(
          (g) => g.delta,
          (k) => ({ timeToExpiryYears: BASE.timeToExpiryYears + k * dT }),
          dT,
        ) / 365;
      expect(relativeDifference(greeks.vanna, vanna), `${right} vanna`).toBeLessThan(1e-6);
      expect(relativeDifference(greeks.volga, volga), `${right} volga`).toBeLessThan(1e-6);
      expect(relativeDifference(greeks.charm, charm), `${right} charm`).toBeLessThan(1e-6);
    }
  });
});

describe('batch pricing', () => {
  it('gives bit-identical results to the scalar API for both models', () => {
    const random = createRandomStream('batch-pricing');
    const n = 500;
    const columns = {
      right: new Int8Array(n),
      underlying: new Float64Array(n),
      strike: new Float64Array(n),
      timeToExpiryYears: new Float64Array(n),
      rate: new Float64Array(n),
      dividendYield: new Float64Array(n),
      volatility: new Float64Array(n),
    };
    for (let i = 0; i < n; i++) {
      columns.right[i] = random.uniform() < 0.5 ? 1 : -1;
      columns.underlying[i] = 10_000 + 70_000 * random.uniform();
      columns.strike[i] = columns.underlying[i]! * (0.7 + 0.6 * random.uniform());
      columns.timeToExpiryYears[i] = i % 50 === 0 ? 0 : random.uniform();
      columns.rate[i] = 0.1 * random.uniform();
      columns.dividendYield[i] = 0.02 * random.uniform();
      columns.volatility[i] = 0.05 + random.uniform();
    }
    const fields = [
      'price',
      'delta',
      'gamma',
      'vegaPerVolPoint',
      'thetaPerDay',
      'rhoPerRatePoint',
      'vanna',
      'volga',
      'charm',
    ] as const;
    for (const forwardModel of [false, true]) {
      const output = Object.fromEntries(fields.map((f) => [f, new Float64Array(n)])) as Record<
        (typeof fields)[number],
        Float64Array
      >;
      (forwardModel ? black76Batch : blackScholesBatch)(columns, output);
      for (let i = 0; i < n; i++) {
        const common = {
          right: columns.right[i] === 1 ? ('C' as const) : ('P' as const),
          strike: columns.strike[i]!,
          timeToExpiryYears: columns.timeToExpiryYears[i]!,
          rate: columns.rate[i]!,
          volatility: columns.volatility[i]!,
        };
        const scalar = forwardModel
          ? black76({ ...common, forward: columns.underlying[i]! })
          : blackScholes({ ...common, spot: columns.underlying[i]!, dividendYield: columns.dividendYield[i]! });
        for (const f of fields) {
          expect(output[f][i], `${f} row ${i}`).toBe(scalar[f]);
        }
      }
    }
  });
});

describe('numerical building blocks', () => {
  // Above the median p = Φ(x) itself rounds to ε/φ(x) in x, so the lower half is where Φ⁻¹'s own error shows.
  it('inverts the normal distribution to ~1e-15 over the lower half', () => {
    for (const x of [-37, -20, -8.5, -5, -1.96, -0.3, 0, -1e-9]) {
      expect(Math.abs(inverseNormalCdf(normalCdf(x)) - x), `x=${x}`).toBeLessThan(5e-15 * Math.max(1, Math.abs(x)));
    }
    expect(inverseNormalCdf(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(inverseNormalCdf(1)).toBe(Number.POSITIVE_INFINITY);
    expect(inverseNormalCdf(1.5)).toBeNaN();
  });

  it('fits the rational cubic to a prescribed second derivative at either end', () => {
    const segment = {
      xLeft: 0.2,
      xRight: 1.1,
      yLeft: Math.log(0.2),
      yRight: Math.log(1.1),
      slopeLeft: 5,
      slopeRight: 1 / 1.1,
    };
    const f = (x: number, r: number) => rationalCubicInterpolation(x, segment, r);
    const secondDerivative = (x: number, r: number, h = 1e-4) => (f(x + h, r) - 2 * f(x, r) + f(x - h, r)) / (h * h);
    const left = controlParameterForLeftCurvature(segment, -25, false);
    expect(f(0.2, left)).toBeCloseTo(segment.yLeft, 14);
    expect(f(1.1, left)).toBeCloseTo(segment.yRight, 14);
    expect(secondDerivative(0.2 + 1e-4, left)).toBeCloseTo(-25, 1);
    const right = controlParameterForRightCurvature(segment, -1 / 1.21, false);
    expect(secondDerivative(1.1 - 1e-4, right)).toBeCloseTo(-1 / 1.21, 2);
  });
});
