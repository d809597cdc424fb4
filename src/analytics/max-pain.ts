export interface StrikeOpenInterest {
  readonly strike: number;
  readonly callOi: number;
  readonly putOi: number;
}

/**
 * Max pain: the listed strike S minimising the total payout to option holders if the index settled at S,
 * Σ callOI·max(S − K, 0) + Σ putOI·max(K − S, 0). Prefix sums make it O(n) over strikes sorted ascending.
 * Ties go to the lowest strike. Null when there is no open interest at all.
 */
export function maxPainStrike(strikes: readonly StrikeOpenInterest[]): number | null {
  const n = strikes.length;
  let putOiTotal = 0;
  let putOiStrikeTotal = 0;
  for (const s of strikes) {
    putOiTotal += s.putOi;
    putOiStrikeTotal += s.putOi * s.strike;
  }
  let callOiBelow = 0;
  let callOiStrikeBelow = 0;
  let putOiBelow = 0;
  let putOiStrikeBelow = 0;
  let best: number | null = null;
  let bestPayout = Number.POSITIVE_INFINITY;
  let anyOi = false;
  for (let j = 0; j < n; j++) {
    const s = strikes[j]!;
    callOiBelow += s.callOi;
    callOiStrikeBelow += s.callOi * s.strike;
    putOiBelow += s.putOi;
    putOiStrikeBelow += s.putOi * s.strike;
    anyOi ||= s.callOi > 0 || s.putOi > 0;
    const callPayout = s.strike * callOiBelow - callOiStrikeBelow;
    const putPayout = putOiStrikeTotal - putOiStrikeBelow - s.strike * (putOiTotal - putOiBelow);
    const payout = callPayout + putPayout;
    if (payout < bestPayout) {
      bestPayout = payout;
      best = s.strike;
    }
  }
  return anyOi ? best : null;
}
