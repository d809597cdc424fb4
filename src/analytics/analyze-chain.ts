import type { ExpiryQuotes, OptionQuote } from '../domain/market-data.ts';
import type {
  AnalyzedContract,
  AnalyzedStrike,
  ChainSummary,
  ContractAnalytics,
  ForwardSource,
  IvStatus,
  Methodology,
  PriceRule,
  PriceSource,
  PricingConventions,
  SmilePoint,
} from '../domain/snapshot.ts';
import { nearestStrike } from './atm-strike.ts';
import { black76Batch, blackScholesBatch, type PricingColumns } from './black-scholes.ts';
import { dataQuality } from './data-quality.ts';
import { type GammaPosition, gammaExposure, gammaFlipLevel } from './gamma-exposure.ts';
import { type ParityQuote, parityForward } from './implied-forward.ts';
import { IV_STATUS, IV_STATUS_NAMES, impliedVolatilityBatch } from './implied-volatility.ts';
import { maxPainStrike } from './max-pain.ts';
import { classifyBuildUp } from './oi-build-up.ts';
import { putCallRatio } from './put-call-ratio.ts';
import { sentimentScore } from './sentiment-score.ts';
import { buildSmile, ivAtCallDelta } from './smile.ts';

/** The day's first observation of a contract, the baseline of OI change and build-up. */
export interface ContractBaseline {
  readonly oi: number;
  readonly lastPrice: number | null;
}

/** What-if shifts applied on top of the market (the stored snapshot is never touched). */
export interface Scenario {
  /** Shift of the spot (and forward) in percent, e.g. −2 for −2 %. */
  readonly spotShiftPct: number;
  /** Added to every IV, in vol points (1 = 0.01). */
  readonly volShiftPts: number;
  /** Days of the time basis to roll forward (time to expiry shrinks, floored at zero). */
  readonly daysForward: number;
  /** Replaces the rate when set. */
  readonly rate: number | null;
}

export interface ChainAnalysisInput {
  readonly chain: ExpiryQuotes;
  readonly spot: number;
  /** In the conventions' time basis. */
  readonly timeToExpiryYears: number;
  readonly conventions: PricingConventions;
  /** The expiry's futures price where the provider has one. */
  readonly futuresPrice?: number | null;
  readonly observedAt: Date;
  /** A LAST price older than this is stale. */
  readonly staleAfterMs: number;
  /** By tradingsymbol; absent or missing entries leave OI change and build-up null. */
  readonly baseline?: ReadonlyMap<string, ContractBaseline>;
  /** Option tick size, for the parity check's slack. */
  readonly tickSize?: number;
}

export interface ChainAnalysis {
  readonly strikes: AnalyzedStrike[];
  readonly summary: ChainSummary;
  readonly smile: SmilePoint[];
  readonly methodology: Methodology;
}

const NO_GREEKS = {
  delta: null,
  gamma: null,
  thetaPerDay: null,
  vegaPerVolPoint: null,
  rhoPerRatePoint: null,
  vanna: null,
  volga: null,
  charm: null,
} as const;

/** Mid of a two-sided, uncrossed book (MID_ELSE_LAST); else, or always for LAST, the last traded price. */
export function choosePremium(
  quote: OptionQuote,
  rule: PriceRule = 'MID_ELSE_LAST',
): { price: number; source: PriceSource } | null {
  const { bid, ask, lastPrice } = quote;
  if (rule === 'MID_ELSE_LAST' && bid !== null && ask !== null && bid > 0 && ask >= bid) {
    return { price: (bid + ask) / 2, source: 'MID' };
  }
  if (lastPrice !== null && lastPrice > 0) {
    return { price: lastPrice, source: 'LAST' };
  }
  return null;
}

function isCrossed(quote: OptionQuote): boolean {
  return quote.bid !== null && quote.ask !== null && quote.bid > 0 && quote.ask > 0 && quote.bid > quote.ask;
}

/** Days per year of the time basis: theta and charm are quoted per day of the same basis. */
function daysPerYear(conventions: PricingConventions): number {
  return conventions.timeBasis === 'TRADING_252' ? 252 : 365;
}

