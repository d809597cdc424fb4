import type { AnalysisSettings } from '../collectors/collect-once.ts';
import type { IndexCollectionStatus } from '../collectors/collection-loop.ts';
import type { IndexSymbol } from '../domain/indices.ts';
import type { ProviderHealth } from '../providers/market-data-provider.ts';
import type { SnapshotPubSub } from '../store/snapshot-pubsub.ts';
import type { SnapshotStore } from '../store/snapshot-store.ts';

export interface ServerInfoSource {
  readonly version: string;
  readonly provider: string;
  readonly startedAt: Date;
  readonly collectionIntervalMs: number;
  collectorStatus(): IndexCollectionStatus[];
  providerHealth(): ProviderHealth;
  /** A snapshot older than this is served marked stale. */
  readonly staleAfterMs: number;
}

/** What resolvers may use: read-only views of the store and the live stream. Never providers or sinks. */
export interface GraphQLContext {
  readonly store: SnapshotStore;
  readonly pubsub: SnapshotPubSub;
  readonly indices: readonly IndexSymbol[];
  readonly serverInfo: ServerInfoSource;
  /** The collector's analysis settings: defaults for per-query conventions and what-if repricing. */
  readonly analysis: AnalysisSettings;
}

export type ContextDependencies = GraphQLContext;

/** A fresh context per operation (per-request caches and loaders will live here). */
export function createContextFactory(deps: ContextDependencies): () => GraphQLContext {
  return () => ({ ...deps });
}
