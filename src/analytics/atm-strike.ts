/** The listed strike nearest `reference` (ties to the lower strike); strikes ascending, non-empty. */
export function nearestStrike(strikes: readonly number[], reference: number): number {
  let best = strikes[0];
  if (best === undefined) {
    throw new RangeError('nearestStrike needs at least one strike');
  }
  for (const strike of strikes) {
    if (Math.abs(strike - reference) < Math.abs(best - reference)) {
      best = strike;
    }
  }
  return best;
}

/**
 * The `n` rows each side of the row whose strike is nearest `reference` (kept 2n+1 long at the edges);
 * every row when n is 0 or the listing is that short. Rows ascending by strike.
 */
export function strikeWindow<T extends { readonly strike: number }>(
  rows: readonly T[],
  reference: number,
  n: number,
): readonly T[] {
  if (n <= 0 || rows.length <= 2 * n + 1) {
    return rows;
  }
  const atm = nearestStrike(
    rows.map((row) => row.strike),
    reference,
  );
  const at = rows.findIndex((row) => row.strike === atm);
  const from = Math.max(0, Math.min(at - n, rows.length - (2 * n + 1)));
  return rows.slice(from, from + 2 * n + 1);
}
