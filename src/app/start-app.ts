import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { ProgressFactory } from '../cli/progress.ts';
import type { AnalysisSettings } from '../collectors/collect-once.ts';
import { createCollectionActivity } from '../collectors/collection-activity.ts';
import { createSessionGate } from '../collectors/session-gate.ts';
import type { Config } from '../config.ts';
import type { IndexSymbol } from '../domain/indices.ts';
import { isTrading } from '../domain/market-clock.ts';
import type { HealthSamplers } from '../health/health-service.ts';
import { createParquetEngine } from '../history/parquet-engine.ts';
import { createStoredHistory } from '../history/stored-history.ts';
import { Lifecycle, StartAbortedError } from '../lifecycle.ts';
import { createRedisHealth } from '../scale/redis-health.ts';
import type { ScaleOut } from '../scale/scale-out.ts';
import { createFanOutSink } from '../sinks/fan-out-sink.ts';
import { registerSinkMetrics } from '../sinks/sink-metrics.ts';
import { createAppCore } from './app-core.ts';
import { appModeOf, type ReplaySettings } from './app-mode.ts';
import { createCollectionAssembly, restoreClosingSnapshots } from './collection-assembly.ts';
import { createHealthAssembly } from './health-assembly.ts';
import { createHistoryAssembly } from './history-assembly.ts';
import { createMarketStatusAssembly } from './market-status-assembly.ts';
import { createModeProvider } from './mode-provider.ts';
import { createRateLimitRedis } from './rate-limit-redis.ts';
import { createAppRelay, createServedCollection } from './relay-assembly.ts';
import { createAppServer } from './server-assembly.ts';
import { createSinks } from './sink-factory.ts';
import { takeWriterLock } from './writer-lock.ts';

export type { ReplaySettings } from './app-mode.ts';

export interface RunningApp {
  readonly port: number;
  readonly logger: Logger;
  /** Stops every part in reverse start order, carrying on past failures (then throws StopFailedError). */
  stop(): Promise<void>;
  /** The part stopping now and those left: what a shutdown deadline names. */
  stopProgress(): { current: string | null; remaining: readonly string[] };
}

export interface StartOptions {
  /** The clock providers, collection, health and the market calendar run on; tests pass a fake one. */
  readonly now?: () => Date;
  /**
   * Longest wait between looks at the market clock while resting outside hours (default 60 s); tests that
   * move a fake clock across a session boundary shorten it.
   */
  readonly clockCheckMs?: number;
  /** Play stored CSV days back instead of collecting (`g6 replay`); storage sinks stay off. */
  readonly replay?: ReplaySettings;
  /**
   * Something this process relies on was lost while running (its data-directory lock was taken over):
   * it must stop. Defaults to logging at fatal.
   */
  readonly onFatal?: (error: Error) => void;
  /** Calls start-up off (SIGTERM while starting): what started is stopped and StartAbortedError thrown. */
  readonly signal?: AbortSignal;
  /** Stand-ins for the disk, event-loop and memory readings, for tests of those alerts. */
  readonly healthSamplers?: HealthSamplers;
  /** Reports long work (the Kite instruments download, a replay); nothing is reported without it. */
  readonly progress?: ProgressFactory;
}

/**
 * Builds every part from the config, starts collection and the server; `stop()` tears down in reverse.
 * What differs between serve, replay, collector and api is decided once, in `appModeOf`.
 */
