import type { AnalyzedContract, AnalyzedStrike, Methodology } from '../domain/snapshot.ts';
import { builder } from './builder.ts';
import {
  BuildUpEnum,
  ForwardSourceEnum,
  IvStatusEnum,
  OptionRightEnum,
  PriceRuleEnum,
  PriceSourceEnum,
  PricingModelEnum,
  TimeBasisEnum,
} from './enums.ts';

interface ContractView {
  readonly strike: number;
  readonly right: 'CE' | 'PE';
  readonly contract: AnalyzedContract;
}

export const OptionQuoteRef = builder.objectRef<ContractView>('OptionQuote').implement({
  description: 'One option contract: its market quote, implied volatility and Greeks at the snapshot time.',
  fields: (t) => ({
    tradingsymbol: t.string({ resolve: (v) => v.contract.quote.tradingsymbol }),
    instrumentToken: t.int({
      nullable: true,
      description: "Kite's instrument token (the ticker's subscription id); null on the simulated market.",
      resolve: (v) => v.contract.quote.instrumentToken,
    }),
    strike: t.float({ resolve: (v) => v.strike }),
    right: t.field({ type: OptionRightEnum, resolve: (v) => v.right }),
    lastPrice: t.float({ nullable: true, resolve: (v) => v.contract.quote.lastPrice }),
    bid: t.float({ nullable: true, resolve: (v) => v.contract.quote.bid }),
    ask: t.float({ nullable: true, resolve: (v) => v.contract.quote.ask }),
    bidQuantity: t.float({ description: 'Units at the best bid.', resolve: (v) => v.contract.quote.bidQuantity }),
    askQuantity: t.float({ description: 'Units at the best ask.', resolve: (v) => v.contract.quote.askQuantity }),
    volume: t.float({
      description: 'Traded today, in units (lots × lot size), as Kite reports. A whole number.',
      resolve: (v) => v.contract.quote.volume,
    }),
    oi: t.float({
      description: 'Open interest in units (contracts × lot size), as Kite reports. A whole number.',
      resolve: (v) => v.contract.quote.oi,
    }),
    lastTradeTime: t.field({ type: 'DateTime', nullable: true, resolve: (v) => v.contract.quote.lastTradeTime }),
    averagePrice: t.float({
      nullable: true,
      description:
        "Volume-weighted average traded price today (Kite's average_price; the VWAP straddle sums the two legs'); null before the first trade.",
      resolve: (v) => v.contract.quote.averagePrice,
    }),
    iv: t.float({
      nullable: true,
      description: 'Implied volatility, decimal (0.15 = 15 %); null when it could not be solved (see ivStatus).',
      resolve: (v) => v.contract.analytics.iv,
    }),
    ivStatus: t.field({ type: IvStatusEnum, resolve: (v) => v.contract.analytics.ivStatus }),
    priceUsed: t.float({
      nullable: true,
      description: 'Premium the IV was solved from.',
      resolve: (v) => v.contract.analytics.priceUsed,
    }),
    priceSource: t.field({ type: PriceSourceEnum, nullable: true, resolve: (v) => v.contract.analytics.priceSource }),
    delta: t.float({
      nullable: true,
      description: "Per index point of the model's underlying: spot (BLACK_SCHOLES) or forward (BLACK_76).",
      resolve: (v) => v.contract.analytics.delta,
    }),
    gamma: t.float({ nullable: true, description: 'Per index point.', resolve: (v) => v.contract.analytics.gamma }),
    thetaPerDay: t.float({
      nullable: true,
      description: 'Per day of the time basis: calendar day (CALENDAR_365) or trading day (TRADING_252).',
      resolve: (v) => v.contract.analytics.thetaPerDay,
    }),
    vegaPerVolPoint: t.float({
      nullable: true,
      description: 'Per 0.01 of volatility.',
      resolve: (v) => v.contract.analytics.vegaPerVolPoint,
    }),
    rhoPerRatePoint: t.float({
      nullable: true,
      description: 'Per 0.01 of the rate.',
      resolve: (v) => v.contract.analytics.rhoPerRatePoint,
    }),
    vanna: t.float({
      nullable: true,
      description: 'Delta change per 0.01 of volatility.',
      resolve: (v) => v.contract.analytics.vanna,
    }),
    volga: t.float({
      nullable: true,
      description: 'vegaPerVolPoint change per 0.01 of volatility (vomma).',
      resolve: (v) => v.contract.analytics.volga,
    }),
    charm: t.float({
      nullable: true,
      description: 'Delta change per day of the time basis (delta decay).',
      resolve: (v) => v.contract.analytics.charm,
    }),
    theoreticalValue: t.float({
      nullable: true,
      description: 'Model value at the IV: the premium itself, or its repricing under a scenario.',
      resolve: (v) => v.contract.analytics.theoreticalValue,
    }),
    oiChange: t.float({
      nullable: true,
      description: "OI change in units since the day's first snapshot of this contract.",
      resolve: (v) => v.contract.analytics.oiChange,
    }),
    priceChange: t.float({
      nullable: true,
      description: "Last-price change since the day's first snapshot.",
      resolve: (v) => v.contract.analytics.priceChange,
    }),
    buildUp: t.field({ type: BuildUpEnum, nullable: true, resolve: (v) => v.contract.analytics.buildUp }),
  }),
});

