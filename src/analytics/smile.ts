import type { SmilePoint } from '../domain/snapshot.ts';
import { normalCdf } from './normal-distribution.ts';

export interface SmileLeg {
  readonly strike: number;
  readonly callIv: number | null;
  readonly putIv: number | null;
}

/**
 * One IV per strike from the out-of-the-money leg (calls at and above the forward, puts below; the other
 * leg when that one has no IV; both averaged at `atmStrike`), as OpenAlgo's surface and iVolatility do:
 * OTM premiums carry the time value without the intrinsic part's noise.
 */
export function buildSmile(
  legs: readonly SmileLeg[],
  forward: number,
  atmStrike: number,
  timeToExpiryYears: number,
): SmilePoint[] {
  const points: SmilePoint[] = [];
  const sqrtT = Math.sqrt(timeToExpiryYears);
  for (const leg of legs) {
    let iv: number | null;
    if (leg.strike === atmStrike && leg.callIv !== null && leg.putIv !== null) {
      iv = 0.5 * (leg.callIv + leg.putIv);
    } else if (leg.strike >= forward) {
      iv = leg.callIv ?? leg.putIv;
    } else {
      iv = leg.putIv ?? leg.callIv;
    }
    if (iv === null) {
      continue;
    }
    const logMoneyness = Math.log(leg.strike / forward);
    const stdDev = iv * sqrtT;
    points.push({
      strike: leg.strike,
      logMoneyness,
      callDelta: normalCdf(-logMoneyness / stdDev + 0.5 * stdDev),
      iv,
      callIv: leg.callIv,
      putIv: leg.putIv,
      totalVariance: iv * iv * timeToExpiryYears,
    });
  }
  return points;
}

/**
 * IV at a call delta by linear interpolation in delta between neighbouring smile points (call delta falls
 * as strike rises). A put delta −0.25 is call delta 0.75. Null outside the quoted deltas: no extrapolation.
 */
export function ivAtCallDelta(smile: readonly SmilePoint[], callDelta: number): number | null {
  for (let i = 1; i < smile.length; i++) {
    const high = smile[i - 1]!;
    const low = smile[i]!;
    if (high.callDelta >= callDelta && low.callDelta <= callDelta) {
      const span = high.callDelta - low.callDelta;
      if (span <= 0) {
        return 0.5 * (high.iv + low.iv);
      }
      const weight = (high.callDelta - callDelta) / span;
      return high.iv + weight * (low.iv - high.iv);
    }
  }
  return null;
}

/** Total variance at log-moneyness k by linear interpolation between smile points; null outside them. */
export function totalVarianceAt(smile: readonly SmilePoint[], logMoneyness: number): number | null {
  for (let i = 1; i < smile.length; i++) {
    const left = smile[i - 1]!;
    const right = smile[i]!;
    if (left.logMoneyness <= logMoneyness && logMoneyness <= right.logMoneyness) {
      const span = right.logMoneyness - left.logMoneyness;
      const weight = span > 0 ? (logMoneyness - left.logMoneyness) / span : 0;
      return left.totalVariance + weight * (right.totalVariance - left.totalVariance);
    }
  }
  return smile.length === 1 && smile[0]!.logMoneyness === logMoneyness ? smile[0]!.totalVariance : null;
}
