import type { MarketState } from './calendar/exchange-calendar.ts';
import type { ExpiryKind } from './expiry-calendar.ts';
import type { ExpiryTag } from './expiry-tags.ts';
import type { IndexSymbol } from './indices.ts';
import type { OptionQuote, SpotDay } from './market-data.ts';

/** Why an implied volatility is missing; `OK` when it was solved. */
export type IvStatus = 'OK' | 'NO_PRICE' | 'BELOW_INTRINSIC' | 'ABOVE_MAXIMUM' | 'NO_TIME_VALUE' | 'INVALID_INPUT';

export type PriceSource = 'MID' | 'LAST';

/** OI build-up of one contract since the day's first snapshot (price change × OI change). */
export type BuildUp = 'LONG_BUILD_UP' | 'SHORT_BUILD_UP' | 'LONG_UNWINDING' | 'SHORT_COVERING' | 'NEUTRAL';

/** Analytics of one contract at the snapshot time. Greeks are null when IV could not be solved. */
export interface ContractAnalytics {
  /** Implied volatility, decimal (0.15 = 15 %). */
  readonly iv: number | null;
  readonly ivStatus: IvStatus;
  /** The premium IV was solved from, and where it came from. */
  readonly priceUsed: number | null;
  readonly priceSource: PriceSource | null;
  /** Per index point of the model's underlying (spot for Black-Scholes, forward for Black-76). */
  readonly delta: number | null;
  /** Per index point, per index point. */
  readonly gamma: number | null;
  /** Per day of the time basis (calendar day on CALENDAR_365, trading day on TRADING_252). */
  readonly thetaPerDay: number | null;
  /** Per 0.01 change in volatility. */
  readonly vegaPerVolPoint: number | null;
  /** Per 0.01 change in the rate. */
  readonly rhoPerRatePoint: number | null;
  /** Delta change per 0.01 volatility. */
  readonly vanna: number | null;
  /** Change of vegaPerVolPoint per 0.01 volatility. */
  readonly volga: number | null;
  /** Delta change per day of the time basis. */
  readonly charm: number | null;
  /** Model value at the contract's IV: the premium itself, or its repricing under a what-if scenario. */
  readonly theoreticalValue: number | null;
  /** OI and price (last traded) change since the day's first snapshot; null without a baseline. */
  readonly oiChange: number | null;
  readonly priceChange: number | null;
  readonly buildUp: BuildUp | null;
}

export interface AnalyzedContract {
  readonly quote: OptionQuote;
  readonly analytics: ContractAnalytics;
}

export interface AnalyzedStrike {
  readonly strike: number;
  /** Listed strikes from the ATM strike: 0 at ATM, +1 the next strike up, −1 the next down. */
  readonly offset: number;
  readonly call: AnalyzedContract | null;
  readonly put: AnalyzedContract | null;
  /** Gamma exposure of this strike: Σ γ·OI·S²·1 % (calls +, puts −), rupees of delta per 1 % move. */
  readonly gammaExposure: number;
}

/** One point of an expiry's smile: the out-of-the-money leg's IV (the average of both at the ATM strike). */
export interface SmilePoint {
  readonly strike: number;
  /** ln(K / F). */
  readonly logMoneyness: number;
  /** Black-Scholes call delta at this point's IV (puts map to 1 + put delta), undiscounted. */
  readonly callDelta: number;
  readonly iv: number;
  readonly callIv: number | null;
  readonly putIv: number | null;
  /** Total implied variance σ²T. */
  readonly totalVariance: number;
}

/** Counts behind the data-quality score. */
export interface DataQuality {
  /** 1 − Σ penalties / contract slots, clipped to [0, 1]; see docs/analytics.md. */
  readonly score: number;
  readonly contractSlots: number;
  readonly missingQuotes: number;
  readonly staleQuotes: number;
  readonly crossedQuotes: number;
  readonly ivFailures: number;
  readonly parityViolations: number;
}

