import type { ChainSnapshot, TermStructurePoint } from '../domain/snapshot.ts';

/**
 * ATM implied volatility per expiry with its total variance w = σ²T and the forward volatility between
 * consecutive expiries, √((w₂ − w₁)/(T₂ − T₁)) (ORATS, Cboe). A fall in w between expiries is a calendar
 * arbitrage at the money and leaves the forward volatility null.
 */
export function buildTermStructure(chains: readonly ChainSnapshot[]): TermStructurePoint[] {
  const points: TermStructurePoint[] = [];
  let previous: { w: number; T: number } | null = null;
  for (const chain of chains) {
    const T = chain.timeToExpiryYears;
    const atmIv = chain.summary.atmIv;
    const w = atmIv === null ? null : atmIv * atmIv * T;
    let forwardVolatility: number | null = null;
    let calendarArbitrage = false;
    if (w !== null && previous !== null && T > previous.T) {
      const dw = w - previous.w;
      calendarArbitrage = dw < -1e-12;
      forwardVolatility = dw >= 0 ? Math.sqrt(dw / (T - previous.T)) : null;
    }
    points.push({
      expiry: chain.expiry,
      timeToExpiryYears: T,
      atmIv,
      atmTotalVariance: w,
      forwardVolatility,
      calendarArbitrage,
    });
    if (w !== null) {
      previous = { w, T };
    }
  }
  return points;
}
