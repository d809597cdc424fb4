import { loadClosingSnapshot } from '../collectors/closing-snapshot.ts';
import { type AnalysisSettings, collectOnce } from '../collectors/collect-once.ts';
import type { CollectionActivity } from '../collectors/collection-activity.ts';
import { createCollectionLoop, type IndexCollectionStatus } from '../collectors/collection-loop.ts';
import { DayBaselines } from '../collectors/day-baselines.ts';
import { createLiveUpdates } from '../collectors/live-updates.ts';
import type { SessionGate } from '../collectors/session-gate.ts';
import type { IndexSymbol } from '../domain/indices.ts';
import type { MarketClock } from '../domain/market-clock.ts';
import type { IndexSnapshot } from '../domain/snapshot.ts';
import type { CsvHistory } from '../history/csv-history.ts';
import type { MarketDataProvider } from '../providers/market-data-provider.ts';
import type { FanOutSink } from '../sinks/fan-out-sink.ts';
import type { SinkMetrics } from '../sinks/sink-metrics.ts';
import { HeldForRetryError } from '../sinks/snapshot-sink.ts';
import type { SnapshotPubSub } from '../store/snapshot-pubsub.ts';
import type { AppCore } from './app-core.ts';

export interface ClosingRestoreOptions extends Pick<AppCore, 'config' | 'store' | 'now' | 'logger'> {
  readonly history: CsvHistory;
  readonly clock: MarketClock;
  readonly gate: SessionGate;
  readonly settings: AnalysisSettings;
  /** Filled for each index restored: the gate then knows the close is already held. */
  readonly lastCollectedAt: Map<IndexSymbol, Date>;
}

/** Started while closed: the session's close from storage, rather than asking the provider again. */
export async function restoreClosingSnapshots(options: ClosingRestoreOptions): Promise<void> {
  const { logger } = options;
  for (const index of options.config.indices) {
    if (options.gate.inSession(index)) {
      continue;
    }
    const restored = await loadClosingSnapshot(
      options.history,
      index,
      options.clock,
      options.settings,
      options.now(),
    ).catch((error: unknown) => {
      logger.warn({ index, err: error }, 'stored closing snapshot unreadable; collecting one instead');
      return null;
    });
    if (restored !== null) {
      options.store.put(restored);
      options.lastCollectedAt.set(index, restored.observedAt);
      logger.info(
        { index, seq: restored.seq, observedAt: restored.observedAt.toISOString() },
        'market closed: serving the stored closing snapshot',
      );
    }
  }
}

export interface CollectionAssemblyOptions
  extends Pick<AppCore, 'config' | 'mode' | 'store' | 'pubsub' | 'collectionMetrics' | 'now' | 'logger'> {
  readonly provider: MarketDataProvider;
  /** Sends a collected snapshot on to the replicas (scaled out; a no-op until the relay exists). */
  readonly relay: (snapshot: IndexSnapshot) => void;
  readonly sink: FanOutSink;
  readonly sinkMetrics: SinkMetrics | null;
  readonly settings: AnalysisSettings;
  readonly gate: SessionGate;
  /** Collected (or restored) snapshots only: a live tick after the close is no closing snapshot. */
  readonly lastCollectedAt: Map<IndexSymbol, Date>;
  readonly activity: CollectionActivity;
  /** Whether the provider's streams should be open, asked again whenever an index starts or ends a rest. */
  readonly streamsWanted: () => boolean;
  readonly startedAt: Date;
}

export interface CollectionAssembly {
  /** Starts the loop (in modes that run it) and the live updates. */
  start(): void;
  stop(): Promise<void>;
  /** What this process's own loop says of each index. */
  status(): IndexCollectionStatus[];
  /** When collection began: an index with no snapshot yet is only starting until staleAfterMs later. */
  collectingSinceMs(): number;
  /** Counts from now: a slow provider start (the instruments download) is not a stale collector. */
  countFromNow(): void;
}

/**
 * This process's collection: the loop (provider → analytics → store → publish → sinks, logged per tick,
 * sink outcomes counted) and the live ticks between its snapshots, both published here and to the relay.
 */
