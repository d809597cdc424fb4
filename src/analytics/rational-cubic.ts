/**
 * Delbourgo–Gregory rational cubic interpolation ("Shape preserving piecewise rational interpolation",
 * SIAM J. Sci. Stat. Comput. 6, 1985), as used by Jäckel's "Let's Be Rational" (2015, §4) to build the
 * initial guess of the implied-volatility solver: a curve through two points with given slopes whose
 * control parameter r is chosen to match a second derivative while keeping the curve monotone and convex
 * or concave like the function it stands in for.
 */

const MINIMUM_CONTROL = -(1 - Math.sqrt(Number.EPSILON));
const MAXIMUM_CONTROL = 2 / (Number.EPSILON * Number.EPSILON);

export interface RationalCubicSegment {
  readonly xLeft: number;
  readonly xRight: number;
  readonly yLeft: number;
  readonly yRight: number;
  readonly slopeLeft: number;
  readonly slopeRight: number;
}

/** Value at `x` of the rational cubic on the segment with control parameter `r` (r → ∞ is linear). */
export function rationalCubicInterpolation(x: number, segment: RationalCubicSegment, r: number): number {
  const { xLeft, xRight, yLeft, yRight, slopeLeft, slopeRight } = segment;
  const h = xRight - xLeft;
  if (Math.abs(h) <= 0) {
    return 0.5 * (yLeft + yRight);
  }
  const t = (x - xLeft) / h;
  if (!(r < MAXIMUM_CONTROL)) {
    return yRight * t + yLeft * (1 - t);
  }
  const omt = 1 - t;
  const t2 = t * t;
  const omt2 = omt * omt;
  return (
    (yRight * t2 * t +
      (r * yRight - h * slopeRight) * t2 * omt +
      (r * yLeft + h * slopeLeft) * t * omt2 +
      yLeft * omt2 * omt) /
    (1 + (r - 3) * t * omt)
  );
}

/**
 * The smallest control parameter that keeps the interpolant monotone, and convex or concave, whenever the
 * data are (Delbourgo & Gregory, eqs. 3.8 and 3.18).
 */
function minimumControlParameter(segment: RationalCubicSegment, preferShapePreservation: boolean): number {
  const { slopeLeft: dl, slopeRight: dr } = segment;
  const s = (segment.yRight - segment.yLeft) / (segment.xRight - segment.xLeft);
  const monotonic = dl * s >= 0 && dr * s >= 0;
  const convex = dl <= s && s <= dr;
  const concave = dl >= s && s >= dr;
  if (!monotonic && !convex && !concave) {
    return MINIMUM_CONTROL;
  }
  const drMinusDl = dr - dl;
  const drMinusS = dr - s;
  const sMinusDl = s - dl;
  let forMonotonicity = -Number.MAX_VALUE;
  let forConvexity = -Number.MAX_VALUE;
  if (monotonic) {
    if (s !== 0) {
      forMonotonicity = (dr + dl) / s;
    } else if (preferShapePreservation) {
      forMonotonicity = MAXIMUM_CONTROL;
    }
  }
  if (convex || concave) {
    if (sMinusDl !== 0 && drMinusS !== 0) {
      forConvexity = Math.max(Math.abs(drMinusDl / drMinusS), Math.abs(drMinusDl / sMinusDl));
    } else if (preferShapePreservation) {
      forConvexity = MAXIMUM_CONTROL;
    }
  } else if (monotonic && preferShapePreservation) {
    forConvexity = MAXIMUM_CONTROL;
  }
  return Math.max(MINIMUM_CONTROL, forMonotonicity, forConvexity);
}

function clampControl(r: number): number {
  return Math.min(Math.max(r, MINIMUM_CONTROL), MAXIMUM_CONTROL);
}

/** Control parameter matching `secondDerivative` at the segment's left end, never below the shape minimum. */
export function controlParameterForLeftCurvature(
  segment: RationalCubicSegment,
  secondDerivative: number,
  preferShapePreservation: boolean,
): number {
  const secant = (segment.yRight - segment.yLeft) / (segment.xRight - segment.xLeft);
  return fitCurvature(segment, secondDerivative, secant - segment.slopeLeft, preferShapePreservation);
}

/** Control parameter matching `secondDerivative` at the segment's right end, never below the shape minimum. */
export function controlParameterForRightCurvature(
  segment: RationalCubicSegment,
  secondDerivative: number,
  preferShapePreservation: boolean,
): number {
  const secant = (segment.yRight - segment.yLeft) / (segment.xRight - segment.xLeft);
  return fitCurvature(segment, secondDerivative, segment.slopeRight - secant, preferShapePreservation);
}

/** r = (h·f''/2 + d_r − d_l) / (the end's slope gap to the secant), clamped, and at least the shape minimum. */
function fitCurvature(
  segment: RationalCubicSegment,
  secondDerivative: number,
  denominator: number,
  preferShapePreservation: boolean,
): number {
  const h = segment.xRight - segment.xLeft;
  const numerator = 0.5 * h * secondDerivative + (segment.slopeRight - segment.slopeLeft);
  return Math.max(curvatureControl(numerator, denominator), minimumControlParameter(segment, preferShapePreservation));
}

function curvatureControl(numerator: number, denominator: number): number {
  if (numerator === 0) {
    return 0;
  }
  if (denominator === 0) {
    return numerator > 0 ? MAXIMUM_CONTROL : MINIMUM_CONTROL;
  }
  return clampControl(numerator / denominator);
}
