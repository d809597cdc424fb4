#!/usr/bin/env node
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { runLogin } from './cli/login.ts';
import { loadClosingSnapshot } from './collectors/closing-snapshot.ts';
import { type AnalysisSettings, collectOnce } from './collectors/collect-once.ts';
import { createCollectionActivity } from './collectors/collection-activity.ts';
import { createCollectionLoop } from './collectors/collection-loop.ts';
import { DayBaselines } from './collectors/day-baselines.ts';
import { createLiveUpdates } from './collectors/live-updates.ts';
import { createMarketStatusWatcher } from './collectors/market-status-watcher.ts';
import { createSessionGate } from './collectors/session-gate.ts';
import { type Config, loadConfig } from './config.ts';
import { mergeCalendarData, SEGMENTS, type Segment, segmentOf } from './domain/calendar/calendar-data.ts';
import { BUILT_IN_CALENDAR_DATA } from './domain/calendar/default-calendar.ts';
import { ExchangeCalendar, MARKET_STATES, type MarketStatus } from './domain/calendar/exchange-calendar.ts';
import { INDEX_SPECS, type IndexSymbol } from './domain/indices.ts';
import { isIsoDate } from './domain/ist-time.ts';
import {
  createExchangeClock,
  createSimulatedSessionClock,
  isTrading,
  type MarketClock,
} from './domain/market-clock.ts';
import { evaluateHealth } from './health.ts';
import { createHealthMonitor } from './health-monitor.ts';
import { createCsvHistory } from './history/csv-history.ts';
import { Lifecycle } from './lifecycle.ts';
import { createLogger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import { createMetrics } from './metrics.ts';
import type { MarketDataProvider } from './providers/market-data-provider.ts';
import { createReplayProvider } from './providers/replay/replay-provider.ts';
import { createSimulatedProvider } from './providers/simulated/simulated-provider.ts';
import { createRedisConnection, relayKeys } from './scale/redis-connection.ts';
import { createScaleOut, type ScaleOut } from './scale/scale-out.ts';
import { registerScaleOutMetrics } from './scale/scale-out-metrics.ts';
import { createContextFactory } from './schema/context.ts';
import { schema } from './schema/index.ts';
import { API_SCOPES, type ApiScope, generateApiKey } from './server/api-keys.ts';
import { createServer } from './server/create-server.ts';
import { createCsvSink } from './sinks/csv-sink.ts';
import { DataDirLockedError, lockDataDir } from './sinks/data-dir-lock.ts';
import { createFanOutSink } from './sinks/fan-out-sink.ts';
import { createInfluxSink } from './sinks/influx-sink.ts';
import { HeldForRetryError, type SnapshotSink } from './sinks/snapshot-sink.ts';
import { createLatestValuePubSub } from './store/latest-value-pubsub.ts';
import { createSnapshotPubSub, type SnapshotPubSub } from './store/snapshot-pubsub.ts';
import { createSnapshotStore } from './store/snapshot-store.ts';

export interface RunningApp {
  readonly port: number;
  readonly logger: Logger;
  /** Stops every part in reverse start order, carrying on past failures (then throws StopFailedError). */
  stop(): Promise<void>;
  /** The part stopping now and those left: what a shutdown deadline names. */
  stopProgress(): { current: string | null; remaining: readonly string[] };
}

function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
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
}

/** A provider for a process that never collects (an API replica): serving comes from the relay. */
const RELAY_ONLY_PROVIDER: MarketDataProvider = {
  name: 'relay',
  fetchIndex: async () => {
    throw new Error('an API replica never calls a provider');
  },
  close: async () => undefined,
};

/** The configured calendar: the built-in data, G6_MARKET_CALENDAR_FILE over it, G6_MARKET_HOLIDAYS last. */
export function createCalendar(config: Config): ExchangeCalendar {
  const data =
    config.calendarOverride === null
      ? BUILT_IN_CALENDAR_DATA
      : mergeCalendarData(BUILT_IN_CALENDAR_DATA, config.calendarOverride);
  return new ExchangeCalendar(data, config.marketHolidays ?? undefined);
}