export function createCollectionAssembly(options: CollectionAssemblyOptions): CollectionAssembly {
  const { config, mode, provider, store, pubsub, collectionMetrics, sinkMetrics, settings, gate, now } = options;
  const logger = options.logger;
  const baselines = new DayBaselines();
  // What this process collects goes to its own subscribers and, scaled out, to the replicas.
  const collectedPubSub: SnapshotPubSub = {
    ...pubsub,
    publish(snapshot) {
      pubsub.publish(snapshot);
      options.relay(snapshot);
    },
  };

  const loop = createCollectionLoop({
    indices: config.indices,
    intervalMs: (index) => config.collection.get(index)?.intervalMs ?? config.collectionIntervalMs,
    timeoutMs: config.collectionTimeoutMs,
    maxWorkers: config.maxWorkers,
    maxBackoffMs: Math.max(
      ...[...config.collection.values()].map((c) => c.intervalMs),
      config.collectionIntervalMs,
      5 * 60_000,
    ),
    now,
    gate: (index) => gate.decide(index),
    onRested: (index) => collectionMetrics?.rested(index),
    onRestChanged: (index, resumesAt) => {
      collectionMetrics?.restChanged(index, resumesAt !== null);
      if (resumesAt === null) {
        logger.info({ index }, 'market session: collection resumed');
      } else {
        logger.info({ index, resumesAt: resumesAt.toISOString() }, 'market closed: collection resting');
      }
      provider.setMarketOpen?.(options.streamsWanted());
    },
    collect: async (index, signal) => {
      const result = await collectOnce(
        {
          provider,
          store,
          pubsub: collectedPubSub,
          sink: options.sink,
          settings,
          baselines,
          sinkTimeoutMs: config.collectionTimeoutMs,
          activity: options.activity,
        },
        index,
        signal,
      );
      options.lastCollectedAt.set(index, result.snapshot.observedAt);
      for (const outcome of result.sinkOutcomes) {
        sinkMetrics?.recordWrite(outcome.sink, outcome.durationMs, outcome.ok);
        if (!outcome.ok) {
          // A held snapshot is not lost and the sink raised its alert once; each later one is detail.
          const level = outcome.error instanceof HeldForRetryError ? 'debug' : 'warn';
          logger[level]({ index, sink: outcome.sink, err: outcome.error }, 'sink write failed');
        }
      }
      const nearest = result.snapshot.chains[0];
      logger.debug(
        {
          index,
          seq: result.snapshot.seq,
          spot: result.snapshot.spot,
          expiries: result.snapshot.chains.length,
          contracts: result.snapshot.chains.reduce((n, c) => n + c.summary.contractCount, 0),
          pcrOi: nearest?.summary.pcrOi,
          atmIv: nearest?.summary.atmIv,
          fetchMs: Math.round(result.fetchMs * 10) / 10,
          analyzeMs: Math.round(result.analyzeMs * 10) / 10,
          observedAt: result.snapshot.observedAt.toISOString(),
          persisted: result.sinkOutcomes.filter((o) => o.ok).map((o) => o.sink),
        },
        'collected',
      );
    },
    onTickSucceeded: (index, durationMs) => {
      collectionMetrics?.tickSucceeded(index, durationMs, now());
    },
    onTickFailed: (index, error, consecutiveFailures, retryInMs) => {
      collectionMetrics?.tickFailed(index);
      logger.warn({ index, err: error, consecutiveFailures, retryInMs: Math.round(retryInMs) }, 'collection failed');
    },
  });

  const liveUpdates = createLiveUpdates({
    provider,
    store,
    pubsub: collectedPubSub,
    settings,
    baselines,
    maxUpdatesPerSecond: mode.liveUpdatesPerSecond,
    onPublished: (index) => collectionMetrics?.liveUpdatePublished(index),
    onError: (index, error) => logger.warn({ index, err: error }, 'live update failed'),
  });

  let collectingSinceMs = options.startedAt.getTime();
  return {
    start() {
      collectingSinceMs = now().getTime();
      if (mode.runsLoop) {
        loop.start();
      }
      liveUpdates.start();
    },
    async stop() {
      liveUpdates.stop();
      await loop.stop();
    },
    status: () => loop.status(),
    collectingSinceMs: () => collectingSinceMs,
    countFromNow() {
      collectingSinceMs = now().getTime();
    },
  };
}
