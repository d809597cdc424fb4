/**
 * Standard normal density and distribution with near machine precision in both tails, built on W. J. Cody's
 * rational Chebyshev approximations for erf/erfc ("Rational Chebyshev approximations for the error
 * function", Math. Comp. 23, 1969; coefficients as published in netlib specfun CALERF).
 */

const INV_SQRT_2PI = 0.3989422804014327;
const INV_SQRT_PI = 0.5641895835477563;
const SQRT1_2 = Math.SQRT1_2;

// |y| <= 0.46875: erf(y) = y * P(y²)/Q(y²)
const A = [3.1611237438705655, 113.86415415105016, 377.485237685302, 3209.3775891384694, 0.18577770618460315];
const B = [23.601290952344122, 244.02463793444417, 1282.6165260773723, 2844.236833439171];
// 0.46875 < |y| <= 4: erfc(y) = exp(-y²) * P(y)/Q(y)
const C = [
  0.5641884969886701, 8.883149794388377, 66.11919063714163, 298.6351381974001, 881.952221241769, 1712.0476126340707,
  2051.0783778260716, 1230.3393547979972, 2.1531153547440383e-8,
];
const D = [
  15.744926110709835, 117.6939508913125, 537.1811018620099, 1621.3895745666903, 3290.7992357334597, 4362.619090143247,
  3439.3676741437216, 1230.3393548037495,
];
// |y| > 4: erfc(y) = exp(-y²)/y * (1/√π - R(1/y²))
const P = [
  0.30532663496123236, 0.36034489994980445, 0.12578172611122926, 0.016083785148742275, 0.0006587491615298378,
  0.016315387137302097,
];
const Q = [2.568520192289822, 1.8729528499234604, 0.5279051029514285, 0.06051834131244132, 0.0023352049762686918];

/** exp(-y²) computed as exp(-a²)·exp(-(y-a)(y+a)) with a = y rounded to 1/16, to keep full precision. */
function expMinusSquare(y: number): number {
  const a = Math.trunc(y * 16) / 16;
  return Math.exp(-a * a) * Math.exp(-(y - a) * (y + a));
}

/** Complementary error function, relative error ~1e-16 over the whole real line. */
export function erfc(x: number): number {
  const y = Math.abs(x);
  let result: number;
  if (y <= 0.46875) {
    const ysq = y > 1.11e-16 ? y * y : 0;
    let num = A[4]! * ysq;
    let den = ysq;
    for (let i = 0; i < 3; i++) {
      num = (num + A[i]!) * ysq;
      den = (den + B[i]!) * ysq;
    }
    return 1 - (x * (num + A[3]!)) / (den + B[3]!);
  }
  if (y <= 4) {
    let num = C[8]! * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + C[i]!) * y;
      den = (den + D[i]!) * y;
    }
    result = ((num + C[7]!) / (den + D[7]!)) * expMinusSquare(y);
  } else if (y >= 26.543) {
    result = 0;
  } else {
    const ysq = 1 / (y * y);
    let num = P[5]! * ysq;
    let den = ysq;
    for (let i = 0; i < 4; i++) {
      num = (num + P[i]!) * ysq;
      den = (den + Q[i]!) * ysq;
    }
    const r = (ysq * (num + P[4]!)) / (den + Q[4]!);
    result = ((INV_SQRT_PI - r) / y) * expMinusSquare(y);
  }
  return x < 0 ? 2 - result : result;
}

/**
 * Scaled complementary error function erfcx(y) = exp(y²)·erfc(y) for y ≥ 0, from the same Cody
 * approximations without their exp(−y²) factor. The pricing and IV kernels multiply it by one shared
 * Gaussian factor, so each evaluation of Φ costs no exponential of its own.
 */
export function erfcxNonNegative(y: number): number {
  if (y <= 0.46875) {
    return Math.exp(y * y) * erfc(y);
  }
  // Unrolled Horner forms of the loops in `erfc`: this is the innermost call of every pricing kernel.
  if (y <= 4) {
    let num = 2.1531153547440383e-8 * y + 0.5641884969886701;
    num = num * y + 8.883149794388377;
    num = num * y + 66.11919063714163;
    num = num * y + 298.6351381974001;
    num = num * y + 881.952221241769;
    num = num * y + 1712.0476126340707;
    num = num * y + 2051.0783778260716;
    num = num * y + 1230.3393547979972;
    let den = y + 15.744926110709835;
    den = den * y + 117.6939508913125;
    den = den * y + 537.1811018620099;
    den = den * y + 1621.3895745666903;
    den = den * y + 3290.7992357334597;
    den = den * y + 4362.619090143247;
    den = den * y + 3439.3676741437216;
    den = den * y + 1230.3393548037495;
    return num / den;
  }
  const z = 1 / (y * y);
  let num = 0.016315387137302097 * z + 0.30532663496123236;
  num = num * z + 0.36034489994980445;
  num = num * z + 0.12578172611122926;
  num = num * z + 0.016083785148742275;
  num = num * z + 0.0006587491615298378;
  let den = z + 2.568520192289822;
  den = den * z + 1.8729528499234604;
  den = den * z + 0.5279051029514285;
  den = den * z + 0.06051834131244132;
  den = den * z + 0.0023352049762686918;
  return (INV_SQRT_PI - (z * num) / den) / y;
}

