import { normalPdf } from './normal-distribution.ts';

export interface GammaPosition {
  readonly strike: number;
  /** Implied volatility of the contract, decimal. */
  readonly volatility: number;
  /** Open interest in units. */
  readonly oi: number;
  /** +1 call, −1 put: the sign convention of OpenBB and SqueezeMetrics (dealers long calls, short puts). */
  readonly sign: number;
}

/**
 * Gamma exposure of one position at underlying level U: sign·γ(U)·OI·U²·0.01, i.e. the rupee change of
 * the dealers' delta for a 1 % move. γ is Black's (per the model's underlying) with the position's own
 * IV held fixed (sticky strike). `carryDiscount` is e^{−qT} for Black-Scholes, e^{−rT} for Black-76.
 */
export function gammaExposure(
  position: GammaPosition,
  underlying: number,
  timeToExpiryYears: number,
  carryDiscount: number,
  drift: number,
): number {
  const stdDev = position.volatility * Math.sqrt(timeToExpiryYears);
  if (!(stdDev > 0) || position.oi === 0) {
    return 0;
  }
  const d1 = (Math.log(underlying / position.strike) + drift * timeToExpiryYears) / stdDev + 0.5 * stdDev;
  const gamma = (carryDiscount * normalPdf(d1)) / (underlying * stdDev);
  return position.sign * gamma * position.oi * underlying * underlying * 0.01;
}

/**
 * The underlying level nearest `underlying` where total gamma exposure changes sign, searched on a grid of
 * ±`rangeFraction` in `steps` steps and refined linearly between the bracketing grid points. Null when the
 * total keeps one sign over the range.
 */
export function gammaFlipLevel(
  positions: readonly GammaPosition[],
  underlying: number,
  timeToExpiryYears: number,
  carryDiscount: number,
  drift: number,
  rangeFraction = 0.1,
  steps = 40,
): number | null {
  const total = (level: number) =>
    positions.reduce((sum, p) => sum + gammaExposure(p, level, timeToExpiryYears, carryDiscount, drift), 0);
  const low = underlying * (1 - rangeFraction);
  const step = (2 * rangeFraction * underlying) / steps;
  let previousLevel = low;
  let previous = total(low);
  let best: number | null = null;
  for (let i = 1; i <= steps; i++) {
    const level = low + i * step;
    const value = total(level);
    if ((previous <= 0 && value > 0) || (previous >= 0 && value < 0)) {
      const crossing = previousLevel + (step * previous) / (previous - value);
      if (best === null || Math.abs(crossing - underlying) < Math.abs(best - underlying)) {
        best = crossing;
      }
    }
    previousLevel = level;
    previous = value;
  }
  return best;
}
