import type { IndexCollectionStatus } from '../collectors/collection-loop.ts';
import { builder } from './builder.ts';
import type { ServerInfoSource } from './context.ts';
import { IndexSymbolEnum } from './enums.ts';

const CollectorStatusRef = builder.objectRef<IndexCollectionStatus>('CollectorStatus').implement({
  fields: (t) => ({
    index: t.field({ type: IndexSymbolEnum, resolve: (s) => s.index }),
    ticks: t.exposeInt('ticks', { description: 'Collection attempts since start.' }),
    consecutiveFailures: t.exposeInt('consecutiveFailures'),
    lastSuccessAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.lastSuccessAt }),
    lastFailureAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.lastFailureAt }),
    lastError: t.string({ nullable: true, resolve: (s) => s.lastError }),
    resting: t.boolean({
      description: 'True while collection rests outside market hours (no provider requests until resumesAt).',
      resolve: (s) => s.resting,
    }),
    resumesAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: "When a resting collection resumes (the next session's pre-open).",
      resolve: (s) => s.resumesAt,
    }),
  }),
});

export const ServerInfoRef = builder.objectRef<ServerInfoSource>('ServerInfo').implement({
  fields: (t) => ({
    version: t.exposeString('version'),
    provider: t.exposeString('provider', { description: 'simulated or kite.' }),
    startedAt: t.field({ type: 'DateTime', resolve: (s) => s.startedAt }),
    collectionIntervalSeconds: t.float({ resolve: (s) => s.collectionIntervalMs / 1000 }),
    providerReady: t.boolean({
      description: 'False while the provider cannot deliver (e.g. no valid Kite token); snapshots are then stale.',
      resolve: (s) => s.providerHealth().ready,
    }),
    providerProblems: t.stringList({
      description: 'What the provider reports wrong now (token, ticker, instruments); empty when all is well.',
      resolve: (s) => [...s.providerHealth().problems],
    }),
    collectors: t.field({ type: [CollectorStatusRef], resolve: (s) => s.collectorStatus() }),
  }),
});

builder.queryField('serverInfo', (t) =>
  t.field({ type: ServerInfoRef, resolve: (_root, _args, ctx) => ctx.serverInfo }),
);
