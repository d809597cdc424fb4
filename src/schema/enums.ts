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
