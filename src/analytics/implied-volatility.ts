import type { OptionRight } from './black-scholes.ts';
import { inverseNormalCdf, normalCdfGivenGaussian } from './normal-distribution.ts';
import { COMPLEMENT, lastEvaluation, normalisedBlack, VEGA } from './normalised-black.ts';
import {
  controlParameterForLeftCurvature,
  controlParameterForRightCurvature,
  type RationalCubicSegment,
  rationalCubicInterpolation,
} from './rational-cubic.ts';

export interface ImpliedVolatilityInput {
  readonly right: OptionRight;
  /** Observed option premium, index points. */
  readonly price: number;
  /** Underlying index level. */
  readonly spot: number;
  readonly strike: number;
  /** Year fraction to expiry (ACT/365 in G6). */
  readonly timeToExpiryYears: number;
  /** Continuously compounded annual rate, decimal. */
  readonly rate: number;
  /** Continuously compounded annual dividend yield, decimal. */
  readonly dividendYield: number;
}

export interface Black76ImpliedVolatilityInput {
  readonly right: OptionRight;
  readonly price: number;
  /** Forward (futures or parity-implied) price for the expiry. */
  readonly forward: number;
  readonly strike: number;
  readonly timeToExpiryYears: number;
  /** Discounts the premium only; 0 when the premium is paid at expiry or for OpenAlgo's convention. */
  readonly rate: number;
}

export type ImpliedVolatilityFailure = 'BELOW_INTRINSIC' | 'ABOVE_MAXIMUM' | 'NO_TIME_VALUE' | 'INVALID_INPUT';

export type ImpliedVolatilityResult =
  | { readonly ok: true; readonly volatility: number }
  | { readonly ok: false; readonly reason: ImpliedVolatilityFailure };

/** Status codes of the batch API, index-aligned with `IV_STATUS_NAMES`. */
export const IV_STATUS = {
  OK: 0,
  BELOW_INTRINSIC: 1,
  ABOVE_MAXIMUM: 2,
  NO_TIME_VALUE: 3,
  INVALID_INPUT: 4,
} as const;
export const IV_STATUS_NAMES = ['OK', 'BELOW_INTRINSIC', 'ABOVE_MAXIMUM', 'NO_TIME_VALUE', 'INVALID_INPUT'] as const;

const FAILURES: Record<number, ImpliedVolatilityResult> = {
  [IV_STATUS.BELOW_INTRINSIC]: { ok: false, reason: 'BELOW_INTRINSIC' },
  [IV_STATUS.ABOVE_MAXIMUM]: { ok: false, reason: 'ABOVE_MAXIMUM' },
  [IV_STATUS.NO_TIME_VALUE]: { ok: false, reason: 'NO_TIME_VALUE' },
  [IV_STATUS.INVALID_INPUT]: { ok: false, reason: 'INVALID_INPUT' },
};

const SQRT3 = Math.sqrt(3);
const INV_SQRT_2PI = 0.3989422804014327;
/** 2π/√27: the lower map's constant, chosen so f(s) ~ b(x, s) as s → 0 (Jäckel 2015, eq. 4.5). */
const LOWER_MAP_SCALE = (2 * Math.PI) / Math.sqrt(27);
/** Jäckel's prescription: two Householder steps from the rational guess reach machine precision. */
const ITERATIONS = 2;
const EPS = Number.EPSILON;

/**
 * Implied volatility of a European option under Black-Scholes-Merton (spot with continuous dividend
 * yield). Never throws and never returns NaN: prices with no finite positive volatility come back as a
 * tagged failure. Precision: about 1e-15 relative on well-conditioned inputs.
 *
 * @see impliedVolatilityBlack76 for a premium quoted against a forward.
 */
export function impliedVolatility(input: ImpliedVolatilityInput): ImpliedVolatilityResult {
  return solveOne(
    input.right,
    input.price,
    input.spot,
    input.strike,
    input.timeToExpiryYears,
    input.rate,
    input.dividendYield,
  );
}

