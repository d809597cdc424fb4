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
 * The `below` rows under and `above` rows over the row whose strike is nearest `reference`, kept
 * below + above + 1 long at the edges of the listing; every row when both are 0 (or the listing is that
 * short), none on a side that is 0 while the other is not. Rows ascending by strike.
 */
export function strikeWindow<T extends { readonly strike: number }>(
  rows: readonly T[],
  reference: number,
  below: number,
  above: number = below,
): readonly T[] {
  const size = below + above + 1;
  if ((below <= 0 && above <= 0) || rows.length <= size) {
    return rows;
  }
  const atm = nearestStrike(
    rows.map((row) => row.strike),
    reference,
  );
  const at = rows.findIndex((row) => row.strike === atm);
  const from = Math.max(0, Math.min(at - below, rows.length - size));
  return rows.slice(from, from + size);
}
