import type { ExpiryQuotes, OptionQuote } from '../domain/market-data.ts';
import type {
  AnalyzedContract,
  AnalyzedStrike,
  ChainSummary,
  ContractAnalytics,
  Methodology,
  PriceSource,
} from '../domain/snapshot.ts';
import { nearestStrike } from './atm-strike.ts';
import { blackScholes, type OptionRight } from './black-scholes.ts';
import { impliedVolatility } from './implied-volatility.ts';
import { maxPainStrike } from './max-pain.ts';
import { putCallRatio } from './put-call-ratio.ts';

export interface ChainAnalysisInput {
  readonly chain: ExpiryQuotes;
  readonly spot: number;
  readonly timeToExpiryYears: number;
  readonly rate: number;
  readonly dividendYield: number;
}

export interface ChainAnalysis {
  readonly strikes: AnalyzedStrike[];
  readonly summary: ChainSummary;
  readonly methodology: Methodology;
}

const NO_GREEKS = { delta: null, gamma: null, thetaPerDay: null, vegaPerVolPoint: null, rhoPerRatePoint: null };

/** Mid of a two-sided, uncrossed book; else the last traded price; else nothing. */
export function choosePremium(quote: OptionQuote): { price: number; source: PriceSource } | null {
  const { bid, ask, lastPrice } = quote;
  if (bid !== null && ask !== null && bid > 0 && ask >= bid) {
    return { price: (bid + ask) / 2, source: 'MID' };
  }
  if (lastPrice !== null && lastPrice > 0) {
    return { price: lastPrice, source: 'LAST' };
  }
  return null;
}

export function analyzeContract(
  quote: OptionQuote,
  right: OptionRight,
  strike: number,
  input: Omit<ChainAnalysisInput, 'chain'>,
): ContractAnalytics {
  const premium = choosePremium(quote);
  if (premium === null) {
    return { iv: null, ivStatus: 'NO_PRICE', priceUsed: null, priceSource: null, ...NO_GREEKS };
  }
  const market = {
    right,
    spot: input.spot,
    strike,
    timeToExpiryYears: input.timeToExpiryYears,
    rate: input.rate,
    dividendYield: input.dividendYield,
  };
  const solved = impliedVolatility({ ...market, price: premium.price });
  if (!solved.ok) {
    return { iv: null, ivStatus: solved.reason, priceUsed: premium.price, priceSource: premium.source, ...NO_GREEKS };
  }
  const greeks = blackScholes({ ...market, volatility: solved.volatility });
  return {
    iv: solved.volatility,
    ivStatus: 'OK',
    priceUsed: premium.price,
    priceSource: premium.source,
    delta: greeks.delta,
    gamma: greeks.gamma,
    thetaPerDay: greeks.thetaPerDay,
    vegaPerVolPoint: greeks.vegaPerVolPoint,
    rhoPerRatePoint: greeks.rhoPerRatePoint,
  };
}

/**
 * IV and Greeks for every contract of one expiry, and the chain's summary. One bad contract yields a
 * tagged IV failure for that contract only; it never drops the chain.
 */
export function analyzeChain(input: ChainAnalysisInput): ChainAnalysis {
  const { chain, spot, timeToExpiryYears, rate, dividendYield } = input;
  const forward = spot * Math.exp((rate - dividendYield) * timeToExpiryYears);
  const analyzeLeg = (quote: OptionQuote | null, right: OptionRight, strike: number): AnalyzedContract | null =>
    quote === null ? null : { quote, analytics: analyzeContract(quote, right, strike, input) };

  let totalCallOi = 0;
  let totalPutOi = 0;
  let totalCallVolume = 0;
  let totalPutVolume = 0;
  let ivSolvedCount = 0;
  let contractCount = 0;
  const strikes: AnalyzedStrike[] = chain.strikes.map((row) => {
    const call = analyzeLeg(row.call, 'C', row.strike);
    const put = analyzeLeg(row.put, 'P', row.strike);
    for (const [leg, isCall] of [
      [call, true],
      [put, false],
    ] as const) {
      if (leg === null) {
        continue;
      }
      contractCount += 1;
      if (leg.analytics.ivStatus === 'OK') {
        ivSolvedCount += 1;
      }
      if (isCall) {
        totalCallOi += leg.quote.oi;
        totalCallVolume += leg.quote.volume;
      } else {
        totalPutOi += leg.quote.oi;
        totalPutVolume += leg.quote.volume;
      }
    }
    return { strike: row.strike, call, put };
  });

  const atmStrike = nearestStrike(
    strikes.map((s) => s.strike),
    forward,
  );
  const atmRow = strikes.find((s) => s.strike === atmStrike);
  const atmIvs = [atmRow?.call?.analytics.iv, atmRow?.put?.analytics.iv].filter(
    (iv): iv is number => typeof iv === 'number',
  );

  return {
    strikes,
    summary: {
      atmStrike,
      atmIv: atmIvs.length > 0 ? atmIvs.reduce((a, b) => a + b, 0) / atmIvs.length : null,
      pcrOi: putCallRatio(totalPutOi, totalCallOi),
      pcrVolume: putCallRatio(totalPutVolume, totalCallVolume),
      maxPainStrike: maxPainStrike(
        strikes.map((s) => ({ strike: s.strike, callOi: s.call?.quote.oi ?? 0, putOi: s.put?.quote.oi ?? 0 })),
      ),
      totalCallOi,
      totalPutOi,
      totalCallVolume,
      totalPutVolume,
      ivSolvedCount,
      contractCount,
    },
    methodology: {
      model: 'BLACK_SCHOLES',
      rate,
      dividendYield,
      timeBasis: 'CALENDAR_365',
      priceRule: 'MID_ELSE_LAST',
      forward,
    },
  };
}