/** Implied volatility under Black-76: the premium of an option on `forward`, discounted at `rate`. */
export function impliedVolatilityBlack76(input: Black76ImpliedVolatilityInput): ImpliedVolatilityResult {
  // Black-76 is Black-Scholes-Merton with the dividend yield equal to the rate: the forward stays put.
  return solveOne(
    input.right,
    input.price,
    input.forward,
    input.strike,
    input.timeToExpiryYears,
    input.rate,
    input.rate,
  );
}

// One-option columns reused by the scalar API (single-threaded, and no call re-enters it).
const one = {
  right: new Int8Array(1),
  price: new Float64Array(1),
  spot: new Float64Array(1),
  strike: new Float64Array(1),
  timeToExpiryYears: new Float64Array(1),
  rate: new Float64Array(1),
  dividendYield: new Float64Array(1),
};
const oneOut = { volatility: new Float64Array(1), status: new Uint8Array(1) };

function solveOne(
  right: OptionRight,
  price: number,
  spot: number,
  strike: number,
  T: number,
  rate: number,
  dividendYield: number,
): ImpliedVolatilityResult {
  one.right[0] = right === 'C' ? 1 : -1;
  one.price[0] = price;
  one.spot[0] = spot;
  one.strike[0] = strike;
  one.timeToExpiryYears[0] = T;
  one.rate[0] = rate;
  one.dividendYield[0] = dividendYield;
  impliedVolatilityBatch(one, oneOut);
  const status = oneOut.status[0]!;
  return status === IV_STATUS.OK ? { ok: true, volatility: oneOut.volatility[0]! } : FAILURES[status]!;
}

/** Columns for the batch solver; every array has the same length. */
export interface ImpliedVolatilityColumns {
  /** +1 call, −1 put. */
  readonly right: Int8Array;
  readonly price: Float64Array;
  /** Spot (Black-Scholes-Merton) or forward (Black-76, with `dividendYield` = `rate`). */
  readonly spot: Float64Array;
  readonly strike: Float64Array;
  readonly timeToExpiryYears: Float64Array;
  readonly rate: Float64Array;
  readonly dividendYield: Float64Array;
}

export interface ImpliedVolatilityOutput {
  /** Solved volatility, or NaN where `status` is not OK. */
  readonly volatility: Float64Array;
  /** `IV_STATUS` code per option. */
  readonly status: Uint8Array;
}

/**
 * Solves a whole chain column-wise without allocating per option. A failed option gets NaN in
 * `volatility` and its reason in `status`; the others are unaffected. Returns the number solved.
 *
 * Each premium is reduced to Black's normalised out-of-the-money call: its time value against the
 * forward's intrinsic value, so an in-the-money premium is solved through its out-of-the-money twin
 * (put-call parity) without cancellation.
 */
