import { INDEX_SPECS, type IndexSpec } from '../domain/indices.ts';
import { builder } from './builder.ts';
import { IndexSymbolEnum } from './enums.ts';
import { isStale } from './freshness.ts';
import { IndexDayRef } from './index-day.ts';
import { requireConfiguredIndex } from './inputs.ts';

export const IndexRef = builder.objectRef<IndexSpec>('Index').implement({
  description: 'An index option family and its latest state.',
  fields: (t) => ({
    symbol: t.field({ type: IndexSymbolEnum, resolve: (spec) => spec.symbol }),
    displayName: t.exposeString('displayName'),
    exchange: t.exposeString('exchange', { description: 'Derivatives exchange: NFO (NSE) or BFO (BSE).' }),
    lotSize: t.exposeInt('lotSize', { description: 'Units per lot.' }),
    strikeStep: t.exposeFloat('strikeStep', { description: 'Spacing of strikes near the money, index points.' }),
    tickSize: t.exposeFloat('tickSize'),
    spot: t.float({
      nullable: true,
      description: 'Index level at the latest snapshot; null before the first collection.',
      resolve: (spec, _args, ctx) => ctx.store.getIndex(spec.symbol)?.spot ?? null,
    }),
    day: t.field({
      type: IndexDayRef,
      nullable: true,
      description:
        'Open, high, low, previous close and changes at the latest snapshot; null before it or where the provider does not report them.',
      resolve: (spec, _args, ctx) => ctx.store.getIndex(spec.symbol)?.day ?? null,
    }),
    lastUpdated: t.field({
      type: 'DateTime',
      nullable: true,
      resolve: (spec, _args, ctx) => ctx.store.getIndex(spec.symbol)?.observedAt ?? null,
    }),
    stale: t.boolean({
      description: 'True before the first snapshot, while the provider cannot deliver, or when the snapshot is old.',
      resolve: (spec, _args, ctx) => isStale(ctx, spec.symbol, ctx.store.getIndex(spec.symbol)?.observedAt),
    }),
    expiries: t.field({
      type: ['Date'],
      description: 'Open expiries at the latest snapshot, nearest first.',
      resolve: (spec, _args, ctx) => ctx.store.getIndex(spec.symbol)?.chains.map((c) => c.expiry) ?? [],
    }),
  }),
});

builder.queryField('indices', (t) =>
  t.field({
    type: [IndexRef],
    description: 'The indices this server collects (G6_INDICES).',
    resolve: (_root, _args, ctx) => ctx.indices.map((symbol) => INDEX_SPECS[symbol]),
  }),
);

builder.queryField('index', (t) =>
  t.field({
    type: IndexRef,
    args: { symbol: t.arg({ type: IndexSymbolEnum, required: true }) },
    resolve: (_root, args, ctx) => {
      requireConfiguredIndex(ctx, args.symbol);
      return INDEX_SPECS[args.symbol];
    },
  }),
);