/** Kite always follows the exchanges; the simulated market its own session clock unless G6_SIM_CLOCK=exchange. */
export function createMarketClock(config: Config, calendar: ExchangeCalendar): MarketClock {
  return config.mockMode && config.simulatedClock === 'SESSION'
    ? createSimulatedSessionClock(calendar)
    : createExchangeClock(calendar);
}

async function createProvider(
  config: Config,
  logger: Logger,
  metrics: Metrics | null,
  now: () => Date,
  clock: MarketClock,
): Promise<MarketDataProvider> {
  if (config.mockMode) {
    return createSimulatedProvider({
      seed: config.seed,
      clock,
      rate: config.riskFreeRate,
      dividendYield: config.dividendYield,
      now,
    });
  }
  const { kite } = config;
  // Imported only for Kite: kiteconnect and its HTTP stack add a fifth of a second to every other start.
  const { createKiteProvider } = await import('./providers/kite/kite-provider.ts');
  return createKiteProvider({
    apiKey: kite.apiKey as string,
    apiSecret: kite.apiSecret ?? null,
    environmentToken: kite.accessToken ?? null,
    tokenFile: kite.passphrase === undefined ? null : resolve(kite.tokenFile),
    passphrase: kite.passphrase ?? null,
    ...(kite.root === undefined ? {} : { root: kite.root }),
    ...(kite.tickerRoot === undefined ? {} : { tickerRoot: kite.tickerRoot }),
    indices: config.indices,
    strikesAroundAtm: config.strikesAroundAtm,
    cacheDir: resolve(config.dataDir, 'kite'),
    requestTimeoutMs: kite.requestTimeoutMs,
    ticker: kite.ticker && config.liveUpdatesPerSecond > 0,
    rate: config.riskFreeRate,
    dividendYield: config.dividendYield,
    now,
    calendar: clock.calendar,
    logger: logger.child({ component: 'kite' }),
    events: {
      onRequest: (endpoint, outcome, durationMs) => {
        metrics?.kiteRequests.inc({ endpoint, outcome });
        metrics?.kiteRequestDuration.observe({ endpoint }, durationMs / 1000);
      },
      onTokenState: (state) => {
        metrics?.kiteTokenValid.set(state.status === 'valid' ? 1 : 0);
        if (state.expiresAt !== null) {
          metrics?.kiteTokenExpiry.set(state.expiresAt.getTime() / 1000);
        }
      },
      onTick: (outcome) => metrics?.kiteTicks.inc({ outcome }),
      onTickerConnection: (connected) => metrics?.kiteTickerConnected.set(connected ? 1 : 0),
      onTickerReconnect: () => metrics?.kiteTickerReconnects.inc(),
      onMalformedQuote: (index) => metrics?.kiteMalformedQuotes.inc({ index }),
    },
  });
}