export function impliedVolatilityBatch(input: ImpliedVolatilityColumns, output: ImpliedVolatilityOutput): number {
  const { right, price, spot, strike, timeToExpiryYears, rate, dividendYield } = input;
  const { volatility, status } = output;
  const n = price.length;
  let solved = 0;
  for (let i = 0; i < n; i++) {
    const sign = right[i]!;
    const premium = price[i]!;
    const K = strike[i]!;
    const T = timeToExpiryYears[i]!;
    const r = rate[i]!;
    const q = dividendYield[i]!;
    const growth = Math.exp(r * T);
    const forward = spot[i]! * (q === 0 ? growth : Math.exp((r - q) * T));
    volatility[i] = Number.NaN;
    if (
      !(premium >= 0 && forward > 0 && K > 0 && T > 0) ||
      !(premium < Number.POSITIVE_INFINITY && forward < Number.POSITIVE_INFINITY && K < Number.POSITIVE_INFINITY) ||
      !(T < Number.POSITIVE_INFINITY) ||
      (sign !== 1 && sign !== -1)
    ) {
      status[i] = IV_STATUS.INVALID_INPUT;
      continue;
    }
    const undiscounted = premium * growth;
    if (undiscounted >= (sign === 1 ? forward : K)) {
      status[i] = IV_STATUS.ABOVE_MAXIMUM;
      continue;
    }
    const intrinsic = sign * (forward - K) > 0 ? sign * (forward - K) : 0;
    const timeValue = undiscounted - intrinsic;
    // Forward and discount carry a few ulps of rounding; a premium within that of intrinsic has no time value.
    const intrinsicTolerance = intrinsic > 0 ? 16 * EPS * (forward > K ? forward : K) : 0;
    if (timeValue <= intrinsicTolerance) {
      status[i] = timeValue < -intrinsicTolerance ? IV_STATUS.BELOW_INTRINSIC : IV_STATUS.NO_TIME_VALUE;
      continue;
    }
    const x = -Math.abs(Math.log(forward / K));
    const s = normalisedImpliedVolatility(timeValue / Math.sqrt(forward * K), x);
    if (s > 0 && s < Number.POSITIVE_INFINITY) {
      status[i] = IV_STATUS.OK;
      volatility[i] = s / Math.sqrt(T);
      solved++;
    } else {
      status[i] = s === Number.POSITIVE_INFINITY ? IV_STATUS.ABOVE_MAXIMUM : IV_STATUS.NO_TIME_VALUE;
    }
  }
  return solved;
}

const lowerSegment = { xLeft: 0, xRight: 0, yLeft: 0, yRight: 0, slopeLeft: 1, slopeRight: 0 };
const middleSegment = { xLeft: 0, xRight: 0, yLeft: 0, yRight: 0, slopeLeft: 0, slopeRight: 0 };
const upperSegment = { xLeft: 0, xRight: 0, yLeft: 0, yRight: 0, slopeLeft: 0, slopeRight: -0.5 };

const OBJECTIVE_LOWER = 0;
const OBJECTIVE_MIDDLE = 1;
const OBJECTIVE_UPPER = 2;

/**
 * Jäckel's "Let's Be Rational" (Wilmott 2015): the normalised total deviation s = σ√T with b(x, s) = β for
 * x ≤ 0. Four branches split β at b_l < b_c < b_u (the curve's tangent points around its inflection
 * s_c = √(2|x|)); each gets a rational cubic initial guess (in s directly near the inflection, through the
 * maps f_lower ≈ b for small s and f_upper = Φ(−s/2) ≈ (b_max − b)/2 for large s), then two third-order
 * Householder steps on an objective that is close to linear in that branch: 1/ln b, b, or ln(b_max − b).
 * Returns +∞ when β ≥ b_max and 0 when β ≤ 0.
 */
