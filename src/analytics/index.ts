/**
 * G6's analytics as a library: `import { blackScholes, impliedVolatility } from 'g6/analytics'`.
 * Pure functions, no I/O, no clock. Units are in the names: year fractions (`timeToExpiryYears`),
 * decimals for rates and volatilities (0.15 = 15 %), `vegaPerVolPoint` per 0.01 volatility,
 * `thetaPerDay` per calendar day (annual / 365), `rhoPerRatePoint` per 0.01 rate; vanna (Δ per vol
 * point), volga (vegaPerVolPoint per vol point) and charm (Δ per calendar day) likewise.
 */
export {
  type Black76Input,
  type BlackScholesInput,
  black76,
  black76Batch,
  blackScholes,
  blackScholesBatch,
  type GreeksColumns,
  type OptionGreeks,
  type OptionRight,
  type PricingColumns,
} from './black-scholes.ts';
export { parityForward } from './implied-forward.ts';
export {
  type Black76ImpliedVolatilityInput,
  type ImpliedVolatilityColumns,
  type ImpliedVolatilityFailure,
  type ImpliedVolatilityInput,
  type ImpliedVolatilityOutput,
  type ImpliedVolatilityResult,
  IV_STATUS,
  IV_STATUS_NAMES,
  impliedVolatility,
  impliedVolatilityBatch,
  impliedVolatilityBlack76,
  normalisedImpliedVolatility,
} from './implied-volatility.ts';
export {
  type AtmVolatilityPoint,
  constantMaturityIv,
  IV30_YEARS,
  ivPercentile,
  ivRank,
} from './iv-rank.ts';
export { maxPainStrike } from './max-pain.ts';
export { inverseNormalCdf, normalCdf, normalPdf } from './normal-distribution.ts';