function createSinks(config: Config, logger: Logger, metrics: Metrics | null, now: () => Date): SnapshotSink[] {
  const sinks: SnapshotSink[] = [];
  if (config.csvEnabled) {
    metrics?.sinkUp.set({ sink: 'csv' }, 1);
    sinks.push(
      createCsvSink({
        dataDir: resolve(config.dataDir),
        compress: config.csvCompress,
        maxBacklogBytes: config.csvBacklogMaxBytes,
        now,
        logger: logger.child({ component: 'csv' }),
        events: {
          onRowsWritten: (file, rows) => metrics?.csvRowsWritten.inc({ file }, rows),
          onRowsRejected: (file, rows) => metrics?.csvRowsRejected.inc({ file }, rows),
          onDuplicate: (index) => metrics?.csvDuplicateSnapshots.inc({ index }),
          onRecovered: (index, recovery) => {
            metrics?.csvTornBytes.inc({ index }, recovery.tornBytes);
            metrics?.csvUncommittedRows.inc({ index }, recovery.uncommittedRows);
          },
          onUpChanged: (up) => metrics?.sinkUp.set({ sink: 'csv' }, up ? 1 : 0),
          onBacklogChanged: (snapshots, bytes) => {
            metrics?.sinkBacklogSnapshots.set({ sink: 'csv' }, snapshots);
            metrics?.sinkBacklogBytes.set({ sink: 'csv' }, bytes);
          },
          onDropped: (index) => metrics?.sinkDroppedSnapshots.inc({ sink: 'csv', index }),
        },
      }),
    );
  }
  if (config.influx !== null) {
    const influx = config.influx;
    metrics?.sinkUp.set({ sink: 'influx' }, 1);
    sinks.push(
      createInfluxSink({
        url: influx.url,
        token: influx.token,
        org: influx.org,
        bucket: influx.bucket,
        spoolDir: resolve(config.dataDir, 'spool', 'influx'),
        maxSpoolBytes: influx.spoolMaxBytes,
        requestTimeoutMs: influx.requestTimeoutMs,
        retryMaxMs: influx.retryMaxMs,
        logger: logger.child({ component: 'influx' }),
        now,
        events: {
          onPointsSpooled: (points) => metrics?.influxPointsSpooled.inc(points),
          onPointsSent: (points) => metrics?.influxPointsSent.inc(points),
          onSendFailed: (kind) => metrics?.influxWriteFailures.inc({ kind }),
          onSpoolChanged: (bytes, records) => {
            metrics?.sinkBacklogSnapshots.set({ sink: 'influx' }, records);
            metrics?.sinkBacklogBytes.set({ sink: 'influx' }, bytes);
          },
          onSpoolFull: (index) => metrics?.sinkDroppedSnapshots.inc({ sink: 'influx', index }),
          onCorrupt: (bytes) => metrics?.influxSpoolCorruptBytes.inc(bytes),
          onUpChanged: (up) => metrics?.sinkUp.set({ sink: 'influx' }, up ? 1 : 0),
        },
      }),
    );
  }
  return sinks;
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
  let metrics: ReturnType<typeof createMetrics> | null = null;
  const pubsub = createSnapshotPubSub({ onConflated: (index) => metrics?.subscriptionEventsConflated.inc({ index }) });
  metrics = config.metricsEnabled
    ? createMetrics({
        snapshotAgeSeconds: () =>
          store.list().map((s) => ({ index: s.index, ageSeconds: (now().getTime() - s.observedAt.getTime()) / 1000 })),
        activeSubscriptions: () => pubsub.subscriberCount(),
      })
    : null;

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
  const life = new Lifecycle();
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
        ? await createProvider(config, logger, metrics, now, clock)
        : createReplayProvider({
            source: createCsvHistory({ dataDir: resolve(config.dataDir) }),
            indices: config.indices,
            fromDay: replay.fromDay,
            toDay: replay.toDay,
            speed: replay.speed,
            logger: logger.child({ component: 'replay' }),
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

    // A replay re-reads the store; writing it back would only duplicate what is there.
    const sinks = replay === undefined && collects ? createSinks(config, logger, metrics, now) : [];
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
      onRested: (index) => metrics?.collectionRestChecks.inc({ index }),
      onRestChanged: (index, resumesAt) => {
        metrics?.collectionResting.set({ index }, resumesAt === null ? 0 : 1);
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
          metrics?.sinkWriteDuration.observe({ sink: outcome.sink }, outcome.durationMs / 1000);
          if (!outcome.ok) {
            metrics?.sinkWriteFailures.inc({ sink: outcome.sink });
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
        metrics?.collectDuration.observe({ index }, durationMs / 1000);
        metrics?.lastSuccess.set({ index }, now().getTime() / 1000);
      },
      onTickFailed: (index, error, consecutiveFailures, retryInMs) => {
        metrics?.collectFailures.inc({ index });
        collectorLogger.warn(
          { index, err: error, consecutiveFailures, retryInMs: Math.round(retryInMs) },
          'collection failed',
        );
      },
    });

    // Replayed snapshots carry their stored times; they are history, not stale data.
    const staleAfterMs =
      replay === undefined
        ? Math.max(3 * config.collectionIntervalMs, config.collectionIntervalMs + config.collectionTimeoutMs)
        : Number.POSITIVE_INFINITY;
    const liveUpdates = createLiveUpdates({
      provider,
      store,
      pubsub: collectedPubSub,
      settings,
      baselines,
      // A replay publishes every stored snapshot; live ticks are coalesced.
      maxUpdatesPerSecond: replay === undefined ? config.liveUpdatesPerSecond : Number.POSITIVE_INFINITY,
      onPublished: (index) => metrics?.liveUpdatesPublished.inc({ index }),
      onError: (index, error) => collectorLogger.warn({ index, err: error }, 'live update failed'),
    });
    const ownProviderHealth = () => provider.health?.() ?? { ready: true, problems: [] };
    // Serving another process's collection (an API replica, a standby collector), its state is the relay's.
    const providerHealth = () => (scale?.servesRelay() ? scale.relayHealth() : ownProviderHealth());
    const sinkHealth = () => sinks.flatMap((s) => (s.health === undefined ? [] : [s.health()]));
    const collectorStatus = () =>
      scale?.servesRelay() ? [...scale.relayedStatus()] : replay === undefined && collects ? loop.status() : [];
    const isResting = (index: IndexSymbol) =>
      scale?.servesRelay()
        ? (scale.relayedStatus().find((s) => s.index === index)?.resting ?? false)
        : gate.isResting(index);
    // In session or its pre-open, as the exchange (or simulated) clock says; not G6_COLLECT_OUTSIDE_HOURS.
    const marketOpen = () =>
      segments.some((segment) => {
        const status = clock.status(segment, now());
        return isTrading(status) || status.state === 'PRE_OPEN';
      });
    const health = () => {
      const report = evaluateHealth(
        collectorStatus(),
        now().getTime(),
        staleAfterMs,
        providerHealth(),
        sinkHealth(),
        marketOpen(),
      );
      return draining ? { ...report, ready: false, problems: ['shutting down', ...report.problems] } : report;
    };
    const watcher = createMarketStatusWatcher({
      clock,
      segments,
      now,
      ...(options.clockCheckMs === undefined ? {} : { maxCheckMs: options.clockCheckMs }),
      onError: (error) => logger.error({ err: error }, 'market calendar cannot place the next session'),
      onChange: (status) => {
        warnUnknownMonths(status.segment, status.at);
        provider.setMarketOpen?.(streamsWanted());
        for (const state of MARKET_STATES) {
          metrics?.marketState.set({ segment: status.segment, state }, state === status.state ? 1 : 0);
        }
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
      }),
      logger,
      registry: metrics?.registry ?? null,
      health,
      onWsConnectionsChanged: (delta) => metrics?.wsConnections.inc(delta),
      fieldSuggestions: config.logLevel === 'debug' || config.logLevel === 'trace',
      limits: config.api,
      costSettings: { indices: config.indices.length, defaultStrikesAroundAtm: config.strikesAroundAtm },
      onShed: () => metrics?.requestsShed.inc(),
      // Live ticks put snapshots too, so a shared answer never outlives the data it was computed from.
      dataVersion: () => store.version(),
      onSharedAnswer: (outcome) => metrics?.sharedAnswers.inc({ outcome }),
      onSubscriptionConflated: () => metrics?.wsEventsSkipped.inc(),
      fanOutYieldTo: (maxWaitMs) => activity.whenIdle(maxWaitMs),
      onSlowConsumer: () => metrics?.wsSlowConsumersClosed.inc(),
    });
    const monitor = createHealthMonitor({
      intervalMs: config.healthIntervalMs,
      evaluate: health,
      logger: logger.child({ component: 'health' }),
    });

    const collection = {
      start() {
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
        ...(metrics === null ? {} : { events: registerScaleOutMetrics(metrics.registry, role.toLowerCase()) }),
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
    monitor.start();
    life.started('health monitor', () => monitor.stop());
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

    return {
      port,
      logger,
      stop: () => life.stop(),
      stopProgress: () => life.progress(),
    };
  }
}

/** A URL with any password replaced, for logs. */
function redactUrl(text: string): string {
  const url = new URL(text);
  if (url.password !== '') {
    url.password = '[Redacted]';
  }
  return url.toString();
}

/** `g6 keygen <name> [scope+scope]`: a new API key, and the G6_API_KEYS entry that admits it. */
function runKeygen(argv: readonly string[]): number {
  const [name, scopeText = API_SCOPES.join('+'), ...rest] = argv;
  const scopes = scopeText.split('+');
  const bad = scopes.filter((s) => !(API_SCOPES as readonly string[]).includes(s));
  if (name === undefined || rest.length > 0 || bad.length > 0 || !/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
    process.stderr.write(
      `Usage: g6 keygen <name> [scope+scope]   scopes: ${API_SCOPES.join(', ')} (default: all)\n` +
        '  prints a new API key (give it to the client; it is not stored) and its G6_API_KEYS entry\n',
    );
    return 2;
  }
  const { key, entry } = generateApiKey(name, scopes as ApiScope[]);
  process.stdout.write(`key (for the client, shown once): ${key}\nG6_API_KEYS entry: ${entry}\n`);
  return 0;
}

const REPLAY_USAGE =
  'Usage: g6 replay --from <YYYY-MM-DD> --to <YYYY-MM-DD> [--speed N] [--port n] [--debug]\n' +
  '  plays the CSV days stored under G6_DATA_DIR through the live pipeline (queries, subscriptions)\n';

/** `g6 replay` flags; the server flags (--port, --debug) pass through to the configuration. */
export function parseReplayArgs(
  argv: readonly string[],
): { replay: ReplaySettings; rest: string[] } | { errors: string[] } {
  let values: { from?: string; to?: string; speed?: string; port?: string; debug?: boolean };
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        speed: { type: 'string' },
        port: { type: 'string' },
        debug: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    return { errors: [(error as Error).message] };
  }
  const errors: string[] = [];
  const day = (flag: 'from' | 'to') => {
    const text = values[flag]?.trim();
    if (text === undefined) {
      errors.push(`--${flag}: required (a date, YYYY-MM-DD)`);
      return '';
    }
    const iso = /^\d{8}$/.test(text) ? `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6)}` : text;
    if (!isIsoDate(iso)) {
      errors.push(`--${flag} ${JSON.stringify(text)}: expected a date, YYYY-MM-DD`);
    }
    return iso;
  };
  const fromDay = day('from');
  const toDay = day('to');
  if (errors.length === 0 && fromDay > toDay) {
    errors.push(`--from ${fromDay} is after --to ${toDay}`);
  }
  const speed = values.speed === undefined ? 1 : Number(values.speed);
  if (!(Number.isFinite(speed) && speed > 0 && speed <= 100_000)) {
    errors.push(`--speed ${JSON.stringify(values.speed)}: expected a number above 0, at most 100000`);
  }
  if (errors.length > 0) {
    return { errors };
  }
  const rest = [
    ...(values.port === undefined ? [] : ['--port', values.port]),
    ...(values.debug === true ? ['--debug'] : []),
    '--mock',
  ];
  return { replay: { fromDay, toDay, speed }, rest };
}