export function normalisedImpliedVolatility(beta: number, x: number): number {
  const halfExpX = Math.exp(0.5 * x);
  const bMax = halfExpX;
  if (!(beta > 0)) {
    return 0;
  }
  if (beta >= bMax) {
    return Number.POSITIVE_INFINITY;
  }
  let s: number;
  let sLeft = Number.MIN_VALUE;
  let sRight = Number.MAX_VALUE;
  let objective: number;

  const sC = Math.sqrt(2 * -x);
  const bC = sC > 0 ? normalisedBlack(x, sC, halfExpX) : 0;
  const vC = sC > 0 ? lastEvaluation[VEGA]! : INV_SQRT_2PI;
  if (beta < bC) {
    const sL = sC - bC / vC;
    const bL = normalisedBlack(x, sL, halfExpX);
    if (beta < bL) {
      const vL = lastEvaluation[VEGA]!;
      // Lower map f(s) = (2π/√27)|x|Φ(z)³, z = −|x|/(√3·s), and its first two β-derivatives at s_l.
      const z = x / (SQRT3 * sL);
      const gaussianZ = Math.exp(-0.5 * z * z);
      const phiZ = normalCdfGivenGaussian(z, gaussianZ);
      const pdfZ = INV_SQRT_2PI * gaussianZ;
      const fL = LOWER_MAP_SCALE * -x * phiZ * phiZ * phiZ;
      const zS = -z / sL;
      const fS = 3 * LOWER_MAP_SCALE * -x * phiZ * phiZ * pdfZ * zS;
      const fSS =
        3 *
        LOWER_MAP_SCALE *
        -x *
        (2 * phiZ * pdfZ * pdfZ * zS * zS -
          phiZ * phiZ * pdfZ * z * zS * zS +
          (phiZ * phiZ * pdfZ * 2 * z) / (sL * sL));
      const hL = x / sL;
      const curvatureL = (hL * hL) / sL - sL / 4;
      const fBeta = fS / vL;
      const fBetaBeta = (fSS - fBeta * vL * curvatureL) / (vL * vL);
      lowerSegment.xRight = bL;
      lowerSegment.yRight = fL;
      lowerSegment.slopeRight = fBeta;
      const r = controlParameterForRightCurvature(lowerSegment, fBetaBeta, true);
      let f = rationalCubicInterpolation(beta, lowerSegment, r);
      if (!(f > 0)) {
        const t = beta / bL;
        f = (fL * t + bL * (1 - t)) * t;
      }
      s = inverseLowerMap(x, f);
      sRight = sL;
      objective = OBJECTIVE_LOWER;
    } else {
      const vL = lastEvaluation[VEGA]!;
      setSegment(middleSegment, bL, bC, sL, sC, 1 / vL, 1 / vC);
      const r = controlParameterForRightCurvature(middleSegment, 0, false);
      s = rationalCubicInterpolation(beta, middleSegment, r);
      sLeft = sL;
      sRight = sC;
      objective = OBJECTIVE_MIDDLE;
    }
  } else {
    const sU = vC > Number.MIN_VALUE ? sC + (bMax - bC) / vC : Number.MAX_VALUE;
    const bU = normalisedBlack(x, sU, halfExpX);
    const vU = lastEvaluation[VEGA]!;
    if (beta <= bU) {
      setSegment(middleSegment, bC, bU, sC, sU, 1 / vC, 1 / vU);
      const r = controlParameterForLeftCurvature(middleSegment, 0, false);
      s = rationalCubicInterpolation(beta, middleSegment, r);
      sLeft = sC;
      sRight = sU;
      objective = OBJECTIVE_MIDDLE;
    } else {
      // Upper map f(s) = Φ(−s/2) and its β-derivatives at s_u.
      const gaussianHalf = Math.exp(-0.125 * sU * sU);
      const fU = normalCdfGivenGaussian(-0.5 * sU, gaussianHalf);
      const pdfHalf = INV_SQRT_2PI * gaussianHalf;
      const fS = -0.5 * pdfHalf;
      const fSS = 0.125 * sU * pdfHalf;
      const hU = x / sU;
      const curvatureU = (hU * hU) / sU - sU / 4;
      const fBeta = fS / vU;
      const fBetaBeta = (fSS - fBeta * vU * curvatureU) / (vU * vU);
      upperSegment.xLeft = bU;
      upperSegment.xRight = bMax;
      upperSegment.yLeft = fU;
      upperSegment.yRight = 0;
      upperSegment.slopeLeft = fBeta;
      const r = controlParameterForLeftCurvature(upperSegment, fBetaBeta, true);
      let f = rationalCubicInterpolation(beta, upperSegment, r);
      if (!(f > 0)) {
        const h = bMax - bU;
        const t = (beta - bU) / h;
        f = (fU * (1 - t) + 0.5 * h * t) * (1 - t);
      }
      s = -2 * inverseNormalCdf(f);
      sLeft = sU;
      objective = OBJECTIVE_UPPER;
    }
  }
  // Third-order Householder steps on g(s) = G(b(s)). With b' the normalised vega, b''/b' = h²/s − s/4 and
  // b'''/b' = (b''/b')² − 3h²/s² − 1/4, the chain rule gives g''/g' and g'''/g' from G's derivatives; the step
  // is ν·(1 + ν·g''/(2g'))/(1 + ν·(g''/g' + ν·g'''/(6g'))) with the Newton step ν = −g/g'. Steps leaving the
  // bracket fall back to bisection.
  // Inline rather than a helper: a call that V8 does not inline boxes every double argument.
  const lnBeta = objective === OBJECTIVE_LOWER ? Math.log(beta) : 0;
  const lnComplementBeta = objective === OBJECTIVE_UPPER ? Math.log(bMax - beta) : 0;
  let ds = Number.MAX_VALUE;
  for (let iteration = 0; iteration < ITERATIONS && Math.abs(ds) > EPS * s; iteration++) {
    if (!(s > sLeft && s < sRight)) {
      s = sRight < Number.MAX_VALUE ? 0.5 * (sLeft + sRight) : 2 * sLeft;
    }
    const b = normalisedBlack(x, s, halfExpX);
    const vega = lastEvaluation[VEGA]!;
    if (b > beta && s < sRight) {
      sRight = s;
    } else if (b < beta && s > sLeft) {
      sLeft = s;
    }
    if (!(b > 0 && vega > 0)) {
      ds = 0.5 * (sLeft + sRight) - s;
      s += ds;
      continue;
    }
    const h = x / s;
    const curvature = (h * h) / s - s / 4;
    const third = curvature * curvature - (3 * h * h) / (s * s) - 0.25;
    let newton: number;
    let ratio2: number;
    let ratio3: number;
    if (objective === OBJECTIVE_LOWER) {
      const lnB = Math.log(b);
      // G = 1/ln b: G''/G' = −(L + 2)/(bL), G'''/G' = (2L² + 6L + 6)/(bL)².
      newton = ((lnBeta - lnB) * lnB * b) / (lnBeta * vega);
      const g2 = (-(lnB + 2) / (b * lnB)) * vega;
      ratio2 = g2 + curvature;
      ratio3 = ((2 * lnB * lnB + 6 * lnB + 6) / (b * b * lnB * lnB)) * vega * vega + 3 * g2 * curvature + third;
    } else if (objective === OBJECTIVE_MIDDLE) {
      newton = (beta - b) / vega;
      ratio2 = curvature;
      ratio3 = third;
    } else {
      const complement = lastEvaluation[COMPLEMENT]!;
      // G = −ln(b_max − b): G''/G' = 1/u, G'''/G' = 2/u² with u = b_max − b.
      newton = (Math.log(complement) - lnComplementBeta) * (complement / vega);
      const g2 = vega / complement;
      ratio2 = g2 + curvature;
      ratio3 = 2 * g2 * g2 + 3 * g2 * curvature + third;
    }
    const factor = (1 + 0.5 * ratio2 * newton) / (1 + newton * (ratio2 + (ratio3 * newton) / 6));
    ds = Number.isFinite(factor) && factor > 0 ? newton * factor : newton;
    s += ds;
  }
  return s;
}

function setSegment(
  segment: { xLeft: number; xRight: number; yLeft: number; yRight: number; slopeLeft: number; slopeRight: number },
  xLeft: number,
  xRight: number,
  yLeft: number,
  yRight: number,
  slopeLeft: number,
  slopeRight: number,
): RationalCubicSegment {
  segment.xLeft = xLeft;
  segment.xRight = xRight;
  segment.yLeft = yLeft;
  segment.yRight = yRight;
  segment.slopeLeft = slopeLeft;
  segment.slopeRight = slopeRight;
  return segment;
}

function inverseLowerMap(x: number, f: number): number {
  const z = inverseNormalCdf(Math.cbrt(f / (LOWER_MAP_SCALE * -x)));
  return Math.abs(x / (SQRT3 * z));
}
