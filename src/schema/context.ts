import type { AnalysisSettings } from '../collectors/collect-once.ts';
import type { IndexCollectionStatus } from '../collectors/collection-loop.ts';
import type { Segment } from '../domain/calendar/calendar-data.ts';
import type { MarketStatus } from '../domain/calendar/exchange-calendar.ts';
import type { IndexSymbol } from '../domain/indices.ts';
import type { MarketClock } from '../domain/market-clock.ts';
import type { HealthFeed } from '../health/health-feed.ts';
import type { CsvHistory } from '../history/csv-history.ts';
import type { ProfileStore } from '../history/profile-store.ts';
import type { ProviderHealth } from '../providers/market-data-provider.ts';
import type { LatestValuePubSub } from '../store/latest-value-pubsub.ts';
import type { SnapshotPubSub } from '../store/snapshot-pubsub.ts';
import type { SnapshotStore } from '../store/snapshot-store.ts';
import { createHistoryLoaders, type HistoryLoaders } from './history-loaders.ts';

export interface ServerInfoSource {
  readonly version: string;
  readonly provider: string;
  readonly startedAt: Date;
  readonly collectionIntervalMs: number;
  collectorStatus(): IndexCollectionStatus[];
  providerHealth(): ProviderHealth;
  /** A snapshot older than this is served marked stale. */
  readonly staleAfterMs: number;
  /** Per index, in place of staleAfterMs, where indices are collected at their own intervals. */
  staleAfterMsOf?(index: IndexSymbol): number;
  /** Indices resting outside market hours: their last snapshot is the session's close, not stale. */
  isResting(index: IndexSymbol): boolean;
}

/** What resolvers may use: read-only views of the store and the live stream. Never providers or sinks. */
export interface GraphQLContext {
  readonly store: SnapshotStore;
  readonly pubsub: SnapshotPubSub;
  readonly indices: readonly IndexSymbol[];
  readonly serverInfo: ServerInfoSource;
  /** The collector's analysis settings: defaults for per-query conventions and what-if repricing. */
  readonly analysis: AnalysisSettings;
  /** Reads of the CSV store, batched and cached per operation; null when CSV storage is off. */
  readonly history: HistoryLoaders | null;
  /** Said with HISTORY_UNAVAILABLE when `history` is null. */
  readonly historyUnavailableReason?: string;
  /** The server's clock (the providers'): freshness and market status are judged at this instant. */
  readonly now: () => Date;
  /** The market's session clock (exchange calendar, or the simulated market's own). */
  readonly marketClock: MarketClock;
  /** Market status changes per segment, as the watcher sees them. */
  readonly marketStatus: LatestValuePubSub<Segment, MarketStatus>;
  /** Component health, its history and the alert stream. */
  readonly health: HealthFeed;
  /** Weekday profiles built from the stored days; absent or null without a CSV store. */
  readonly profiles?: ProfileStore | null;
}

export interface ContextDependencies extends Omit<GraphQLContext, 'history'> {
  readonly history: CsvHistory | null;
}

/** A fresh context per operation, with its own DataLoaders (a request never sees another's cache). */
export function createContextFactory(deps: ContextDependencies): () => GraphQLContext {
  return () => ({ ...deps, history: deps.history === null ? null : createHistoryLoaders(deps.history) });
}
