import type { ChainSnapshot, IndexSnapshot } from '../domain/snapshot.ts';
import { builder } from './builder.ts';
import { ExpiryKindEnum, IndexSymbolEnum } from './enums.ts';
import { findChain, selectChain } from './inputs.ts';
import { MethodologyRef } from './option-quote.ts';
import { snapshotStream } from './snapshot-stream.ts';

export interface ChainView {
  readonly chain: ChainSnapshot;
  readonly seq: number;
}

export const OverviewRef = builder.objectRef<ChainView>('Overview').implement({
  description: 'Chain-level analytics of one index and expiry at one snapshot.',
  fields: (t) => ({
    index: t.field({ type: IndexSymbolEnum, resolve: (v) => v.chain.index }),
    expiry: t.field({ type: 'Date', resolve: (v) => v.chain.expiry }),
    expiryKind: t.field({ type: ExpiryKindEnum, resolve: (v) => v.chain.expiryKind }),
    timestamp: t.field({
      type: 'DateTime',
      description: 'When the market data was observed.',
      resolve: (v) => v.chain.observedAt,
    }),
    seq: t.int({
      description: 'Snapshot sequence number of the index; consecutive values mean nothing was missed.',
      resolve: (v) => v.seq,
    }),
    spot: t.float({ resolve: (v) => v.chain.spot }),
    timeToExpiryYears: t.float({ resolve: (v) => v.chain.timeToExpiryYears }),
    atmStrike: t.float({
      description: 'Listed strike nearest the forward.',
      resolve: (v) => v.chain.summary.atmStrike,
    }),
    atmIv: t.float({
      nullable: true,
      description: 'Mean of the ATM call and put IVs, decimal.',
      resolve: (v) => v.chain.summary.atmIv,
    }),
    pcrOi: t.float({
      nullable: true,
      description: 'Σ put OI / Σ call OI over the collected strikes.',
      resolve: (v) => v.chain.summary.pcrOi,
    }),
    pcrVolume: t.float({
      nullable: true,
      description: 'Σ put volume / Σ call volume.',
      resolve: (v) => v.chain.summary.pcrVolume,
    }),
    maxPainStrike: t.float({
      nullable: true,
      description: 'Strike minimising the total payout to option holders at expiry.',
      resolve: (v) => v.chain.summary.maxPainStrike,
    }),
    totalCallOi: t.float({ description: 'Units.', resolve: (v) => v.chain.summary.totalCallOi }),
    totalPutOi: t.float({ description: 'Units.', resolve: (v) => v.chain.summary.totalPutOi }),
    totalCallVolume: t.float({ description: 'Units.', resolve: (v) => v.chain.summary.totalCallVolume }),
    totalPutVolume: t.float({ description: 'Units.', resolve: (v) => v.chain.summary.totalPutVolume }),
    ivSolvedCount: t.int({
      description: 'Contracts whose IV was solved.',
      resolve: (v) => v.chain.summary.ivSolvedCount,
    }),
    contractCount: t.int({
      description: 'Contracts in the collected window.',
      resolve: (v) => v.chain.summary.contractCount,
    }),
    methodology: t.field({ type: MethodologyRef, resolve: (v) => v.chain.methodology }),
  }),
});

export function toChainView(snapshot: IndexSnapshot, chain: ChainSnapshot): ChainView {
  return { chain, seq: snapshot.seq };
}

builder.queryField('overview', (t) =>
  t.field({
    type: OverviewRef,
    nullable: true,
    description: 'Analytics of one expiry (null: nearest). Null until the first collection of the index.',
    args: {
      index: t.arg({ type: IndexSymbolEnum, required: true }),
      expiry: t.arg({ type: 'Date', required: false }),
    },
    resolve: (_root, args, ctx) => {
      const chain = findChain(ctx, args.index, args.expiry);
      return chain === undefined ? null : toChainView(ctx.store.getIndex(args.index)!, chain);
    },
  }),
);

builder.subscriptionField('overviewUpdated', (t) =>
  t.field({
    type: OverviewRef,
    description: 'The current overview at once, then one per collection cycle of the index.',
    args: {
      index: t.arg({ type: IndexSymbolEnum, required: true }),
      expiry: t.arg({ type: 'Date', required: false }),
    },
    subscribe: (_root, args, ctx) => {
      findChain(ctx, args.index, args.expiry);
      return snapshotStream(ctx, args.index);
    },
    // Arguments were validated once in `subscribe`; each event only selects its chain.
    resolve: (snapshot: IndexSnapshot, args) =>
      toChainView(snapshot, selectChain(snapshot.chains, args.index, args.expiry ?? null)),
  }),
);