export async function startApp(config: Config, logger: Logger, options: StartOptions = {}): Promise<RunningApp> {
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const market = createMarketStatusAssembly(config, logger, now, startedAt);
  const { clock } = market;
  const mode = appModeOf(config, options.replay);
  const core = createAppCore(config, mode, logger, now);
  const { pubsub, registry, collectionMetrics } = core;
  const lock = await takeWriterLock(config, mode, { startedAt, logger, onFatal: options.onFatal });
  const life = new Lifecycle(options.signal);
  if (lock !== null) {
    life.started('data directory lock', () => lock.release());
  }
  return life.run(assemble);

  async function assemble(): Promise<RunningApp> {
    // Set first when stopping: /ready turns 503 before anything else stops.
    let draining = false;
    // One reader of the store (CSV days and compacted Parquet days) and one DuckDB for the process.
    const engine = createParquetEngine({ memoryLimit: '512MB' });
    life.started('parquet engine', () => engine.close());
    const readsStore = mode.history.readable || mode.provider.kind === 'replay';
    const history = readsStore ? createStoredHistory({ dataDir: resolve(config.dataDir), engine }) : null;
    const provider = await createModeProvider(mode, { ...core, clock, progress: options.progress, history });
    const settings: AnalysisSettings = {
      conventions: config.conventions,
      strikesAroundAtm: config.strikesAroundAtm,
      collection: config.collection,
      clock,
      staleAfterMs: config.staleQuoteMs,
    };
    const lastCollectedAt = new Map<IndexSymbol, Date>();
    const gate = createSessionGate({
      clock,
      now,
      collectOutsideHours: mode.collectsOutsideHours,
      // Collected (or restored) snapshots only: a live tick after the close is no closing snapshot.
      lastObservedAt: (index) => lastCollectedAt.get(index) ?? null,
      ...(options.clockCheckMs === undefined ? {} : { maxRestMs: options.clockCheckMs }),
    });
    const collectorLogger = logger.child({ component: 'collector' });
    if (mode.restoresClosingSnapshot && history !== null && clock.mode === 'EXCHANGE') {
      const restoring = { history, clock, gate, settings, lastCollectedAt };
      await restoreClosingSnapshots({ ...core, ...restoring, logger: collectorLogger });
    }
    // Streams follow the session, not the collection: shut at the close (the closing snapshot needs only
    // REST) and while a closed start takes its one snapshot, open from the pre-open.
    const streamsWanted = () => config.indices.some((index) => gate.inSession(index));
    const sinkMetrics = registry === null || !mode.collects ? null : registerSinkMetrics(registry);
    const sinks = mode.writesSinks ? createSinks(config, logger, sinkMetrics, now) : [];
    const activity = createCollectionActivity();
    let scale: ScaleOut | null = null;
    const collection = createCollectionAssembly({
      ...core,
      logger: collectorLogger,
      provider,
      relay: (snapshot) => scale?.relay(snapshot),
      sink: createFanOutSink(sinks),
      sinkMetrics,
      settings,
      gate,
      lastCollectedAt,
      activity,
      streamsWanted,
      startedAt,
    });
    const ownProviderHealth = () => provider.health?.() ?? { ready: true, problems: [] };
    const served = createServedCollection(() => scale, {
      providerHealth: ownProviderHealth,
      collectorStatus: () => (mode.runsLoop ? collection.status() : []),
      isResting: (index) => gate.isResting(index),
    });
    let boundPort: number | null = null;
    // Every Redis connection of this process: the rate-limit one and the relay's.
    const redisHealth = createRedisHealth(now);
    const health = createHealthAssembly({
      ...core,
      parts: () => ({
        provider: served.providerHealth(),
        collectors: served.collectorStatus(),
        collectingSinceMs: collection.collectingSinceMs(),
        sinks: sinks.flatMap((s) => (s.health === undefined ? [] : [{ name: s.name, health: s.health() }])),
        redis: mode.redis === null ? null : redisHealth.state(),
        draining,
        marketOpen: market.marketOpen(),
      }),
      staleAfterMs: mode.staleAfterMs,
      staleAfterMsByIndex: mode.staleAfterMsByIndex,
      dataDir: lock === null ? null : resolve(config.dataDir),
      marketOpen: market.marketOpen,
      boundPort: () => boundPort,
      ...(options.healthSamplers === undefined ? {} : { samplers: options.healthSamplers }),
    });
    const stored = createHistoryAssembly({ ...core, history: mode.history.readable ? history : null, clock, engine });
    const watcher = market.watcher((status) => {
      stored.onMarketStatus(status);
      provider.setMarketOpen?.(streamsWanted());
      collectionMetrics?.marketStatusChanged(status, isTrading(status) || status.state === 'PRE_OPEN');
    }, options.clockCheckMs);
    const rateLimits =
      mode.redis === null ? null : createRateLimitRedis({ ...core, redis: mode.redis, health: redisHealth });
    if (rateLimits !== null) {
      life.started('rate-limit redis', () => rateLimits.disconnect());
      await rateLimits.connect();
    }
    const server = createAppServer({
      ...core,
      settings,
      history: mode.history.readable ? history : null,
      profiles: stored.profiles,
      marketClock: clock,
      marketStatus: market.statuses,
      providerName: provider.name,
      startedAt,
      served,
      health,
      sharedBudget: rateLimits?.sharedBudget ?? null,
      activity,
    });

    if (mode.redis !== null) {
      const collector = mode.collects ? { ...collection, providerHealth: ownProviderHealth } : null;
      const relay = createAppRelay({ ...core, redis: mode.redis, collector, redisHealth });
      // A late replica loads the latest snapshots before it listens, so its first answer is current.
      await life.start(
        'redis relay',
        () => relay.start(),
        () => relay.stop(),
      );
      scale = relay;
    }
    life.started('subscriptions', () => pubsub.close());
    // Bound before anything is collected or written: a port in use ends start-up here, with nothing to undo
    // but the lock (and the relay's connections).
    const port = await life.start(
      `http server on ${config.host}:${config.port}`,
      () => server.start(config.port, config.host),
      () => server.stop(),
    );
    boundPort = port;
    provider.setMarketOpen?.(streamsWanted());
    await life.start(
      `provider ${provider.name}`,
      () => provider.start?.(),
      () => provider.close(),
    );
    for (const part of sinks) {
      await life.start(
        `sink ${part.name}`,
        () => part.start?.(),
        () => part.close(),
      );
    }
    watcher.start();
    life.started('market status watcher', () => {
      watcher.stop();
      market.statuses.close();
    });
    const { updater, retention, warmer } = stored;
    if (warmer !== null) {
      warmer.start();
      life.started('overview warm', () => warmer.stop());
    }
    if (updater !== null) {
      // In the background: a large store's first build must not hold start-up.
      updater.start();
      life.started('weekday profiles', () => updater.stop());
    }
    if (retention !== null) {
      retention.start();
      life.started('retention', () => retention.stop());
    }
    const { webhooks } = health;
    if (webhooks !== null) {
      webhooks.start();
      // Stopped after health (so the last alerts are queued) and given a moment to deliver them.
      life.started('alert webhooks', () => webhooks.close(Math.min(2_000, config.shutdownTimeoutMs / 4)));
    }
    // Counted from here: a slow provider start (the instruments download) is not a stale collector.
    collection.countFromNow();
    await life.start(
      'health',
      () => health.service.start(),
      () => health.service.stop(),
    );
    // Stopped before the sinks flush: clients get 1001 and requests in flight finish, then storage closes.
    life.started('clients (WebSockets and HTTP requests)', () => server.stop());
    if (scale !== null && mode.collects) {
      const relay = scale;
      await life.start(
        'collector lease and collection',
        () => relay.startLease(),
        () => relay.stopLease(),
      );
    } else if (mode.collects) {
      collection.start();
      life.started('collection', () => collection.stop());
    }
    life.started('readiness', () => {
      draining = true;
    });
    if (options.signal?.aborted) {
      throw new StartAbortedError('the last parts');
    }

    return {
      port,
      logger,
      stop: () => life.stop(),
      stopProgress: () => life.progress(),
    };
  }
}
