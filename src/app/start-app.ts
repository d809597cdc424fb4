import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { ProgressFactory } from '../cli/progress.ts';
import { loadClosingSnapshot } from '../collectors/closing-snapshot.ts';
import { type AnalysisSettings, collectOnce } from '../collectors/collect-once.ts';
import { createCollectionActivity } from '../collectors/collection-activity.ts';
import { createCollectionLoop } from '../collectors/collection-loop.ts';
import { registerCollectionMetrics } from '../collectors/collection-metrics.ts';
import { DayBaselines } from '../collectors/day-baselines.ts';
import { createLiveUpdates } from '../collectors/live-updates.ts';
import { createMarketStatusWatcher } from '../collectors/market-status-watcher.ts';
import { createSessionGate } from '../collectors/session-gate.ts';
import type { Config } from '../config.ts';
import { SEGMENTS, type Segment, segmentOf } from '../domain/calendar/calendar-data.ts';
import type { MarketStatus } from '../domain/calendar/exchange-calendar.ts';
import { INDEX_SPECS, type IndexSymbol } from '../domain/indices.ts';
import { isTrading } from '../domain/market-clock.ts';
import { createAlertWebhooks } from '../health/alert-webhooks.ts';
import { DISK_DOWN_FREE_PERCENT, DISK_MIN_RUNWAY_MS } from '../health/health-model.ts';
import { createHealthService, type HealthSamplers } from '../health/health-service.ts';
import { readinessReport } from '../health/readiness.ts';
import { createCsvHistory } from '../history/csv-history.ts';
import { Lifecycle, StartAbortedError } from '../lifecycle.ts';
import { createMetricsRegistry } from '../metrics.ts';
import { createReplayProvider } from '../providers/replay/replay-provider.ts';
import { createRedisConnection, relayKeys } from '../scale/redis-connection.ts';
import { createScaleOut, type ScaleOut } from '../scale/scale-out.ts';
import { registerScaleOutMetrics } from '../scale/scale-out-metrics.ts';
import { createContextFactory } from '../schema/context.ts';
import { schema } from '../schema/index.ts';
import { createServer } from '../server/create-server.ts';
import { lockDataDir } from '../sinks/data-dir-lock.ts';
import { createFanOutSink } from '../sinks/fan-out-sink.ts';
import { registerSinkMetrics } from '../sinks/sink-metrics.ts';
import { HeldForRetryError } from '../sinks/snapshot-sink.ts';
import { createLatestValuePubSub } from '../store/latest-value-pubsub.ts';
import { createSnapshotPubSub, type SnapshotPubSub } from '../store/snapshot-pubsub.ts';
import { createSnapshotStore } from '../store/snapshot-store.ts';
import { registerStoreMetrics } from '../store/store-metrics.ts';
import { createCalendar, createMarketClock } from './market-calendar.ts';
import { createProvider, RELAY_ONLY_PROVIDER } from './provider-factory.ts';
import { createSinks } from './sink-factory.ts';
import { readVersion } from './version.ts';

export interface RunningApp {
  readonly port: number;
  readonly logger: Logger;
  /** Stops every part in reverse start order, carrying on past failures (then throws StopFailedError). */
  stop(): Promise<void>;
  /** The part stopping now and those left: what a shutdown deadline names. */
  stopProgress(): { current: string | null; remaining: readonly string[] };
}

