import { EXPIRY_TAGS } from '../domain/expiry-tags.ts';
import { INDEX_SYMBOLS } from '../domain/indices.ts';
import { builder } from './builder.ts';

export const IndexSymbolEnum = builder.enumType('IndexSymbol', {
  description: 'Index option families.',
  values: INDEX_SYMBOLS,
});

export const ExpiryKindEnum = builder.enumType('ExpiryKind', {
  values: { WEEKLY: { description: 'Weekly series' }, MONTHLY: { description: 'Monthly series' } } as const,
});

export const OptionRightEnum = builder.enumType('OptionRight', {
  values: { CE: { description: 'Call' }, PE: { description: 'Put' } } as const,
});

export const IvStatusEnum = builder.enumType('IvStatus', {
  description: 'Whether implied volatility was solved, and why not.',
  values: {
    OK: { description: 'Solved.' },
    NO_PRICE: { description: 'No two-sided book and no last trade.' },
    BELOW_INTRINSIC: { description: 'Premium below the discounted intrinsic value: no volatility fits.' },
    ABOVE_MAXIMUM: { description: 'Premium at or above the no-arbitrage maximum.' },
    NO_TIME_VALUE: { description: 'Premium equals intrinsic value: volatility is undetermined.' },
    INVALID_INPUT: { description: 'Non-finite or non-positive inputs.' },
  } as const,
});

export const PriceSourceEnum = builder.enumType('PriceSource', {
  values: {
    MID: { description: 'Mid of best bid and ask.' },
    LAST: { description: 'Last traded price (one side of the book was empty).' },
  } as const,
});

export const PricingModelEnum = builder.enumType('PricingModel', {
  values: {
    BLACK_76: { description: 'Black-76 on the expiry forward (Sensibull, OpenAlgo); the rate only discounts.' },
    BLACK_SCHOLES: { description: 'Black-Scholes-Merton on the index level with a dividend yield (NSE).' },
  } as const,
});

export const ForwardSourceEnum = builder.enumType('ForwardSource', {
  values: {
    PUT_CALL_PARITY: { description: 'K + e^{rT}(C − P) at the strike where |C − P| is smallest.' },
    FUTURES: { description: "The expiry's futures price; falls back to PUT_CALL_PARITY when none is quoted." },
    SPOT_CARRY: { description: 'Spot · e^{(r − q)T}.' },
  } as const,
});

export const TimeBasisEnum = builder.enumType('TimeBasis', {
  values: {
    CALENDAR_365: {
      description:
        "ACT/365 to the expiry date's cut-off (15:30 IST; NSE 15:40 from 3 Aug 2026), to the millisecond; theta per " +
        'calendar day.',
    },
    TRADING_252: {
      description:
        "Remaining sessions of the exchange calendar (holidays excluded, each as a share of the day's regular " +
        'session) / 252; theta per trading day.',
    },
  } as const,
});

export const PriceRuleEnum = builder.enumType('PriceRule', {
  values: {
    MID_ELSE_LAST: { description: 'Bid/ask mid when both sides are quoted and uncrossed, else the last trade.' },
    LAST: { description: 'Always the last traded price (NSE option-chain page).' },
  } as const,
});

export const BuildUpEnum = builder.enumType('BuildUp', {
  description: "Price change × OI change since the day's first snapshot.",
  values: {
    LONG_BUILD_UP: { description: 'Price up, OI up.' },
    SHORT_BUILD_UP: { description: 'Price down, OI up.' },
    SHORT_COVERING: { description: 'Price up, OI down.' },
    LONG_UNWINDING: { description: 'Price down, OI down.' },
    NEUTRAL: { description: 'No change in price or in OI.' },
  } as const,
});

export const ExpiryTagEnum = builder.enumType('ExpiryTag', {
  description:
    "An expiry by its role among the index's open expiries. THIS_WEEK: the nearest; NEXT_WEEK: the one after it; THIS_MONTH: the nearest monthly; NEXT_MONTH: the monthly after it. On a monthly-only index THIS_WEEK is THIS_MONTH and NEXT_WEEK is NEXT_MONTH; in the week the weekly is the monthly, that expiry is both THIS_WEEK and THIS_MONTH.",
  values: EXPIRY_TAGS,
});