interface Leg {
  readonly strikeIndex: number;
  readonly right: 1 | -1;
  readonly quote: OptionQuote;
  readonly premium: { price: number; source: PriceSource } | null;
}

/**
 * IV, Greeks and every chain-level number for one expiry, computed once per snapshot. The contracts go
 * through the batch solvers as columns; one bad contract gets a tagged IV failure and never drops the
 * chain. With a `scenario`, Greeks and theoretical values are recomputed at shifted spot, vol, time and
 * rate from each contract's solved IV (sticky strike).
 */
export function analyzeChain(input: ChainAnalysisInput, scenario?: Scenario): ChainAnalysis {
  const { chain, spot, timeToExpiryYears: T, conventions } = input;
  const rule = conventions.priceRule;
  const rate = conventions.rate;
  const legs: Leg[] = [];
  chain.strikes.forEach((row, strikeIndex) => {
    if (row.call !== null) {
      legs.push({ strikeIndex, right: 1, quote: row.call, premium: choosePremium(row.call, rule) });
    }
    if (row.put !== null) {
      legs.push({ strikeIndex, right: -1, quote: row.put, premium: choosePremium(row.put, rule) });
    }
  });

  // Both premiums per strike, for the parity forward.
  const parityQuotes: { strike: number; callPrice: number | null; putPrice: number | null }[] = chain.strikes.map(
    (row) => ({ strike: row.strike, callPrice: null, putPrice: null }),
  );
  for (const leg of legs) {
    const slot = parityQuotes[leg.strikeIndex]!;
    if (leg.right === 1) {
      slot.callPrice = leg.premium?.price ?? null;
    } else {
      slot.putPrice = leg.premium?.price ?? null;
    }
  }
  const { forward, forwardSourceUsed } = chooseForward(input, parityQuotes);
  const blackScholes = conventions.model === 'BLACK_SCHOLES';
  // Black-Scholes prices on the spot with the dividend yield; Black-76 on the forward with q = r.
  const underlying = blackScholes ? spot : forward;
  const carryYield = blackScholes ? conventions.dividendYield : rate;

  const n = legs.length;
  const columns = {
    right: new Int8Array(n),
    price: new Float64Array(n),
    spot: new Float64Array(n).fill(underlying),
    strike: new Float64Array(n),
    timeToExpiryYears: new Float64Array(n).fill(T),
    rate: new Float64Array(n).fill(rate),
    dividendYield: new Float64Array(n).fill(carryYield),
  };
  legs.forEach((leg, i) => {
    columns.right[i] = leg.right;
    columns.price[i] = leg.premium?.price ?? Number.NaN;
    columns.strike[i] = chain.strikes[leg.strikeIndex]!.strike;
  });
  const solved = { volatility: new Float64Array(n), status: new Uint8Array(n) };
  impliedVolatilityBatch(columns, solved);

  const pricing = scenarioPricing(columns, solved.volatility, daysPerYear(conventions), scenario);
  const greeks = {
    price: new Float64Array(n),
    delta: new Float64Array(n),
    gamma: new Float64Array(n),
    vegaPerVolPoint: new Float64Array(n),
    thetaPerDay: new Float64Array(n),
    rhoPerRatePoint: new Float64Array(n),
    vanna: new Float64Array(n),
    volga: new Float64Array(n),
    charm: new Float64Array(n),
  };
  (blackScholes ? blackScholesBatch : black76Batch)(pricing, greeks);
  const perDay = 365 / daysPerYear(conventions);

  const analyzed: ContractAnalytics[] = legs.map((leg, i) => {
    const baseline = input.baseline?.get(leg.quote.tradingsymbol);
    const oiChange = baseline === undefined ? null : leg.quote.oi - baseline.oi;
    const priceChange =
      baseline === undefined || baseline.lastPrice === null || leg.quote.lastPrice === null
        ? null
        : leg.quote.lastPrice - baseline.lastPrice;
    const movement = {
      oiChange,
      priceChange,
      buildUp: oiChange === null || priceChange === null ? null : classifyBuildUp(priceChange, oiChange),
    };
    if (leg.premium === null) {
      return {
        iv: null,
        ivStatus: 'NO_PRICE',
        priceUsed: null,
        priceSource: null,
        ...NO_GREEKS,
        ...movement,
        theoreticalValue: null,
      };
    }
    const status = solved.status[i]!;
    if (status !== IV_STATUS.OK) {
      return {
        iv: null,
        ivStatus: IV_STATUS_NAMES[status] as IvStatus,
        priceUsed: leg.premium.price,
        priceSource: leg.premium.source,
        ...NO_GREEKS,
        ...movement,
        theoreticalValue: null,
      };
    }
    return {
      iv: solved.volatility[i]!,
      ivStatus: 'OK',
      priceUsed: leg.premium.price,
      priceSource: leg.premium.source,
      delta: greeks.delta[i]!,
      gamma: greeks.gamma[i]!,
      thetaPerDay: greeks.thetaPerDay[i]! * perDay,
      vegaPerVolPoint: greeks.vegaPerVolPoint[i]!,
      rhoPerRatePoint: greeks.rhoPerRatePoint[i]!,
      vanna: greeks.vanna[i]!,
      volga: greeks.volga[i]!,
      charm: greeks.charm[i]! * perDay,
      ...movement,
      theoreticalValue: greeks.price[i]!,
    };
  });

  // Gamma exposure: sticky-strike IVs, dealers long calls and short puts (OpenBB's convention).
  const discount = Math.exp(-carryYield * T);
  const drift = rate - carryYield;
  const positions: GammaPosition[] = [];
  const strikeGex = new Float64Array(chain.strikes.length);
  legs.forEach((leg, i) => {
    const iv = analyzed[i]!.iv;
    if (iv !== null && leg.quote.oi > 0) {
      const position = {
        strike: chain.strikes[leg.strikeIndex]!.strike,
        volatility: iv,
        oi: leg.quote.oi,
        sign: leg.right,
      };
      positions.push(position);
      strikeGex[leg.strikeIndex]! += gammaExposure(position, underlying, T, discount, drift);
    }
  });

  const contractsByStrike: { call: AnalyzedContract | null; put: AnalyzedContract | null }[] = chain.strikes.map(
    () => ({
      call: null,
      put: null,
    }),
  );
  legs.forEach((leg, i) => {
    const analytics = analyzed[i]!;
    const slot = contractsByStrike[leg.strikeIndex]!;
    if (leg.right === 1) {
      slot.call = { quote: leg.quote, analytics };
    } else {
      slot.put = { quote: leg.quote, analytics };
    }
  });
  const atmStrike = nearestStrike(
    chain.strikes.map((s) => s.strike),
    forward,
  );
  const atmPosition = chain.strikes.findIndex((s) => s.strike === atmStrike);
  const strikes: AnalyzedStrike[] = chain.strikes.map((row, i) => ({
    strike: row.strike,
    offset: i - atmPosition,
    call: contractsByStrike[i]!.call,
    put: contractsByStrike[i]!.put,
    gammaExposure: strikeGex[i]!,
  }));

  const smile = buildSmile(
    strikes.map((s) => ({
      strike: s.strike,
      callIv: s.call?.analytics.iv ?? null,
      putIv: s.put?.analytics.iv ?? null,
    })),
    forward,
    atmStrike,
    T,
  );
  const summary = summarise(input, strikes, legs, analyzed, atmStrike, forward, smile, positions, {
    underlying,
    discount,
    drift,
  });
  const methodology: Methodology = { ...conventions, forward, forwardSourceUsed, timeToExpiryYears: T };
  return { strikes, summary, smile, methodology };
}