export interface ReplaySettings {
  /** Inclusive IST days, `YYYY-MM-DD`. */
  readonly fromDay: string;
  readonly toDay: string;
  readonly speed: number;
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

/** Builds every part from the config, starts collection and the server; `stop()` tears down in reverse. */
export async function startApp(config: Config, logger: Logger, options: StartOptions = {}): Promise<RunningApp> {
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const calendar = createCalendar(config);
  const clock = createMarketClock(config, calendar);
  const segments = SEGMENTS.filter((s) => config.indices.some((i) => segmentOf(INDEX_SPECS[i]) === s));
  // Once per segment and month set: at start-up, and again when a new month brings an unknown one in view.
  const warnedUnknown = new Set<string>();
  const warnUnknownMonths = (segment: Segment, instant: Date) => {
    const unknown = calendar.unknownMonths(segment, instant);
    const key = `${segment}|${unknown.join(',')}`;
    if (unknown.length > 0 && !warnedUnknown.has(key)) {
      warnedUnknown.add(key);
      logger.warn(
        { segment, months: unknown },
        'market calendar unknown for these months (holidays not published in this build): weekdays are treated as ' +
          'sessions; add them with G6_MARKET_CALENDAR_FILE or G6_MARKET_HOLIDAYS',
      );
    }
  };
  for (const segment of segments) {
    warnUnknownMonths(segment, startedAt);
  }
  const store = createSnapshotStore();
  const marketStatus = createLatestValuePubSub<Segment, MarketStatus>((s) => s.segment);
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
      : registerCollectionMetrics(registry, { indices: config.indices, intervalMs: config.collectionIntervalMs });

  const { replay } = options;
  // A replay is a process of its own: no roles, no Redis.
  const role = replay === undefined ? config.role : 'ALL';
  const redis = replay === undefined ? config.redis : null;
  const collects = role !== 'API';
  // One process writes a data directory (CSV, spool, Kite cache): taken before anything is written.
  const lock =
    collects && replay === undefined
      ? await lockDataDir(config.dataDir, {
          role: role.toLowerCase(),
          startedAt,
          onCompromised: (error) => {
            const lost = new Error(`data directory lock lost: ${error.message}`);
            if (options.onFatal === undefined) {
              logger.fatal({ err: lost }, 'data directory lock lost: another process may be writing it');
            } else {
              options.onFatal(lost);
            }
          },
        })
      : null;
  if (lock !== null && lock.tookOverFrom !== null) {
    logger.warn(
      { dataDir: resolve(config.dataDir), holder: lock.tookOverFrom },
      'data directory lock taken over from a dead holder',
    );
  }
  const life = new Lifecycle(options.signal);
  if (lock !== null) {
    life.started('data directory lock', () => lock.release());
  }
  return life.run(assemble);

  async function assemble(): Promise<RunningApp> {
    // Set first when stopping: /ready turns 503 before anything else stops.
    let draining = false;
    const provider = !collects
      ? RELAY_ONLY_PROVIDER
      : replay === undefined
        ? await createProvider(config, logger, registry, now, clock, options.progress)
        : createReplayProvider({
            source: createCsvHistory({ dataDir: resolve(config.dataDir) }),
            indices: config.indices,
            fromDay: replay.fromDay,
            toDay: replay.toDay,
            speed: replay.speed,
            logger: logger.child({ component: 'replay' }),
            progress: options.progress,
          });
    const settings: AnalysisSettings = {
      conventions: config.conventions,
      strikesAroundAtm: config.strikesAroundAtm,
      clock,
      staleAfterMs: config.staleQuoteMs,
    };
    const lastCollectedAt = new Map<IndexSymbol, Date>();
    const gate = createSessionGate({
      clock,
      now,
      // A replay plays stored sessions whatever the hour.
      collectOutsideHours: config.collectOutsideHours || replay !== undefined,
      // Collected (or restored) snapshots only: a live tick after the close is no closing snapshot.
      lastObservedAt: (index) => lastCollectedAt.get(index) ?? null,
      ...(options.clockCheckMs === undefined ? {} : { maxRestMs: options.clockCheckMs }),
    });
    // An API replica reads the collector's CSV store when its data directory is shared (read-only).
    const csvDir = resolve(config.dataDir, 'csv');
    const historyReadable = collects ? config.csvEnabled : existsSync(csvDir);
    const history = historyReadable ? createCsvHistory({ dataDir: resolve(config.dataDir) }) : null;
    // A collector without CSV gets the schema's own reason (G6_ENABLE_CSV=false).
    const historyUnavailableReason = collects
      ? undefined
      : `history is read from the collector's CSV store, and this API replica has none at ${csvDir} ` +
        "(mount the collector's G6_DATA_DIR here, read-only, to serve history)";
    const collectorLogger = logger.child({ component: 'collector' });
    if (
      collects &&
      replay === undefined &&
      history !== null &&
      clock.mode === 'EXCHANGE' &&
      !config.collectOutsideHours
    ) {
      // Started while closed: the session's close from storage, rather than asking the provider again.
      for (const index of config.indices) {
        if (gate.inSession(index)) {
          continue;
        }
        const restored = await loadClosingSnapshot(history, index, clock, settings, now()).catch((error: unknown) => {
          collectorLogger.warn({ index, err: error }, 'stored closing snapshot unreadable; collecting one instead');
          return null;
        });
        if (restored !== null) {
          store.put(restored);
          lastCollectedAt.set(index, restored.observedAt);
          collectorLogger.info(
            { index, seq: restored.seq, observedAt: restored.observedAt.toISOString() },
            'market closed: serving the stored closing snapshot',
          );
        }
      }
    }
    // Streams follow the session, not the collection: shut at the close (the closing snapshot needs only
    // REST) and while a closed start takes its one snapshot, open from the pre-open.
    const streamsWanted = () => config.indices.some((index) => gate.inSession(index));

    const sinkMetrics = registry === null || !collects ? null : registerSinkMetrics(registry);
    // A replay re-reads the store; writing it back would only duplicate what is there.
    const sinks = replay === undefined && collects ? createSinks(config, logger, sinkMetrics, now) : [];
    const sink = createFanOutSink(sinks);
    const baselines = new DayBaselines();
    const activity = createCollectionActivity();
    let scale: ScaleOut | null = null;
    // What this process collects goes to its own subscribers and, scaled out, to the replicas.
    const collectedPubSub: SnapshotPubSub = {
      ...pubsub,
      publish(snapshot) {
        pubsub.publish(snapshot);
        scale?.relay(snapshot);
      },
    };

    const loop = createCollectionLoop({
      indices: config.indices,
      intervalMs: config.collectionIntervalMs,
      timeoutMs: config.collectionTimeoutMs,
      maxWorkers: config.maxWorkers,
      maxBackoffMs: Math.max(config.collectionIntervalMs, 5 * 60_000),
      now,
      gate: (index) => gate.decide(index),
      onRested: (index) => collectionMetrics?.rested(index),
      onRestChanged: (index, resumesAt) => {
        collectionMetrics?.restChanged(index, resumesAt !== null);
        if (resumesAt === null) {
          collectorLogger.info({ index }, 'market session: collection resumed');
        } else {
          collectorLogger.info({ index, resumesAt: resumesAt.toISOString() }, 'market closed: collection resting');
        }
        provider.setMarketOpen?.(streamsWanted());
      },
      collect: async (index, signal) => {
        const result = await collectOnce(
          {
            provider,
            store,
            pubsub: collectedPubSub,
            sink,
            settings,
            baselines,
            sinkTimeoutMs: config.collectionTimeoutMs,
            activity,
          },
          index,
          signal,
        );
        lastCollectedAt.set(index, result.snapshot.observedAt);
        for (const outcome of result.sinkOutcomes) {
          sinkMetrics?.recordWrite(outcome.sink, outcome.durationMs, outcome.ok);
          if (!outcome.ok) {
            // A held snapshot is not lost and the sink raised its alert once; each later one is detail.
            const level = outcome.error instanceof HeldForRetryError ? 'debug' : 'warn';
            collectorLogger[level]({ index, sink: outcome.sink, err: outcome.error }, 'sink write failed');
          }
        }
        const nearest = result.snapshot.chains[0];
        collectorLogger.debug(
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
        collectorLogger.warn(
          { index, err: error, consecutiveFailures, retryInMs: Math.round(retryInMs) },
          'collection failed',
        );
      },
    });

    // Replayed snapshots carry their stored times; they are history, not stale data.
    const staleAfterMs =
      replay === undefined
        ? Math.max(
            config.health.staleIntervals * config.collectionIntervalMs,
            config.collectionIntervalMs + config.collectionTimeoutMs,
          )
        : Number.POSITIVE_INFINITY;
    const liveUpdates = createLiveUpdates({
      provider,
      store,
      pubsub: collectedPubSub,
      settings,
      baselines,
      // A replay publishes every stored snapshot; live ticks are coalesced.
      maxUpdatesPerSecond: replay === undefined ? config.liveUpdatesPerSecond : Number.POSITIVE_INFINITY,
      onPublished: (index) => collectionMetrics?.liveUpdatePublished(index),
      onError: (index, error) => collectorLogger.warn({ index, err: error }, 'live update failed'),
    });
    const ownProviderHealth = () => provider.health?.() ?? { ready: true, problems: [] };
    // Serving another process's collection (an API replica, a standby collector), its state is the relay's.
    const providerHealth = () => (scale?.servesRelay() ? scale.relayHealth() : ownProviderHealth());
    const collectorStatus = () =>
      scale?.servesRelay() ? [...scale.relayedStatus()] : replay === undefined && collects ? loop.status() : [];
    const isResting = (index: IndexSymbol) =>
      scale?.servesRelay()
        ? (scale.relayedStatus().find((s) => s.index === index)?.resting ?? false)
        : gate.isResting(index);
    // In session or its pre-open, as the exchange (or simulated) clock says; not G6_COLLECT_OUTSIDE_HOURS.
    const marketOpen = () => {
      try {
        return segments.some((segment) => {
          const status = clock.status(segment, now());
          return isTrading(status) || status.state === 'PRE_OPEN';
        });
      } catch {
        // A calendar that cannot place the next session (the watcher logs it): not known.
        return null;
      }
    };
    let collectingSinceMs = startedAt.getTime();
    let boundPort: number | null = null;
    let redisState: { up: boolean; downSinceMs: number | null } | null =
      redis === null ? null : { up: false, downSinceMs: null };
    const healthLogger = logger.child({ component: 'health' });
    const webhooks =
      config.alertWebhooks === null
        ? null
        : createAlertWebhooks({
            urls: config.alertWebhooks.urls,
            secret: config.alertWebhooks.secret,
            instance: () => `${hostname()}:${boundPort ?? config.port}`,
            logger: healthLogger,
            timeoutMs: config.alertWebhooks.timeoutMs,
            maxBackoffMs: config.alertWebhooks.maxBackoffMs,
            maxAttempts: config.alertWebhooks.maxAttempts,
            maxQueue: config.alertWebhooks.maxQueue,
            now,
            onDelivered: (webhook) => healthService.webhookEvents.webhookEvent(webhook, 'delivered'),
            onRetry: (webhook) => healthService.webhookEvents.webhookEvent(webhook, 'retried'),
            onGivenUp: (webhook) => healthService.webhookEvents.webhookEvent(webhook, 'given_up'),
            onDropped: (webhook) => healthService.webhookEvents.webhookEvent(webhook, 'dropped'),
          });
    const healthService = createHealthService({
      parts: () => ({
        provider: providerHealth(),
        collectors: collectorStatus(),
        collectingSinceMs,
        sinks: sinks.flatMap((s) => (s.health === undefined ? [] : [{ name: s.name, health: s.health() }])),
        redis: redisState,
        draining,
        marketOpen: marketOpen(),
      }),
      thresholds: {
        staleAfterMs,
        diskMinFreePercent: config.health.diskMinFreePercent,
        diskDownFreePercent: Math.min(DISK_DOWN_FREE_PERCENT, config.health.diskMinFreePercent),
        diskMinRunwayMs: DISK_MIN_RUNWAY_MS,
        eventLoopP99Ms: config.health.eventLoopP99Ms,
        maxRssBytes: config.health.maxRssBytes,
      },
      alertPolicy: { forMs: config.health.alertForMs, keepFiringForMs: config.health.keepFiringForMs },
      // Only the process that writes the directory watches its space (an API replica writes nothing).
      dataDir: lock === null ? null : resolve(config.dataDir),
      now,
      logger: healthLogger,
      registry,
      webhooks,
      webhookCount: config.alertWebhooks?.urls.length ?? 0,
      summaryIntervalMs: config.healthIntervalMs,
      ...(options.healthSamplers === undefined ? {} : { samplers: options.healthSamplers }),
    });
    const health = () => readinessReport(healthService.check(), marketOpen());
    const watcher = createMarketStatusWatcher({
      clock,
      segments,
      now,
      ...(options.clockCheckMs === undefined ? {} : { maxCheckMs: options.clockCheckMs }),
      onError: (error) => logger.error({ err: error }, 'market calendar cannot place the next session'),
      onChange: (status) => {
        warnUnknownMonths(status.segment, status.at);
        provider.setMarketOpen?.(streamsWanted());
        collectionMetrics?.marketStatusChanged(status, isTrading(status) || status.state === 'PRE_OPEN');
        logger.info(
          { segment: status.segment, state: status.state, tradingDay: status.tradingDay, clock: clock.mode },
          'market status',
        );
        marketStatus.publish(status);
      },
    });
    // Replicas share each key's rate budget through Redis; the relay's connections stay the relay's own.
    const rateLimitRedis =
      redis === null
        ? null
        : createRedisConnection({
            url: redis.url,
            name: `g6-${role.toLowerCase()}-rate-limits`,
            logger: logger.child({ component: 'rate-limits' }),
            now,
            onUpChanged: (up) => {
              redisState = { up, downSinceMs: up ? null : now().getTime() };
            },
          });
    if (rateLimitRedis !== null) {
      life.started('rate-limit redis', () => rateLimitRedis.disconnect());
      // Connected before the first request, so budgets are shared from the start; an unreachable Redis is
      // retried in the background (each replica counts alone meanwhile).
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        rateLimitRedis.connect().catch(() => undefined),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 1_000);
        }),
      ]);
      clearTimeout(timer);
    }
    const server = createServer({
      ...(rateLimitRedis === null || redis === null
        ? {}
        : {
            sharedBudget: {
              redis: rateLimitRedis,
              keyPrefix: relayKeys(redis.prefix).rateLimitPrefix,
              onSharedChanged: (shared: boolean, error?: unknown) =>
                shared
                  ? logger.info('rate limits shared through redis again')
                  : logger.warn(
                      { err: error },
                      'rate limits: redis unavailable, each replica counts on its own until it answers',
                    ),
            },
          }),
      schema,
      createContext: createContextFactory({
        store,
        pubsub,
        indices: config.indices,
        analysis: settings,
        history,
        now,
        marketClock: clock,
        marketStatus,
        serverInfo: {
          version: readVersion(),
          provider: provider.name,
          startedAt,
          collectionIntervalMs: config.collectionIntervalMs,
          collectorStatus,
          providerHealth,
          staleAfterMs,
          isResting,
        },
        ...(historyUnavailableReason === undefined ? {} : { historyUnavailableReason }),
        health: healthService.feed,
      }),
      logger,
      registry,
      health,
      fieldSuggestions: config.logLevel === 'debug' || config.logLevel === 'trace',
      limits: config.api,
      costSettings: { indices: config.indices.length, defaultStrikesAroundAtm: config.strikesAroundAtm },
      // Live ticks put snapshots too, so a shared answer never outlives the data it was computed from.
      dataVersion: () => store.version(),
      fanOutYieldTo: (maxWaitMs) => activity.whenIdle(maxWaitMs),
    });

    const collection = {
      start() {
        collectingSinceMs = now().getTime();
        if (replay === undefined) {
          loop.start();
        }
        liveUpdates.start();
      },
      async stop() {
        liveUpdates.stop();
        await loop.stop();
      },
    };
    if (redis !== null) {
      const relay = createScaleOut({
        redis,
        role,
        indices: config.indices,
        store,
        pubsub,
        collector: collects ? { ...collection, status: () => loop.status(), providerHealth: ownProviderHealth } : null,
        now,
        logger,
        ...(registry === null ? {} : { events: registerScaleOutMetrics(registry, role.toLowerCase()) }),
      });
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
      marketStatus.close();
    });
    if (webhooks !== null) {
      webhooks.start();
      // Stopped after health (so the last alerts are queued) and given a moment to deliver them.
      life.started('alert webhooks', () => webhooks.close(Math.min(2_000, config.shutdownTimeoutMs / 4)));
    }
    // Counted from here: a slow provider start (the instruments download) is not a stale collector.
    collectingSinceMs = now().getTime();
    await life.start(
      'health',
      () => healthService.start(),
      () => healthService.stop(),
    );
    // Stopped before the sinks flush: clients get 1001 and requests in flight finish, then storage closes.
    life.started('clients (WebSockets and HTTP requests)', () => server.stop());
    if (scale !== null && collects) {
      const relay = scale;
      await life.start(
        'collector lease and collection',
        () => relay.startLease(),
        () => relay.stopLease(),
      );
    } else if (collects) {
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
