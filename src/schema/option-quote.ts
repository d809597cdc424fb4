import type { AnalyzedContract, AnalyzedStrike, Methodology } from '../domain/snapshot.ts';
import { builder } from './builder.ts';
import { IvStatusEnum, OptionRightEnum, PriceSourceEnum } from './enums.ts';

interface ContractView {
  readonly strike: number;
  readonly right: 'CE' | 'PE';
  readonly contract: AnalyzedContract;
}

export const OptionQuoteRef = builder.objectRef<ContractView>('OptionQuote').implement({
  description: 'One option contract: its market quote, implied volatility and Greeks at the snapshot time.',
  fields: (t) => ({
    tradingsymbol: t.string({ resolve: (v) => v.contract.quote.tradingsymbol }),
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
    delta: t.float({ nullable: true, resolve: (v) => v.contract.analytics.delta }),
    gamma: t.float({ nullable: true, description: 'Per index point.', resolve: (v) => v.contract.analytics.gamma }),
    thetaPerDay: t.float({
      nullable: true,
      description: 'Per calendar day (annual / 365).',
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
  }),
});

export const StrikeRowRef = builder.objectRef<AnalyzedStrike>('StrikeRow').implement({
  description: 'The call and put listed at one strike.',
  fields: (t) => ({
    strike: t.float({ resolve: (row) => row.strike }),
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
    model: t.string({
      description: 'BLACK_SCHOLES: Black-Scholes-Merton on the index level.',
      resolve: (m) => m.model,
    }),
    rate: t.float({ description: 'Continuously compounded annual rate, decimal.', resolve: (m) => m.rate }),
    dividendYield: t.float({
      description: 'Continuous annual dividend yield, decimal.',
      resolve: (m) => m.dividendYield,
    }),
    timeBasis: t.string({
      description: 'CALENDAR_365: ACT/365 to 15:30 IST on the expiry date, to the millisecond.',
      resolve: (m) => m.timeBasis,
    }),
    priceRule: t.string({
      description: 'MID_ELSE_LAST: bid/ask mid when both sides are quoted, else the last traded price.',
      resolve: (m) => m.priceRule,
    }),
    forward: t.float({
      description: 'Model forward spot·e^{(r−q)T}; ATM is the strike nearest it.',
      resolve: (m) => m.forward,
    }),
  }),
});