/**
 * Pricing columns: the IV solver's own columns at the solved volatilities, or copies shifted by the
 * scenario (spot, each IV, time, rate).
 */
function scenarioPricing(
  columns: {
    right: Int8Array;
    spot: Float64Array;
    strike: Float64Array;
    timeToExpiryYears: Float64Array;
    rate: Float64Array;
    dividendYield: Float64Array;
  },
  volatility: Float64Array,
  basisDaysPerYear: number,
  scenario: Scenario | undefined,
): PricingColumns {
  const { right, strike, dividendYield } = columns;
  if (scenario === undefined) {
    const { spot: underlying, timeToExpiryYears, rate } = columns;
    return { right, underlying, strike, timeToExpiryYears, rate, dividendYield, volatility };
  }
  const n = volatility.length;
  const shiftedVolatility = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    shiftedVolatility[i] = Math.max(0, volatility[i]! + scenario.volShiftPts / 100);
  }
  return {
    right,
    underlying: columns.spot.map((u) => u * (1 + scenario.spotShiftPct / 100)),
    strike,
    timeToExpiryYears: columns.timeToExpiryYears.map((T) => Math.max(0, T - scenario.daysForward / basisDaysPerYear)),
    rate: scenario.rate === null ? columns.rate : new Float64Array(n).fill(scenario.rate),
    dividendYield,
    volatility: shiftedVolatility,
  };
}

