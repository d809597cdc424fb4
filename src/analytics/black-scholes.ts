import { normalCdfGivenGaussian } from './normal-distribution.ts';

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

export interface Black76Input {
  readonly right: OptionRight;
  /** Forward price for the option's expiry (futures price or put-call-parity forward). */
  readonly forward: number;
  readonly strike: number;
  readonly timeToExpiryYears: number;
  /** Discounts the premium; the forward already carries the cost of carry. */
  readonly rate: number;
  readonly volatility: number;
}

/**
 * Price and Greeks. Sensitivities are to the model's underlying: the spot for Black-Scholes-Merton, the
 * forward for Black-76 (where rho holds the forward fixed, so it is −T·price).
 */
export interface OptionGreeks {
  /** Index points. */
  readonly price: number;
  /** ∂V/∂underlying, per index point. */
  readonly delta: number;
  /** ∂²V/∂underlying², per index point per index point. */
  readonly gamma: number;
  /** Price change for +0.01 volatility (one vol point). */
  readonly vegaPerVolPoint: number;
  /** Price change over one calendar day (annual ∂V/∂t / 365), usually negative. */
  readonly thetaPerDay: number;
  /** Price change for +0.01 rate (one rate point). */
  readonly rhoPerRatePoint: number;
  /** ∂Δ/∂σ: delta change for +0.01 volatility. */
  readonly vanna: number;
  /** ∂²V/∂σ² (vomma): change of `vegaPerVolPoint` for +0.01 volatility. */
  readonly volga: number;
  /** −∂Δ/∂T: delta change over one calendar day (annual / 365). */
  readonly charm: number;
}

const INV_SQRT_2PI = 0.3989422804014327;
const DAYS_PER_YEAR = 365;

/** Input columns of the batch pricers; all the same length. */
export interface PricingColumns {
  /** +1 call, −1 put. */
  readonly right: Int8Array;
  /** Spot for `blackScholesBatch`, forward for `black76Batch`. */
  readonly underlying: Float64Array;
  readonly strike: Float64Array;
  readonly timeToExpiryYears: Float64Array;
  readonly rate: Float64Array;
  /** Ignored by `black76Batch`. */
  readonly dividendYield: Float64Array;
  readonly volatility: Float64Array;
}

/** Output columns (units as in `OptionGreeks`); the second-order ones are optional. */
export interface GreeksColumns {
  readonly price: Float64Array;
  readonly delta: Float64Array;
  readonly gamma: Float64Array;
  readonly vegaPerVolPoint: Float64Array;
  readonly thetaPerDay: Float64Array;
  readonly rhoPerRatePoint: Float64Array;
  readonly vanna?: Float64Array;
  readonly volga?: Float64Array;
  readonly charm?: Float64Array;
}

/** Price and Greeks for every option of the columns, Black-Scholes-Merton on the spot. */
export function blackScholesBatch(input: PricingColumns, output: GreeksColumns): void {
  priceBatch(input, output, false);
}

/** Price and Greeks for every option of the columns, Black-76 on the forward. */
export function black76Batch(input: PricingColumns, output: GreeksColumns): void {
  priceBatch(input, output, true);
}

/**
 * The one pricing kernel (Hull, "Options, Futures and Other Derivatives", ch. 15, 19; second order per
 * Haug, "The Complete Guide to Option Pricing Formulas", §2.2). Black-76 is the case q = r on S := F,
 * except rho, which for Black-76 holds the forward fixed (−T·V). One exponential serves both normal
 * densities and distributions: e^{−d2²/2} = e^{−d1²/2}·F/K. Kept as one flat loop because V8 does not
 * inline a per-option helper that writes several results, which halves throughput.
 */