/** erf(y) for |y| ≤ 0.46875 (Cody's first interval): a rational function, no exponential, full relative precision. */
export function erfNearZero(y: number): number {
  const z = y * y;
  let num = 0.18577770618460315 * z + 3.1611237438705655;
  num = num * z + 113.86415415105016;
  num = num * z + 377.485237685302;
  num = num * z + 3209.3775891384694;
  let den = z + 23.601290952344122;
  den = den * z + 244.02463793444417;
  den = den * z + 1282.6165260773723;
  den = den * z + 2844.236833439171;
  return (y * num) / den;
}

/**
 * Φ(d) given g = exp(−d²/2) computed by the caller (who usually needs φ(d) = g/√(2π) too).
 * Relative accuracy in the lower tail is that of g, about |d|²·ε.
 */
export function normalCdfGivenGaussian(d: number, gaussian: number): number {
  const y = d * SQRT1_2;
  if (y >= -0.46875 && y <= 0.46875) {
    return 0.5 + 0.5 * erfNearZero(y);
  }
  if (y < 0) {
    return 0.5 * gaussian * erfcxNonNegative(-y);
  }
  return 1 - 0.5 * gaussian * erfcxNonNegative(y);
}

// Wichura, "Algorithm AS 241: The percentage points of the normal distribution", Applied Statistics 37
// (1988), PPND16: relative accuracy about 1e-16.
const PPND_A = [
  3.3871328727963665, 133.14166789178438, 1971.5909503065513, 13731.69376550946, 45921.95393154987, 67265.7709270087,
  33430.57558358813, 2509.0809287301227,
];
const PPND_B = [
  1, 42.31333070160091, 687.1870074920579, 5394.196021424751, 21213.794301586597, 39307.89580009271, 28729.085735721943,
  5226.495278852854,
];
const PPND_C = [
  1.4234371107496835, 4.630337846156546, 5.769497221460691, 3.6478483247632045, 1.2704582524523684, 0.2417807251774506,
  0.022723844989269184, 0.0007745450142783414,
];
const PPND_D = [
  1, 2.053191626637759, 1.6763848301838038, 0.6897673349851, 0.14810397642748008, 0.015198666563616457,
  0.0005475938084995345, 1.0507500716444169e-9,
];
const PPND_E = [
  6.657904643501103, 5.463784911164114, 1.7848265399172913, 0.29656057182850487, 0.026532189526576124,
  0.0012426609473880784, 0.000027115555687434876, 2.0103343992922881e-7,
];
const PPND_F = [
  1, 0.599832206555888, 0.1369298809227358, 0.014875361290850615, 0.0007868691311456133, 0.000018463183175100548,
  1.421511758316446e-7, 2.0442631033899397e-15,
];

function horner8(c: readonly number[], x: number): number {
  let acc = c[7]!;
  for (let k = 6; k >= 0; k--) {
    acc = acc * x + c[k]!;
  }
  return acc;
}

/** Φ⁻¹(p): −∞ at 0, +∞ at 1, NaN outside [0, 1]. */
export function inverseNormalCdf(p: number): number {
  if (!(p >= 0 && p <= 1)) {
    return Number.NaN;
  }
  if (p === 0) {
    return Number.NEGATIVE_INFINITY;
  }
  if (p === 1) {
    return Number.POSITIVE_INFINITY;
  }
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * horner8(PPND_A, r)) / horner8(PPND_B, r);
  }
  const r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  const value =
    r <= 5 ? horner8(PPND_C, r - 1.6) / horner8(PPND_D, r - 1.6) : horner8(PPND_E, r - 5) / horner8(PPND_F, r - 5);
  return q < 0 ? -value : value;
}

/** Standard normal density φ(x). */
export function normalPdf(x: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/** Standard normal distribution Φ(x) = ½·erfc(−x/√2); accurate in relative terms for x ≪ 0. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * SQRT1_2);
}
