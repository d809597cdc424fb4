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