function priceBatch(input: PricingColumns, output: GreeksColumns, forwardModel: boolean): void {
  const { right, underlying, strike, timeToExpiryYears, rate, dividendYield, volatility } = input;
  const { price, delta, gamma, vegaPerVolPoint, thetaPerDay, rhoPerRatePoint, vanna, volga, charm } = output;
  const secondOrder = vanna !== undefined || volga !== undefined || charm !== undefined;
  const n = underlying.length;
  for (let i = 0; i < n; i++) {
    const sign = right[i]!;
    const S = underlying[i]!;
    const K = strike[i]!;
    const T = timeToExpiryYears[i]!;
    const r = rate[i]!;
    const q = forwardModel ? r : dividendYield[i]!;
    const sigma = volatility[i]!;
    const discountRate = Math.exp(-r * T);
    const discountDividend = q === r ? discountRate : q === 0 ? 1 : Math.exp(-q * T);
    const sqrtT = Math.sqrt(T);
    const stdDev = sigma * sqrtT;
    const spotDiscounted = S * discountDividend;
    const strikeDiscounted = K * discountRate;

    if (!(stdDev > 0)) {
      // At expiry or with zero volatility: the discounted forward intrinsic value and its limits.
      const intrinsic = sign * (spotDiscounted - strikeDiscounted);
      const inTheMoney = intrinsic > 0;
      const value = inTheMoney ? intrinsic : 0;
      const optionDelta = inTheMoney ? sign * discountDividend : 0;
      price[i] = value;
      delta[i] = optionDelta;
      gamma[i] = 0;
      vegaPerVolPoint[i] = 0;
      thetaPerDay[i] = inTheMoney ? (sign * (q * spotDiscounted - r * strikeDiscounted)) / DAYS_PER_YEAR : 0;
      rhoPerRatePoint[i] = (forwardModel ? -T * value : inTheMoney ? sign * K * T * discountRate : 0) / 100;
      if (secondOrder) {
        if (vanna !== undefined) {
          vanna[i] = 0;
        }
        if (volga !== undefined) {
          volga[i] = 0;
        }
        if (charm !== undefined) {
          charm[i] = (q * optionDelta) / DAYS_PER_YEAR;
        }
      }
      continue;
    }

    const forwardOverStrike = spotDiscounted / strikeDiscounted;
    // ln(F/K) from S/K and the carry, near the money by log1p of an exact difference: dividing by a tiny
    // σ√T (the last minutes before expiry) magnifies any rounding of the log, and theta with it.
    const d1 = (logRatio(S, K) + (r - q) * T) / stdDev + 0.5 * stdDev;
    const d2 = d1 - stdDev;
    const gaussian1 = Math.exp(-0.5 * d1 * d1);
    const nd1 = normalCdfGivenGaussian(sign * d1, gaussian1);
    const nd2 = normalCdfGivenGaussian(sign * d2, gaussian1 * forwardOverStrike);
    const pdf1 = INV_SQRT_2PI * gaussian1;
    const value = sign * (spotDiscounted * nd1 - strikeDiscounted * nd2);
    const optionDelta = sign * discountDividend * nd1;
    const vegaPerUnit = spotDiscounted * pdf1 * sqrtT;

    price[i] = value;
    delta[i] = optionDelta;
    gamma[i] = (discountDividend * pdf1) / (S * stdDev);
    vegaPerVolPoint[i] = vegaPerUnit / 100;
    thetaPerDay[i] =
      ((-spotDiscounted * pdf1 * sigma) / (2 * sqrtT) +
        sign * (q * spotDiscounted * nd1 - r * strikeDiscounted * nd2)) /
      DAYS_PER_YEAR;
    rhoPerRatePoint[i] = (forwardModel ? -T * value : sign * strikeDiscounted * T * nd2) / 100;
    if (secondOrder) {
      if (vanna !== undefined) {
        vanna[i] = (-discountDividend * pdf1 * d2) / sigma / 100;
      }
      if (volga !== undefined) {
        volga[i] = (vegaPerUnit * d1 * d2) / sigma / 10_000;
      }
      if (charm !== undefined) {
        charm[i] =
          (q * optionDelta - (discountDividend * pdf1 * (2 * (r - q) * T - d2 * stdDev)) / (2 * T * stdDev)) /
          DAYS_PER_YEAR;
      }
    }
  }
}

/** ln(a/b), accurate to the last bit of the difference when a and b are close. */
function logRatio(a: number, b: number): number {
  const difference = a - b;
  return Math.abs(difference) < 0.5 * b ? Math.log1p(difference / b) : Math.log(a / b);
}

// One-option columns reused by the scalar API (single-threaded, and no call re-enters it).
const one = {
  right: new Int8Array(1),
  underlying: new Float64Array(1),
  strike: new Float64Array(1),
  timeToExpiryYears: new Float64Array(1),
  rate: new Float64Array(1),
  dividendYield: new Float64Array(1),
  volatility: new Float64Array(1),
};
const oneOut = {
  price: new Float64Array(1),
  delta: new Float64Array(1),
  gamma: new Float64Array(1),
  vegaPerVolPoint: new Float64Array(1),
  thetaPerDay: new Float64Array(1),
  rhoPerRatePoint: new Float64Array(1),
  vanna: new Float64Array(1),
  volga: new Float64Array(1),
  charm: new Float64Array(1),
};

function priceOne(
  right: OptionRight,
  underlying: number,
  strike: number,
  T: number,
  rate: number,
  dividendYield: number,
  volatility: number,
  forwardModel: boolean,
): OptionGreeks {
  one.right[0] = right === 'C' ? 1 : -1;
  one.underlying[0] = underlying;
  one.strike[0] = strike;
  one.timeToExpiryYears[0] = T;
  one.rate[0] = rate;
  one.dividendYield[0] = dividendYield;
  one.volatility[0] = volatility;
  priceBatch(one, oneOut, forwardModel);
  return {
    price: oneOut.price[0]!,
    delta: oneOut.delta[0]!,
    gamma: oneOut.gamma[0]!,
    vegaPerVolPoint: oneOut.vegaPerVolPoint[0]!,
    thetaPerDay: oneOut.thetaPerDay[0]!,
    rhoPerRatePoint: oneOut.rhoPerRatePoint[0]!,
    vanna: oneOut.vanna[0]!,
    volga: oneOut.volga[0]!,
    charm: oneOut.charm[0]!,
  };
}

/**
 * Black-Scholes-Merton price and Greeks of a European option on a spot with continuous dividend yield
 * (NSE's convention: spot, fixed rate). At expiry or with zero volatility the price is the discounted
 * forward intrinsic value and the Greeks are their limits.
 */
export function blackScholes(input: BlackScholesInput): OptionGreeks {
  return priceOne(
    input.right,
    input.spot,
    input.strike,
    input.timeToExpiryYears,
    input.rate,
    input.dividendYield,
    input.volatility,
    false,
  );
}

/**
 * Black-76 price and Greeks of a European option on a forward (Sensibull's and OpenAlgo's convention:
 * futures or parity forward; the rate only discounts the premium and is often taken as 0).
 */
export function black76(input: Black76Input): OptionGreeks {
  return priceOne(
    input.right,
    input.forward,
    input.strike,
    input.timeToExpiryYears,
    input.rate,
    input.rate,
    input.volatility,
    true,
  );
}
