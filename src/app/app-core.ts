import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { type CollectionMetrics, registerCollectionMetrics } from '../collectors/collection-metrics.ts';
import type { Config } from '../config.ts';
import { createMetricsRegistry } from '../metrics.ts';
import { createSnapshotPubSub, type SnapshotPubSub } from '../store/snapshot-pubsub.ts';
import { createSnapshotStore, type SnapshotStore } from '../store/snapshot-store.ts';
import { registerStoreMetrics } from '../store/store-metrics.ts';
import type { AppMode } from './app-mode.ts';

/** What every mode's assembly shares: the config and mode, the clock and log, the store and its stream. */
export interface AppCore {
  readonly config: Config;
  readonly mode: AppMode;
  readonly now: () => Date;
  readonly logger: Logger;
  /** Null when metrics are off (G6_METRICS_ENABLED=false). */
  readonly registry: Registry | null;
  readonly store: SnapshotStore;
  readonly pubsub: SnapshotPubSub;
  readonly collectionMetrics: CollectionMetrics | null;
}

/** The latest snapshots, their pub/sub and the metrics registry, with the store's and collection's series. */
export function createAppCore(config: Config, mode: AppMode, logger: Logger, now: () => Date): AppCore {
  const store = createSnapshotStore();
  const registry = config.metricsEnabled ? createMetricsRegistry() : null;
  const storeMetrics =
    registry === null
      ? null
      : registerStoreMetrics(registry, {
          latest: () => store.list(),
          now,
          subscriberCount: () => pubsub.subscriberCount(),
        });
  const pubsub = createSnapshotPubSub({ onConflated: (index) => storeMetrics?.eventConflated(index) });
  const collectionMetrics =
    registry === null
      ? null
      : registerCollectionMetrics(registry, {
          indices: config.indices,
          intervalMs: config.collectionIntervalMs,
          intervalMsOf: (index) => config.collection.get(index)?.intervalMs ?? config.collectionIntervalMs,
        });
  return { config, mode, now, logger, registry, store, pubsub, collectionMetrics };
}
