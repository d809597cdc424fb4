import type { ChainSnapshot, SmilePoint, VolatilitySurface, VolatilitySurfaceRow } from '../domain/snapshot.ts';
import { normalCdf } from './normal-distribution.ts';
import { totalVarianceAt } from './smile.ts';

/** ln(K/F) from −10 % to +10 % in 1 % steps: covers NIFTY weeklies' ±30 strikes and most of the monthlies. */
export const SURFACE_LOG_MONEYNESS: readonly number[] = Array.from({ length: 21 }, (_, i) => (i - 10) / 100);

/**
 * The implied-volatility surface on a fixed log-moneyness grid: each expiry's smile interpolated linearly
 * in total variance (QuantLib's variance-surface convention; no extrapolation), with two arbitrage checks:
 * calendar (total variance at fixed moneyness must not fall with expiry) and butterfly (undiscounted call
 * prices from the smile must fall and be convex in strike).
 */
export function buildVolatilitySurface(
  chains: readonly ChainSnapshot[],
  grid: readonly number[] = SURFACE_LOG_MONEYNESS,
): VolatilitySurface {
  const rows: VolatilitySurfaceRow[] = [];
  let previousVariance: (number | null)[] | null = null;
  for (const chain of chains) {
    const T = chain.timeToExpiryYears;
    const variance = grid.map((k) => totalVarianceAt(chain.smile, k));
    const calendarArbitrage = variance.map((w, j) => {
      const before = previousVariance?.[j];
      return w !== null && before !== null && before !== undefined && w < before - 1e-12;
    });
    rows.push({
      expiry: chain.expiry,
      timeToExpiryYears: T,
      iv: variance.map((w) => (w === null || !(T > 0) ? null : Math.sqrt(w / T))),
      calendarArbitrage,
      butterflyArbitrageStrikes: butterflyViolations(chain.smile, chain.methodology.forward, T),
    });
    previousVariance = variance;
  }
  return { logMoneyness: grid, rows };
}

/** Undiscounted Black call on forward F. */
function forwardCall(forward: number, strike: number, stdDev: number): number {
  const d1 = Math.log(forward / strike) / stdDev + 0.5 * stdDev;
  return forward * normalCdf(d1) - strike * normalCdf(d1 - stdDev);
}

/**
 * Strikes where the smile implies negative butterfly prices (a convexity break in C(K)) or a call
 * spread worth more than its width (slope below −1) or negative (C rising with K). Tolerance: 1e-9·F.
 */
export function butterflyViolations(smile: readonly SmilePoint[], forward: number, T: number): number[] {
  const tolerance = 1e-9 * forward;
  const sqrtT = Math.sqrt(T);
  const prices = smile.map((p) => forwardCall(forward, p.strike, p.iv * sqrtT));
  const violations = new Set<number>();
  for (let i = 1; i < smile.length; i++) {
    const slope = (prices[i]! - prices[i - 1]!) / (smile[i]!.strike - smile[i - 1]!.strike);
    if (slope > tolerance || slope < -1 - tolerance) {
      violations.add(smile[i]!.strike);
    }
    if (i + 1 < smile.length) {
      const nextSlope = (prices[i + 1]! - prices[i]!) / (smile[i + 1]!.strike - smile[i]!.strike);
      if (nextSlope < slope - tolerance / (smile[i + 1]!.strike - smile[i]!.strike)) {
        violations.add(smile[i]!.strike);
      }
    }
  }
  return [...violations].sort((a, b) => a - b);
}
