import { normalCdf, normalPdf } from './normal-distribution.ts';

/** 'C' call, 'P' put. */
export type OptionRight = 'C' | 'P';

export interface BlackScholesInput {
  readonly right: OptionRight;
  /** Underlying index level. */
  readonly spot: number;
  readonly strike: number;
  /** Year fraction to expiry (ACT/365 in G6). */
  readonly timeToExpiryYears: number;
  /** Continuously compounded annual rate, decimal. */
  readonly rate: number;
  /** Continuously compounded annual dividend yield, decimal. */
  readonly dividendYield: number;
  /** Annualised volatility, decimal. */
  readonly volatility: number;
}

export interface BlackScholesResult {
  readonly price: number;
  readonly delta: number;
  /** Per index point. */
  readonly gamma: number;
  /** Per 0.01 volatility (one vol point). */
  readonly vegaPerVolPoint: number;
  /** Per calendar day: annual theta / 365. */
  readonly thetaPerDay: number;
  /** Per 0.01 rate (one rate point). */
  readonly rhoPerRatePoint: number;
}

/**
 * Black-Scholes-Merton price and first-order Greeks of a European option on a spot with continuous
 * dividend yield (Hull, "Options, Futures and Other Derivatives", ch. 15 and 19). At expiry or with zero
 * volatility the price is the discounted forward intrinsic value and the Greeks are their limits.
 */
export function blackScholes(input: BlackScholesInput): BlackScholesResult {
  const { right, spot: S, strike: K, timeToExpiryYears: T, rate: r, dividendYield: q, volatility: sigma } = input;
  const discountRate = Math.exp(-r * T);
  const discountDividend = Math.exp(-q * T);
  const sign = right === 'C' ? 1 : -1;
  const sqrtT = Math.sqrt(T);
  const stdDev = sigma * sqrtT;

  if (!(stdDev > 0)) {
    const forward = (S * discountDividend) / discountRate;
    const inTheMoney = sign * (forward - K) > 0;
    return {
      price: Math.max(sign * (S * discountDividend - K * discountRate), 0),
      delta: inTheMoney ? sign * discountDividend : 0,
      gamma: 0,
      vegaPerVolPoint: 0,
      thetaPerDay: inTheMoney ? (sign * (q * S * discountDividend - r * K * discountRate)) / 365 : 0,
      rhoPerRatePoint: inTheMoney ? (sign * K * T * discountRate) / 100 : 0,
    };
  }

  const d1 = (Math.log(S / K) + (r - q) * T) / stdDev + 0.5 * stdDev;
  const d2 = d1 - stdDev;
  const nd1 = normalCdf(sign * d1);
  const nd2 = normalCdf(sign * d2);
  const pdf1 = normalPdf(d1);
  const spotDiscounted = S * discountDividend;
  const strikeDiscounted = K * discountRate;

  const price = sign * (spotDiscounted * nd1 - strikeDiscounted * nd2);
  const thetaPerYear =
    (-spotDiscounted * pdf1 * sigma) / (2 * sqrtT) + sign * (q * spotDiscounted * nd1 - r * strikeDiscounted * nd2);
  return {
    price,
    delta: sign * discountDividend * nd1,
    gamma: (discountDividend * pdf1) / (S * stdDev),
    vegaPerVolPoint: (spotDiscounted * pdf1 * sqrtT) / 100,
    thetaPerDay: thetaPerYear / 365,
    rhoPerRatePoint: (sign * strikeDiscounted * T * nd2) / 100,
  };
}