function chooseForward(
  input: ChainAnalysisInput,
  parityQuotes: readonly ParityQuote[],
): { forward: number; forwardSourceUsed: ForwardSource } {
  const { conventions, spot, timeToExpiryYears: T } = input;
  const carry = spot * Math.exp((conventions.rate - conventions.dividendYield) * T);
  if (conventions.model === 'BLACK_SCHOLES' || conventions.forwardSource === 'SPOT_CARRY') {
    return { forward: carry, forwardSourceUsed: 'SPOT_CARRY' };
  }
  if (conventions.forwardSource === 'FUTURES' && input.futuresPrice != null && input.futuresPrice > 0) {
    return { forward: input.futuresPrice, forwardSourceUsed: 'FUTURES' };
  }
  const parity = parityForward(parityQuotes, conventions.rate, T);
  return parity === null
    ? { forward: carry, forwardSourceUsed: 'SPOT_CARRY' }
    : { forward: parity.forward, forwardSourceUsed: 'PUT_CALL_PARITY' };
}

function summarise(
  input: ChainAnalysisInput,
  strikes: readonly AnalyzedStrike[],
  legs: readonly Leg[],
  analyzed: readonly ContractAnalytics[],
  atmStrike: number,
  forward: number,
  smile: readonly SmilePoint[],
  positions: readonly GammaPosition[],
  model: { underlying: number; discount: number; drift: number },
): ChainSummary {
  const T = input.timeToExpiryYears;
  let totalCallOi = 0;
  let totalPutOi = 0;
  let totalCallVolume = 0;
  let totalPutVolume = 0;
  let callPremium = 0;
  let putPremium = 0;
  let callOiChange: number | null = null;
  let putOiChange: number | null = null;
  let ivSolvedCount = 0;
  let missingQuotes = 2 * strikes.length - legs.length;
  let staleQuotes = 0;
  let crossedQuotes = 0;
  let ivFailures = 0;
  legs.forEach((leg, i) => {
    const { quote } = leg;
    const analytics = analyzed[i]!;
    const isCall = leg.right === 1;
    if (isCall) {
      totalCallOi += quote.oi;
      totalCallVolume += quote.volume;
      callPremium += quote.volume * (analytics.priceUsed ?? 0);
    } else {
      totalPutOi += quote.oi;
      totalPutVolume += quote.volume;
      putPremium += quote.volume * (analytics.priceUsed ?? 0);
    }
    if (analytics.oiChange !== null) {
      if (isCall) {
        callOiChange = (callOiChange ?? 0) + analytics.oiChange;
      } else {
        putOiChange = (putOiChange ?? 0) + analytics.oiChange;
      }
    }
    if (analytics.ivStatus === 'OK') {
      ivSolvedCount++;
    } else if (analytics.ivStatus === 'NO_PRICE') {
      missingQuotes++;
    } else {
      ivFailures++;
    }
    if (isCrossed(quote)) {
      crossedQuotes++;
    }
    if (
      analytics.priceSource === 'LAST' &&
      (quote.lastTradeTime === null || input.observedAt.getTime() - quote.lastTradeTime.getTime() > input.staleAfterMs)
    ) {
      staleQuotes++;
    }
  });

  const atmRow = strikes.find((s) => s.strike === atmStrike);
  const atmIvs = [atmRow?.call?.analytics.iv, atmRow?.put?.analytics.iv].filter(
    (iv): iv is number => typeof iv === 'number',
  );
  const atmIv = atmIvs.length > 0 ? atmIvs.reduce((a, b) => a + b, 0) / atmIvs.length : null;
  const atmCall = atmRow?.call?.analytics.priceUsed ?? null;
  const atmPut = atmRow?.put?.analytics.priceUsed ?? null;
  const expectedMove = atmIv === null ? null : forward * atmIv * Math.sqrt(T);
  const iv25DeltaCall = ivAtCallDelta(smile, 0.25);
  const iv25DeltaPut = ivAtCallDelta(smile, 0.75);
  const riskReversal25Delta = iv25DeltaCall !== null && iv25DeltaPut !== null ? iv25DeltaCall - iv25DeltaPut : null;
  const maxPain = maxPainStrike(
    strikes.map((s) => ({ strike: s.strike, callOi: s.call?.quote.oi ?? 0, putOi: s.put?.quote.oi ?? 0 })),
  );
  const pcrOi = putCallRatio(totalPutOi, totalCallOi);

  return {
    atmStrike,
    atmIv,
    atmStraddle: atmCall !== null && atmPut !== null ? atmCall + atmPut : null,
    expectedMove,
    pcrOi,
    pcrVolume: putCallRatio(totalPutVolume, totalCallVolume),
    pcrPremium: putCallRatio(putPremium, callPremium),
    pcrOiChange:
      callOiChange === null || putOiChange === null || callOiChange === 0 ? null : putOiChange / callOiChange,
    maxPainStrike: maxPain,
    supportStrike: argMax(strikes, (s) => s.put?.quote.oi ?? 0),
    resistanceStrike: argMax(strikes, (s) => s.call?.quote.oi ?? 0),
    iv25DeltaCall,
    iv25DeltaPut,
    riskReversal25Delta,
    butterfly25Delta:
      iv25DeltaCall !== null && iv25DeltaPut !== null && atmIv !== null
        ? 0.5 * (iv25DeltaCall + iv25DeltaPut) - atmIv
        : null,
    totalGammaExposure: strikes.reduce((sum, s) => sum + s.gammaExposure, 0),
    gammaFlipLevel: gammaFlipLevel(positions, model.underlying, T, model.discount, model.drift),
    sentimentScore: sentimentScore({
      pcrOi,
      putOiChange,
      callOiChange,
      riskReversal25Delta,
      maxPainStrike: maxPain,
      forward,
      expectedMove,
    }),
    dataQuality: dataQuality({
      contractSlots: 2 * strikes.length,
      missingQuotes,
      staleQuotes,
      crossedQuotes,
      ivFailures,
      parityViolations: countParityViolations(strikes, forward, input.conventions.rate, T, input.tickSize ?? 0.05),
    }),
    totalCallOi,
    totalPutOi,
    totalCallVolume,
    totalPutVolume,
    ivSolvedCount,
    contractCount: legs.length,
  };
}

