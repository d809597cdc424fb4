import type { IndexSymbol } from '../domain/indices.ts';
import type { MarketDataProvider } from '../providers/market-data-provider.ts';
import type { SnapshotPubSub } from '../store/snapshot-pubsub.ts';
import type { SnapshotStore } from '../store/snapshot-store.ts';
import { type AnalysisSettings, buildIndexSnapshot, tradingDayOf } from './collect-once.ts';
import type { DayBaselines } from './day-baselines.ts';

export interface LiveUpdatesOptions {
  readonly provider: MarketDataProvider;
  readonly store: SnapshotStore;
  readonly pubsub: SnapshotPubSub;
  readonly settings: AnalysisSettings;
  readonly baselines: DayBaselines;
  /** Most snapshots published per index per second from ticks (G6_LIVE_UPDATES_PER_SECOND). */
  readonly maxUpdatesPerSecond: number;
  readonly onPublished?: (index: IndexSymbol, analyzeMs: number) => void;
  readonly onError?: (index: IndexSymbol, error: unknown) => void;
}

export interface LiveUpdates {
  start(): void;
  stop(): void;
}

/**
 * Between collections, turns a live provider's ticks into published snapshots: analysed like a
 * collection, stored and published, but not written to the sinks (storage keeps the collection cadence).
 * Per index the first change publishes at once and later ones are coalesced to one per period, so a
 * burst of ticks costs one analysis and a subscriber sees at most `maxUpdatesPerSecond` per index.
 */
export function createLiveUpdates(options: LiveUpdatesOptions): LiveUpdates {
  const periodMs = 1000 / options.maxUpdatesPerSecond;
  const lastPublishedAt = new Map<IndexSymbol, number>();
  const timers = new Map<IndexSymbol, NodeJS.Timeout>();
  let unsubscribe: (() => void) | null = null;

  const publish = (index: IndexSymbol) => {
    lastPublishedAt.set(index, performance.now());
    const data = options.provider.liveData?.(index) ?? null;
    if (data === null) {
      return;
    }
    try {
      const started = performance.now();
      const seq = (options.store.getIndex(index)?.seq ?? 0) + 1;
      const snapshot = buildIndexSnapshot(
        data,
        seq,
        options.settings,
        options.baselines.observe(data, tradingDayOf(options.settings, data)),
      );
      options.store.put(snapshot);
      options.pubsub.publish(snapshot);
      options.onPublished?.(index, performance.now() - started);
    } catch (error) {
      options.onError?.(index, error);
    }
  };

  const onChange = (index: IndexSymbol) => {
    if (timers.has(index)) {
      return;
    }
    const sinceMs = performance.now() - (lastPublishedAt.get(index) ?? Number.NEGATIVE_INFINITY);
    if (sinceMs >= periodMs) {
      publish(index);
      return;
    }
    timers.set(
      index,
      setTimeout(() => {
        timers.delete(index);
        publish(index);
      }, periodMs - sinceMs),
    );
  };

  return {
    start() {
      if (unsubscribe === null && options.provider.subscribeLive !== undefined && options.maxUpdatesPerSecond > 0) {
        unsubscribe = options.provider.subscribeLive(onChange);
      }
    },
    stop() {
      unsubscribe?.();
      unsubscribe = null;
      for (const timer of timers.values()) {
        clearTimeout(timer);
      }
      timers.clear();
    },
  };
}
