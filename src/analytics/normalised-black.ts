import { erfcxNonNegative, erfNearZero } from './normal-distribution.ts';

/**
 * Black's formula in Jäckel's normalised coordinates ("Let's Be Rational", 2015, §2): for an
 * out-of-the-money call with x = ln(F/K) ≤ 0 and total deviation s = σ√T > 0,
 *
 *   b(x, s) = e^{x/2}·Φ(x/s + s/2) − e^{−x/2}·Φ(x/s − s/2),   b_max = e^{x/2},   ∂b/∂s = e^{−(x²/s² + s²/4)/2}/√(2π).
 *
 * Every evaluation shares one Gaussian factor E = exp(−(h² + t²)/2) (h = x/s, t = s/2) between both Φ
 * terms and the vega, so it costs one exponential and two rational functions. Results are left in module
 * scratch fields instead of a returned object so the solver's hot loop allocates nothing.
 */

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 0.3989422804014327;
/** Cody's first interval: below it erf is a rational function without exponentials or cancellation. */
const ERF_SERIES_LIMIT = 0.46875;

/** [∂b/∂s, b_max − b] of the last evaluation; the complement has no cancellation where b is near b_max. */
export const lastEvaluation = new Float64Array(2);
export const VEGA = 0;
export const COMPLEMENT = 1;

/**
 * b(x, s) for x ≤ 0, s > 0. Also sets `lastEvaluation`.
 * Precision: about 1e-15 relative; for small s away from the money the two Φ terms would cancel, so there
 * b comes from its Taylor series in t (Jäckel 2015, §3, "small t expansion").
 */
export function normalisedBlack(x: number, s: number, halfExpX: number): number {
  const h = x / s;
  const t = 0.5 * s;
  // Φ(h + t) = ½·erfc(−a) and Φ(h − t) = ½·erfc(c) with a = (h + t)/√2 and c = (t − h)/√2 ≥ 0.
  const c = (t - h) * SQRT1_2;
  if ((t <= SMALL_T_LIMIT && h >= -SMALL_T_MAX_ABS_H) || c <= ERF_SERIES_LIMIT) {
    return normalisedBlackNearMoney(x, h, t, halfExpX);
  }
  // Kept small so V8 inlines it into the solver: a call boxes every double argument and result.
  const gaussian = Math.exp(-0.5 * (h * h + t * t));
  lastEvaluation[VEGA] = INV_SQRT_2PI * gaussian;
  const a = (h + t) * SQRT1_2;
  if (a < 0) {
    const b = 0.5 * gaussian * (erfcxNonNegative(-a) - erfcxNonNegative(c));
    lastEvaluation[COMPLEMENT] = halfExpX - b;
    return b > 0 ? b : 0;
  }
  const complement = 0.5 * gaussian * (erfcxNonNegative(a) + erfcxNonNegative(c));
  lastEvaluation[COMPLEMENT] = complement;
  return halfExpX - complement;
}

/** Small t or small |h|: the forms without cancellation. */
function normalisedBlackNearMoney(x: number, h: number, t: number, halfExpX: number): number {
  lastEvaluation[VEGA] = INV_SQRT_2PI * Math.exp(-0.5 * (h * h + t * t));
  let b: number;
  if (t <= SMALL_T_LIMIT && h >= -SMALL_T_MAX_ABS_H) {
    b = smallTExpansion(h, t);
  } else {
    // e^{x/2}Φ(h+t) − e^{−x/2}Φ(h−t) = sinh(x/2) + ½e^{x/2}erf(a) + ½e^{−x/2}erf(c), |a| ≤ c ≤ 0.47.
    b =
      Math.sinh(0.5 * x) +
      0.5 * (halfExpX * erfNearZero((h + t) * SQRT1_2) + erfNearZero((t - h) * SQRT1_2) / halfExpX);
  }
  lastEvaluation[COMPLEMENT] = halfExpX - b;
  return b > 0 ? b : 0;
}

const SMALL_T_LIMIT = 0.0025;
const SMALL_T_MAX_ABS_H = 12;
const SMALL_T_ORDER = 13;
const SQRT_PI_OVER_2 = Math.sqrt(Math.PI / 2);
const seriesQ = new Float64Array(SMALL_T_ORDER + 1);
const seriesE = new Float64Array(SMALL_T_ORDER + 1);

/**
 * b = e^{ht}Φ(h+t) − e^{−ht}Φ(h−t) is twice the odd part of F(t) = e^{ht}Φ(h+t). With
 * Φ(h+t) = φ(h)·[Y(h) + Σ_{n≥1} (−1)^{n−1}He_{n−1}(h)·tⁿ/n!], Y = Φ/φ, the Cauchy product with
 * e^{ht} = Σ (ht)^k/k! gives F's Taylor coefficients; all even ones cancel analytically instead of
 * numerically. Used for t ≤ 0.0025 and −12 ≤ h, where |h|·t ≤ 0.03 and 13 orders reach ε; above that t the
 * direct forms lose at most ~500ε to cancellation.
 */
function smallTExpansion(h: number, t: number): number {
  const y = SQRT_PI_OVER_2 * erfcxNonNegative(-h * SQRT1_2);
  seriesQ[0] = y;
  seriesE[0] = 1;
  // Hermite He_{n-1}(h) by He_{k+1} = h·He_k − k·He_{k−1}; q_n = (−1)^{n−1}He_{n−1}/n!.
  let hePrevious = 0;
  let he = 1;
  let factorial = 1;
  for (let n = 1; n <= SMALL_T_ORDER; n++) {
    factorial *= n;
    seriesQ[n] = ((n & 1) === 1 ? he : -he) / factorial;
    seriesE[n] = (seriesE[n - 1]! * h) / n;
    const next = h * he - (n - 1) * hePrevious;
    hePrevious = he;
    he = next;
  }
  let sum = 0;
  const t2 = t * t;
  let tPower = t;
  for (let m = 1; m <= SMALL_T_ORDER; m += 2) {
    let coefficient = 0;
    for (let k = 0; k <= m; k++) {
      coefficient += seriesE[k]! * seriesQ[m - k]!;
    }
    sum += coefficient * tPower;
    tPower *= t2;
  }
  return 2 * INV_SQRT_2PI * Math.exp(-0.5 * h * h) * sum;
}
