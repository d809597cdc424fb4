/** Call and put premiums at one strike, for the parity forward; null where a side has no usable price. */
export interface ParityQuote {
  readonly strike: number;
  readonly callPrice: number | null;
  readonly putPrice: number | null;
}

/**
 * The forward implied by put-call parity, F = K + e^{rT}·(C − P), at the strike where |C − P| is smallest
 * (Cboe's VIX white paper; OpenAlgo and Sensibull use the same synthetic future). Near the money both
 * premiums are most liquid and the forward least sensitive to their errors. Null without a strike that
 * has both premiums.
 */
export function parityForward(
  quotes: readonly ParityQuote[],
  rate: number,
  timeToExpiryYears: number,
): { forward: number; strike: number } | null {
  let best: ParityQuote | null = null;
  let bestGap = Number.POSITIVE_INFINITY;
  for (const q of quotes) {
    if (q.callPrice === null || q.putPrice === null) {
      continue;
    }
    const gap = Math.abs(q.callPrice - q.putPrice);
    if (gap < bestGap) {
      bestGap = gap;
      best = q;
    }
  }
  if (best === null || best.callPrice === null || best.putPrice === null) {
    return null;
  }
  const forward = best.strike + Math.exp(rate * timeToExpiryYears) * (best.callPrice - best.putPrice);
  return forward > 0 ? { forward, strike: best.strike } : null;
}