export const StrikeRowRef = builder.objectRef<AnalyzedStrike>('StrikeRow').implement({
  description: 'The call and put listed at one strike.',
  fields: (t) => ({
    strike: t.float({ resolve: (row) => row.strike }),
    offset: t.int({
      description: 'Listed strikes from the ATM strike: 0 at ATM, +1 the next strike up, −1 the next down.',
      resolve: (row) => row.offset,
    }),
    gammaExposure: t.float({
      description: 'Σ γ·OI·S²·1 % over the two legs (calls +, puts −): rupee delta change per 1 % move.',
      resolve: (row) => row.gammaExposure,
    }),
    call: t.field({
      type: OptionQuoteRef,
      nullable: true,
      resolve: (row) => (row.call === null ? null : { strike: row.strike, right: 'CE' as const, contract: row.call }),
    }),
    put: t.field({
      type: OptionQuoteRef,
      nullable: true,
      resolve: (row) => (row.put === null ? null : { strike: row.strike, right: 'PE' as const, contract: row.put }),
    }),
  }),
});

export const MethodologyRef = builder.objectRef<Methodology>('Methodology').implement({
  description: 'The conventions behind the numbers of a chain, to reconcile them with other sources.',
  fields: (t) => ({
    model: t.field({ type: PricingModelEnum, resolve: (m) => m.model }),
    forwardSource: t.field({ type: ForwardSourceEnum, description: 'As requested.', resolve: (m) => m.forwardSource }),
    forwardSourceUsed: t.field({
      type: ForwardSourceEnum,
      description: 'As used: falls back to SPOT_CARRY (or PUT_CALL_PARITY for FUTURES) when unavailable.',
      resolve: (m) => m.forwardSourceUsed,
    }),
    forward: t.float({ description: 'The forward; ATM is the listed strike nearest it.', resolve: (m) => m.forward }),
    rate: t.float({ description: 'Continuously compounded annual rate, decimal.', resolve: (m) => m.rate }),
    dividendYield: t.float({
      description: 'Continuous annual dividend yield, decimal (BLACK_SCHOLES only).',
      resolve: (m) => m.dividendYield,
    }),
    timeBasis: t.field({ type: TimeBasisEnum, resolve: (m) => m.timeBasis }),
    timeToExpiryYears: t.float({ description: 'In the time basis.', resolve: (m) => m.timeToExpiryYears }),
    priceRule: t.field({ type: PriceRuleEnum, resolve: (m) => m.priceRule }),
  }),
});