/** CLI entry: parse config (exit 2 on bad values), run until SIGTERM/SIGINT, shut down cleanly. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  if (argv[0] === 'login') {
    process.exitCode = await runLogin(argv.slice(1), env, {
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
    });
    return;
  }
  if (argv[0] === '--version' || argv[0] === '-v') {
    process.stdout.write(`g6 ${readVersion()}\n`);
    return;
  }
  if (argv[0] === 'keygen') {
    process.exitCode = runKeygen(argv.slice(1));
    return;
  }
  let replay: ReplaySettings | undefined;
  let configArgv = argv;
  if (argv[0] === 'replay') {
    const parsed = parseReplayArgs(argv.slice(1));
    if ('errors' in parsed) {
      process.stderr.write(
        `g6 replay: invalid arguments\n${parsed.errors.map((e) => `  ${e}\n`).join('')}${REPLAY_USAGE}`,
      );
      process.exitCode = 2;
      return;
    }
    replay = parsed.replay;
    configArgv = parsed.rest;
  }
  const result = loadConfig(env, configArgv, process.stdout.isTTY === true);
  if (result.kind === 'help') {
    process.stdout.write(result.text);
    return;
  }
  if (result.kind === 'invalid') {
    process.stderr.write(`g6: invalid configuration\n${result.errors.map((e) => `  ${e}\n`).join('')}`);
    process.exitCode = 2;
    return;
  }
  const { config } = result;
  const logger = createLogger(config);
  let app: RunningApp | null = null;
  let onFatal: (error: Error) => void = (error) => {
    logger.fatal({ err: error }, 'fatal: exiting');
    logger.flush();
    process.exit(1);
  };
  // A crash is logged with its error, then the same bounded shutdown as a signal (exit 1).
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    onFatal(error);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection');
    onFatal(reason instanceof Error ? reason : new Error(String(reason)));
  });
  try {
    app = await startApp(config, logger, {
      ...(replay === undefined ? {} : { replay }),
      onFatal: (error) => onFatal(error),
    });
  } catch (error) {
    if (error instanceof DataDirLockedError) {
      // A usage error like a bad variable: the operator started a second writer on one directory.
      logger.fatal({ dataDir: error.dataDir, holder: error.holder }, error.message);
      process.stderr.write(`g6: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
    const message = inUse
      ? `start-up failed: port ${config.port} on ${config.host} is in use (G6_PORT / --port); nothing was collected`
      : 'start-up failed';
    logger.fatal({ err: error, unwound: (error as { unwound?: unknown }).unwound }, message);
    if (inUse) {
      process.stderr.write(`g6: ${message}\n`);
    }
    logger.flush();
    process.exitCode = 1;
    return;
  }
  const running = app;
  const displayHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  logger.info(
    {
      url: `http://${displayHost}:${running.port}/graphql`,
      port: running.port,
      provider:
        replay !== undefined ? 'replay' : config.role === 'API' ? 'relay' : config.mockMode ? 'simulated' : 'kite',
      indices: config.indices,
      collectionIntervalSeconds: config.collectionIntervalMs / 1000,
      csv: config.csvEnabled ? resolve(config.dataDir, 'csv') : false,
      influx: config.influx === null ? false : config.influx.url,
      metrics: config.metricsEnabled,
      role: config.role.toLowerCase(),
      redis: config.redis === null ? false : redactUrl(config.redis.url),
    },
    `G6 server ready: GraphiQL at http://${displayHost}:${running.port}/graphql`,
  );

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals, exitCode = 0) => {
    if (stopping) {
      // A second signal: the operator does not want to wait.
      logger.warn({ signal, stopping: running.stopProgress() }, 'second signal: exiting now');
      logger.flush();
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'shutting down');
    const deadline = setTimeout(() => {
      const { current, remaining } = running.stopProgress();
      logger.error(
        { stopping: current, notStopped: remaining, timeoutMs: config.shutdownTimeoutMs },
        `shutdown did not finish within G6_SHUTDOWN_TIMEOUT (${config.shutdownTimeoutMs / 1000} s): still stopping ${current ?? 'nothing'}`,
      );
      logger.flush();
      process.exit(1);
    }, config.shutdownTimeoutMs);
    running
      .stop()
      .then(() => {
        logger.info('stopped');
        return exitCode;
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        return 1;
      })
      .then((code) => {
        clearTimeout(deadline);
        logger.flush();
        process.exit(code);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  onFatal = (error) => {
    logger.fatal({ err: error }, 'fatal: shutting down');
    shutdown('SIGTERM', 1);
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main(process.argv.slice(2), process.env);
}