export interface ChainSummary {
  /** Listed strike nearest the forward. */
  readonly atmStrike: number;
  /** Mean of the ATM call and put IVs (whichever solved), decimal. */
  readonly atmIv: number | null;
  /** Mid (else last) of the ATM call plus the ATM put. */
  readonly atmStraddle: number | null;
  /** One standard deviation of the forward to expiry: F·σ_ATM·√T, index points. */
  readonly expectedMove: number | null;
  /** Σ put OI / Σ call OI over the strikes analysed; null when there is no call OI. */
  readonly pcrOi: number | null;
  /** Σ put volume / Σ call volume; null when there is no call volume. */
  readonly pcrVolume: number | null;
  /** Traded premium: Σ put volume × put price used / the same for calls. */
  readonly pcrPremium: number | null;
  /** Σ put OI change / Σ call OI change since the day's first snapshot; null when calls' change is 0. */
  readonly pcrOiChange: number | null;
  /** Listed strike minimising the total payout to option holders at expiry. */
  readonly maxPainStrike: number | null;
  /** Strike with the largest put OI (support) and call OI (resistance). */
  readonly supportStrike: number | null;
  readonly resistanceStrike: number | null;
  /** IV at the 25-delta call and put, by linear interpolation in delta along the smile. */
  readonly iv25DeltaCall: number | null;
  readonly iv25DeltaPut: number | null;
  /** iv25DeltaCall − iv25DeltaPut. */
  readonly riskReversal25Delta: number | null;
  /** (iv25DeltaCall + iv25DeltaPut)/2 − atmIv. */
  readonly butterfly25Delta: number | null;
  /** Σ per-strike gamma exposure; see AnalyzedStrike.gammaExposure. */
  readonly totalGammaExposure: number;
  /** Underlying level at which total gamma exposure changes sign (nearest the spot), sticky-strike IVs. */
  readonly gammaFlipLevel: number | null;
  /** In [−1, 1]; see docs/analytics.md for the formula. */
  readonly sentimentScore: number;
  readonly dataQuality: DataQuality;
  readonly totalCallOi: number;
  readonly totalPutOi: number;
  readonly totalCallVolume: number;
  readonly totalPutVolume: number;
  /** Contracts whose IV was solved / contracts with a quote. */
  readonly ivSolvedCount: number;
  readonly contractCount: number;
}

export type PricingModel = 'BLACK_SCHOLES' | 'BLACK_76';
export type ForwardSource = 'SPOT_CARRY' | 'PUT_CALL_PARITY' | 'FUTURES';
export type TimeBasis = 'CALENDAR_365' | 'TRADING_252';
export type PriceRule = 'MID_ELSE_LAST' | 'LAST';

/** The conventions a user can choose (server default by config, per query by argument). */
export interface PricingConventions {
  /** BLACK_SCHOLES on the spot with `dividendYield` (NSE); BLACK_76 on the forward (Sensibull, OpenAlgo). */
  readonly model: PricingModel;
  /** Where Black-76's forward comes from; Black-Scholes always uses S·e^((r−q)T). */
  readonly forwardSource: ForwardSource;
  /** Annual, continuously compounded, decimal. */
  readonly rate: number;
  readonly dividendYield: number;
  readonly timeBasis: TimeBasis;
  readonly priceRule: PriceRule;
}

/** The conventions behind every number in a chain, so users can reconcile with other sources. */
export interface Methodology extends PricingConventions {
  /** The forward used for ATM, moneyness and (Black-76) pricing. */
  readonly forward: number;
  /** The source actually used: PUT_CALL_PARITY or FUTURES fall back to SPOT_CARRY when unavailable. */
  readonly forwardSourceUsed: ForwardSource;
  /** Year fraction in the time basis, from the snapshot to the expiry cut-off (15:30 IST; NSE 15:40 from 3 Aug 2026). */
  readonly timeToExpiryYears: number;
}