function argMax(strikes: readonly AnalyzedStrike[], value: (s: AnalyzedStrike) => number): number | null {
  let best: number | null = null;
  let bestValue = 0;
  for (const s of strikes) {
    const v = value(s);
    if (v > bestValue) {
      bestValue = v;
      best = s.strike;
    }
  }
  return best;
}

/** Strikes whose two-sided mids miss C − P = e^{−rT}(F − K) by more than half their spreads plus two ticks. */
function countParityViolations(
  strikes: readonly AnalyzedStrike[],
  forward: number,
  rate: number,
  T: number,
  tickSize: number,
): number {
  const discount = Math.exp(-rate * T);
  let violations = 0;
  for (const s of strikes) {
    const call = s.call?.quote;
    const put = s.put?.quote;
    if (!call || !put || call.bid === null || call.ask === null || put.bid === null || put.ask === null) {
      continue;
    }
    if (!(call.bid > 0 && put.bid > 0 && call.ask >= call.bid && put.ask >= put.bid)) {
      continue;
    }
    const gap = (call.bid + call.ask) / 2 - (put.bid + put.ask) / 2 - discount * (forward - s.strike);
    const slack = (call.ask - call.bid + put.ask - put.bid) / 2 + 2 * tickSize;
    if (Math.abs(gap) > slack) {
      violations++;
    }
  }
  return violations;
}
