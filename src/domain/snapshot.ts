import type { ExpiryKind } from './expiry-calendar.ts';
import type { IndexSymbol } from './indices.ts';
import type { OptionQuote } from './market-data.ts';

/** Why an implied volatility is missing; `OK` when it was solved. */
export type IvStatus = 'OK' | 'NO_PRICE' | 'BELOW_INTRINSIC' | 'ABOVE_MAXIMUM' | 'NO_TIME_VALUE' | 'INVALID_INPUT';

export type PriceSource = 'MID' | 'LAST';

/** Analytics of one contract at the snapshot time. Greeks are null when IV could not be solved. */
export interface ContractAnalytics {
  /** Implied volatility, decimal (0.15 = 15 %). */
  readonly iv: number | null;
  readonly ivStatus: IvStatus;
  /** The premium IV was solved from, and where it came from. */
  readonly priceUsed: number | null;
  readonly priceSource: PriceSource | null;
  readonly delta: number | null;
  /** Per index point. */
  readonly gamma: number | null;
  /** Per calendar day (annual theta / 365). */
  readonly thetaPerDay: number | null;
  /** Per 0.01 change in volatility. */
  readonly vegaPerVolPoint: number | null;
  /** Per 0.01 change in the rate. */
  readonly rhoPerRatePoint: number | null;
}

export interface AnalyzedContract {
  readonly quote: OptionQuote;
  readonly analytics: ContractAnalytics;
}

export interface AnalyzedStrike {
  readonly strike: number;
  readonly call: AnalyzedContract | null;
  readonly put: AnalyzedContract | null;
}

export interface ChainSummary {
  /** Listed strike nearest the model forward. */
  readonly atmStrike: number;
  /** Mean of the ATM call and put IVs (whichever solved), decimal. */
  readonly atmIv: number | null;
  /** Σ put OI / Σ call OI over all listed strikes; null when there is no call OI. */
  readonly pcrOi: number | null;
  /** Σ put volume / Σ call volume; null when there is no call volume. */
  readonly pcrVolume: number | null;
  /** Listed strike minimising the total payout to option holders at expiry. */
  readonly maxPainStrike: number | null;
  readonly totalCallOi: number;
  readonly totalPutOi: number;
  readonly totalCallVolume: number;
  readonly totalPutVolume: number;
  /** Contracts whose IV was solved / contracts with a quote. */
  readonly ivSolvedCount: number;
  readonly contractCount: number;
}

/** The conventions behind every number in a chain, so users can reconcile with other sources. */
export interface Methodology {
  readonly model: 'BLACK_SCHOLES';
  /** Annual, continuously compounded, decimal. */
  readonly rate: number;
  readonly dividendYield: number;
  readonly timeBasis: 'CALENDAR_365';
  readonly priceRule: 'MID_ELSE_LAST';
  readonly forward: number;
}

export interface ChainSnapshot {
  readonly index: IndexSymbol;
  /** `YYYY-MM-DD` */
  readonly expiry: string;
  readonly expiryKind: ExpiryKind;
  readonly observedAt: Date;
  readonly spot: number;
  /** ACT/365 from `observedAt` to 15:30 IST on the expiry date. */
  readonly timeToExpiryYears: number;
  /** Ascending by strike. */
  readonly strikes: readonly AnalyzedStrike[];
  readonly summary: ChainSummary;
  readonly methodology: Methodology;
}

/** The latest state of one index: all its open expiries, analysed. */
export interface IndexSnapshot {
  readonly index: IndexSymbol;
  /** Increases by one per accepted collection of this index; lets subscribers detect gaps. */
  readonly seq: number;
  readonly observedAt: Date;
  readonly spot: number;
  /** Ascending by expiry. */
  readonly chains: readonly ChainSnapshot[];
}