export interface ChainSnapshot {
  readonly index: IndexSymbol;
  /** `YYYY-MM-DD` */
  readonly expiry: string;
  readonly expiryKind: ExpiryKind;
  /** The roles this expiry fills among the index's open expiries (see src/domain/expiry-tags.ts). */
  readonly expiryTags: readonly ExpiryTag[];
  readonly observedAt: Date;
  readonly spot: number;
  /** The index's day (open, high, low, previous close, changes) where the provider reports it. */
  readonly day: IndexDay | null;
  /** The expiry's futures price when the provider quoted one. */
  readonly futuresPrice: number | null;
  /** From `observedAt` to the expiry date's cut-off, in the methodology's time basis. */
  readonly timeToExpiryYears: number;
  /** Ascending by strike. */
  readonly strikes: readonly AnalyzedStrike[];
  readonly summary: ChainSummary;
  /** Ascending by strike; strikes without a solved IV are left out. */
  readonly smile: readonly SmilePoint[];
  readonly methodology: Methodology;
}

/** The latest state of one index: all its open expiries, analysed. */
export interface IndexSnapshot {
  readonly index: IndexSymbol;
  /** Increases by one per accepted collection of this index; lets subscribers detect gaps. */
  readonly seq: number;
  readonly observedAt: Date;
  readonly spot: number;
  readonly day: IndexDay | null;
  /** The market at `observedAt`: a snapshot taken while CLOSED (or HOLIDAY) holds the session's close. */
  readonly market: SnapshotMarket;
  /** Ascending by expiry. */
  readonly chains: readonly ChainSnapshot[];
  readonly termStructure: readonly TermStructurePoint[];
  readonly surface: VolatilitySurface;
}

/** The index's session so far, with its changes at the snapshot's spot. */
export interface IndexDay extends SpotDay {
  /** spot − previousClose, index points. */
  readonly netChange: number;
  /** netChange / previousClose × 100. */
  readonly netChangePercent: number;
  /** spot − open, index points. */
  readonly changeFromOpen: number;
}

export function indexDayOf(spot: number, day: SpotDay | null): IndexDay | null {
  if (day === null || !(day.previousClose > 0) || !(day.open > 0)) {
    return null;
  }
  const netChange = spot - day.previousClose;
  return {
    ...day,
    netChange,
    netChangePercent: (netChange / day.previousClose) * 100,
    changeFromOpen: spot - day.open,
  };
}

export interface SnapshotMarket {
  readonly state: MarketState;
  /** The session the prices belong to (`YYYY-MM-DD`): the current one, else the last that closed. */
  readonly tradingDay: string;
}

export interface TermStructurePoint {
  readonly expiry: string;
  readonly timeToExpiryYears: number;
  readonly atmIv: number | null;
  /** atmIv²·T. */
  readonly atmTotalVariance: number | null;
  /** Forward volatility from the previous expiry: √((w₂ − w₁)/(T₂ − T₁)); null first or when w falls. */
  readonly forwardVolatility: number | null;
  /** Total variance fell from the previous expiry: a calendar arbitrage at the money. */
  readonly calendarArbitrage: boolean;
}

/** Implied volatility on a fixed log-moneyness grid × the open expiries, interpolated in total variance. */
export interface VolatilitySurface {
  /** ln(K/F) columns. */
  readonly logMoneyness: readonly number[];
  readonly rows: readonly VolatilitySurfaceRow[];
}

export interface VolatilitySurfaceRow {
  readonly expiry: string;
  readonly timeToExpiryYears: number;
  /** IV per grid column; null outside the strikes quoted for this expiry (no extrapolation). */
  readonly iv: readonly (number | null)[];
  /** Per column: total variance below the previous expiry's at the same moneyness. */
  readonly calendarArbitrage: readonly boolean[];
  /** Strikes where the smile's call prices break convexity or monotonicity in strike. */
  readonly butterflyArbitrageStrikes: readonly number[];
}

/** Every quoted contract of a chain, strike by strike, call before put. */
export function* contractsOf(
  chain: ChainSnapshot,
): Generator<{ readonly strike: number; readonly right: 'CE' | 'PE'; readonly contract: AnalyzedContract }> {
  for (const row of chain.strikes) {
    if (row.call !== null) {
      yield { strike: row.strike, right: 'CE', contract: row.call };
    }
    if (row.put !== null) {
      yield { strike: row.strike, right: 'PE', contract: row.put };
    }
  }
}
