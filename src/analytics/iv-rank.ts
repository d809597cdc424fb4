/**
 * Where today's implied volatility sits in its own history, as options desks quote it (tastytrade,
 * Sensibull, Barchart): IV rank places it between the period's low and high; IV percentile counts the
 * days it was lower. Both use one constant-maturity IV per day so days with different expiry
 * calendars compare.
 */

export interface AtmVolatilityPoint {
  readonly timeToExpiryYears: number;
  /** ATM implied volatility, decimal. */
  readonly iv: number;
}

/** 30 calendar days, the usual constant maturity (VIX, ORATS IV30). */
export const IV30_YEARS = 30 / 365;

/**
 * ATM IV at a constant maturity, interpolated linearly in total variance σ²T between the expiries
 * around it (flat in σ beyond the first or last), the way VIX-style indices are built. Null without
 * points.
 */
export function constantMaturityIv(points: readonly AtmVolatilityPoint[], targetYears: number): number | null {
  const usable = points
    .filter((p) => p.timeToExpiryYears > 0 && Number.isFinite(p.iv) && p.iv > 0)
    .sort((a, b) => a.timeToExpiryYears - b.timeToExpiryYears);
  if (usable.length === 0) {
    return null;
  }
  const first = usable[0]!;
  const last = usable.at(-1)!;
  if (targetYears <= first.timeToExpiryYears) {
    return first.iv;
  }
  if (targetYears >= last.timeToExpiryYears) {
    return last.iv;
  }
  for (let i = 1; i < usable.length; i++) {
    const right = usable[i]!;
    if (right.timeToExpiryYears >= targetYears) {
      const left = usable[i - 1]!;
      const wLeft = left.iv * left.iv * left.timeToExpiryYears;
      const wRight = right.iv * right.iv * right.timeToExpiryYears;
      const weight = (targetYears - left.timeToExpiryYears) / (right.timeToExpiryYears - left.timeToExpiryYears);
      const w = wLeft + weight * (wRight - wLeft);
      return w > 0 ? Math.sqrt(w / targetYears) : null;
    }
  }
  return last.iv;
}

/** (current − low) / (high − low) over the history, in [0, 1]; null with no history or no range. */
export function ivRank(current: number, history: readonly number[]): number | null {
  if (history.length === 0) {
    return null;
  }
  const low = Math.min(current, ...history);
  const high = Math.max(current, ...history);
  return high > low ? (current - low) / (high - low) : null;
}

/** Share of the history strictly below the current value, in [0, 1]; null with no history. */
export function ivPercentile(current: number, history: readonly number[]): number | null {
  if (history.length === 0) {
    return null;
  }
  return history.filter((v) => v < current).length / history.length;
}
