import type { OptionRight } from './black-scholes.ts';
import { normalCdf } from './normal-distribution.ts';

export interface ImpliedVolatilityInput {
  readonly right: OptionRight;
  /** Observed option premium. */
  readonly price: number;
  readonly spot: number;
  readonly strike: number;
  readonly timeToExpiryYears: number;
  readonly rate: number;
  readonly dividendYield: number;
}

export type ImpliedVolatilityFailure = 'BELOW_INTRINSIC' | 'ABOVE_MAXIMUM' | 'NO_TIME_VALUE' | 'INVALID_INPUT';

export type ImpliedVolatilityResult =
  | { readonly ok: true; readonly volatility: number }
  | { readonly ok: false; readonly reason: ImpliedVolatilityFailure };

const INV_SQRT_2PI = 0.3989422804014327;
const MAX_ITERATIONS = 100;
const RELATIVE_TOLERANCE = 4 * Number.EPSILON;

/**
 * Normalised Black price of an out-of-the-money call, b(x, s) = e^{x/2}Φ(x/s + s/2) − e^{−x/2}Φ(x/s − s/2),
 * with x = ln(F/K) ≤ 0 and s = σ√T (Jäckel, "Let's Be Rational", 2015, eq. 2.3).
 */
function normalisedOtmCall(x: number, s: number): number {
  const h = x / s;
  const t = s / 2;
  return Math.exp(x / 2) * normalCdf(h + t) - Math.exp(-x / 2) * normalCdf(h - t);
}

/** ∂b/∂s = φ(x/s + s/2)·e^{x/2} = exp(−x²/(2s²) − s²/8)/√(2π). */
function normalisedVega(x: number, s: number): number {
  return INV_SQRT_2PI * Math.exp((-0.5 * x * x) / (s * s) - (s * s) / 8);
}

/**
 * Implied volatility under Black-Scholes-Merton, solved in Black's normalised coordinates on the
 * out-of-the-money side (an ITM premium's time value equals the OTM premium by put-call parity, which
 * avoids cancellation). Newton iterations start at the inflection point s = √(2|x|) of b(s): to its left
 * b is convex and Newton runs on ln b, to its right b is concave and Newton runs on b, so both sequences
 * converge monotonically (Jäckel, "By Implication", 2006); a bracket guards every step. Never throws and
 * never returns NaN for finite inputs: failures are tagged.
 */
export function impliedVolatility(input: ImpliedVolatilityInput): ImpliedVolatilityResult {
  const { right, price, spot, strike, timeToExpiryYears: T, rate, dividendYield } = input;
  if (
    !(Number.isFinite(price) && Number.isFinite(spot) && Number.isFinite(strike)) ||
    !(Number.isFinite(T) && Number.isFinite(rate) && Number.isFinite(dividendYield)) ||
    !(spot > 0 && strike > 0 && T > 0 && price >= 0)
  ) {
    return { ok: false, reason: 'INVALID_INPUT' };
  }
  const discount = Math.exp(-rate * T);
  const forward = spot * Math.exp((rate - dividendYield) * T);
  const undiscounted = price / discount;
  const sign = right === 'C' ? 1 : -1;
  const intrinsic = Math.max(sign * (forward - strike), 0);
  const maximum = right === 'C' ? forward : strike;

  if (undiscounted >= maximum) {
    return { ok: false, reason: 'ABOVE_MAXIMUM' };
  }
  const timeValue = undiscounted - intrinsic;
  // Forward and discount carry a few ulps of rounding; a premium within that of intrinsic has no time value.
  const intrinsicTolerance = intrinsic > 0 ? 16 * Number.EPSILON * Math.max(forward, strike) : 0;
  if (timeValue < -intrinsicTolerance) {
    return { ok: false, reason: 'BELOW_INTRINSIC' };
  }
  if (timeValue <= intrinsicTolerance) {
    return { ok: false, reason: 'NO_TIME_VALUE' };
  }

  const x = -Math.abs(Math.log(forward / strike));
  const beta = timeValue / Math.sqrt(forward * strike);
  // b(x, ∞) = e^{x/2}: premiums at or above it have no finite volatility.
  if (beta >= Math.exp(x / 2)) {
    return { ok: false, reason: 'ABOVE_MAXIMUM' };
  }
  const s = solveNormalisedVolatility(x, beta);
  if (!(s > 0 && Number.isFinite(s))) {
    return { ok: false, reason: 'BELOW_INTRINSIC' };
  }
  return { ok: true, volatility: s / Math.sqrt(T) };
}

function solveNormalisedVolatility(x: number, beta: number): number {
  if (x === 0) {
    // At the money b = 2Φ(s/2) − 1 has a closed-form inverse through Φ⁻¹; Newton from the same start
    // converges in a few steps because b is concave for all s > 0.
    return newton(x, beta, Math.sqrt(2 * Math.PI) * beta, 0, Number.POSITIVE_INFINITY, false);
  }
  const inflection = Math.sqrt(2 * Math.abs(x));
  const atInflection = normalisedOtmCall(x, inflection);
  if (beta < atInflection) {
    return newton(x, beta, inflection, 0, inflection, true);
  }
  return newton(x, beta, inflection, inflection, Number.POSITIVE_INFINITY, false);
}

/** Safeguarded Newton on f(s) = b(s) − β, or on ln b(s) − ln β when `logarithmic`. */
function newton(x: number, beta: number, start: number, low: number, high: number, logarithmic: boolean): number {
  let s = start;
  let lo = low;
  let hi = high;
  const logBeta = Math.log(beta);
  for (let i = 0; i < MAX_ITERATIONS; i++) {
    const b = normalisedOtmCall(x, s);
    const vega = normalisedVega(x, s);
    if (b > beta) {
      hi = Math.min(hi, s);
    } else {
      lo = Math.max(lo, s);
    }
    let step: number;
    if (logarithmic) {
      step = b > 0 ? ((Math.log(b) - logBeta) * b) / vega : Number.NaN;
    } else {
      step = (b - beta) / vega;
    }
    let next = s - step;
    if (!(next > lo && next < hi) || !Number.isFinite(next)) {
      next = Number.isFinite(hi) ? 0.5 * (lo + hi) : Math.max(2 * s, lo * 2);
    }
    if (Math.abs(next - s) <= RELATIVE_TOLERANCE * next) {
      return next;
    }
    s = next;
  }
  return s;
}
