/**
 * The simulated market's implied-volatility surface. With standardised moneyness
 * z = ln(K/F) / (σ_atm·√T), σ(K, T) = σ_atm(T)·√(max(0.25, 1 + skew·z + curvature·z²)): a put skew (lower
 * strikes dearer, as on Indian indices) with a mild smile, and an ATM level rising gently with maturity.
 */
export const SMILE_SKEW = -0.1;
export const SMILE_CURVATURE = 0.025;
const MAX_ABS_MONEYNESS = 5;

/** ATM volatility of an expiry `timeToExpiryYears` away, given the market's current volatility level. */
export function atmVolatility(volatilityLevel: number, timeToExpiryYears: number): number {
  return volatilityLevel * (0.95 + 0.1 * Math.min(1, Math.sqrt(Math.max(timeToExpiryYears, 0) / 0.25)));
}

export function smileVolatility(
  volatilityLevel: number,
  forward: number,
  strike: number,
  timeToExpiryYears: number,
): number {
  const atm = atmVolatility(volatilityLevel, timeToExpiryYears);
  const scale = atm * Math.sqrt(Math.max(timeToExpiryYears, 1e-6));
  const z = Math.max(-MAX_ABS_MONEYNESS, Math.min(MAX_ABS_MONEYNESS, Math.log(strike / forward) / scale));
  return atm * Math.sqrt(Math.max(0.25, 1 + SMILE_SKEW * z + SMILE_CURVATURE * z * z));
}
