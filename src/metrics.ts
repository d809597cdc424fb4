import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { IndexSymbol } from './domain/indices.ts';

export interface Metrics {
  readonly registry: Registry;
  readonly collectDuration: Histogram<'index'>;
  readonly collectFailures: Counter<'index'>;
  readonly lastSuccess: Gauge<'index'>;
  readonly sinkWriteDuration: Histogram<'sink'>;
  readonly sinkWriteFailures: Counter<'sink'>;
  readonly csvRowsWritten: Counter<'file'>;
  readonly csvRowsRejected: Counter<'file'>;
  readonly csvDuplicateSnapshots: Counter<'index'>;
  readonly csvTornBytes: Counter<'index'>;
  readonly csvUncommittedRows: Counter<'index'>;
  readonly sinkUp: Gauge<'sink'>;
  readonly sinkBacklogSnapshots: Gauge<'sink'>;
  readonly sinkBacklogBytes: Gauge<'sink'>;
  readonly sinkDroppedSnapshots: Counter<'sink' | 'index'>;
  readonly influxPointsSpooled: Counter;
  readonly influxPointsSent: Counter;
  readonly influxWriteFailures: Counter<'kind'>;
  readonly influxSpoolCorruptBytes: Counter;
  readonly subscriptionEventsConflated: Counter<'index'>;
  readonly wsConnections: Gauge;
  readonly kiteRequests: Counter<'endpoint' | 'outcome'>;
  readonly kiteRequestDuration: Histogram<'endpoint'>;
  readonly kiteTokenValid: Gauge;
  readonly kiteTokenExpiry: Gauge;
  readonly kiteTicks: Counter<'outcome'>;
  readonly kiteTickerConnected: Gauge;
  readonly kiteTickerReconnects: Counter;
  readonly kiteMalformedQuotes: Counter<'index'>;
  readonly liveUpdatesPublished: Counter<'index'>;
  readonly marketState: Gauge<'segment' | 'state'>;
  readonly collectionResting: Gauge<'index'>;
  readonly collectionRestChecks: Counter<'index'>;
  readonly requestsShed: Counter;
  readonly wsSlowConsumersClosed: Counter;
  readonly sharedAnswers: Counter<'outcome'>;
  readonly wsEventsSkipped: Counter;
}

export interface MetricsSources {
  /** Age of the newest snapshot per index, seconds; computed at scrape time. */
  snapshotAgeSeconds(): Array<{ index: IndexSymbol; ageSeconds: number }>;
  activeSubscriptions(): number;
}

/** Every metric lives in this registry (never the global one), so tests and replicas stay isolated. */
export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'g6_' });
  const collectDuration = new Histogram({
    name: 'g6_collect_duration_seconds',
    help: 'Duration of one collection tick of one index (provider, analytics, store, publish, sinks)',
    labelNames: ['index'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const collectFailures = new Counter({
    name: 'g6_collect_failures_total',
    help: 'Collection ticks that failed or timed out',
    labelNames: ['index'] as const,
    registers: [registry],
  });
  const lastSuccess = new Gauge({
    name: 'g6_collect_last_success_timestamp_seconds',
    help: 'Unix time of the last successful collection per index',
    labelNames: ['index'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'g6_snapshot_age_seconds',
    help: 'Age of the newest snapshot per index at scrape time',
    labelNames: ['index'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { index, ageSeconds } of sources.snapshotAgeSeconds()) {
        this.set({ index }, ageSeconds);
      }
    },
  });
  const sinkWriteDuration = new Histogram({
    name: 'g6_sink_write_duration_seconds',
    help: 'Duration of one snapshot write per sink',
    labelNames: ['sink'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [registry],
  });
  const sinkWriteFailures = new Counter({
    name: 'g6_sink_write_failures_total',
    help: 'Snapshot writes that failed or timed out per sink',
    labelNames: ['sink'] as const,
    registers: [registry],
  });
  const csvRowsWritten = new Counter({
    name: 'g6_csv_rows_written_total',
    help: 'Rows appended to CSV files',
    labelNames: ['file'] as const,
    registers: [registry],
  });
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Gauge<L>({ name, help, labelNames, registers: [registry] });
  const csvRowsRejected = counter('g6_csv_rows_rejected_total', 'Rows that failed validation and were not written', [
    'file',
  ] as const);
  const csvDuplicateSnapshots = counter(
    'g6_csv_duplicate_snapshots_total',
    'Snapshots not written because their key (index, timestamp) was already stored',
    ['index'] as const,
  );
  const csvTornBytes = counter('g6_csv_torn_bytes_total', 'Bytes of torn last lines cut when a CSV day was opened', [
    'index',
  ] as const);
  const csvUncommittedRows = counter(
    'g6_csv_uncommitted_rows_removed_total',
    'Rows of snapshots interrupted before their commit, removed when a CSV day was opened',
    ['index'] as const,
  );
  const sinkUp = gauge('g6_sink_up', '1 while a sink writes successfully, 0 while it holds data for retry', [
    'sink',
  ] as const);
  const sinkBacklogSnapshots = gauge(
    'g6_sink_backlog_snapshots',
    'Snapshots accepted but not yet stored (CSV retry queue, Influx spool)',
    ['sink'] as const,
  );
  const sinkBacklogBytes = gauge('g6_sink_backlog_bytes', 'Bytes accepted but not yet stored', ['sink'] as const);
  const sinkDroppedSnapshots = counter(
    'g6_sink_dropped_snapshots_total',
    'Snapshots a sink refused because its backlog or spool was full',
    ['sink', 'index'] as const,
  );
  const influxPointsSpooled = counter('g6_influx_points_spooled_total', 'Points appended to the Influx spool', []);
  const influxPointsSent = counter('g6_influx_points_sent_total', 'Points acknowledged by InfluxDB', []);
  const influxWriteFailures = counter(
    'g6_influx_write_failures_total',
    'Influx writes that failed: retryable (network, 429, 5xx) or rejected (other 4xx)',
    ['kind'] as const,
  );
  const influxSpoolCorruptBytes = counter(
    'g6_influx_spool_corrupt_bytes_total',
    'Spool bytes that failed their checksum and were skipped',
    [],
  );
  const subscriptionEventsConflated = new Counter({
    name: 'g6_subscription_events_conflated_total',
    help: 'Snapshots replaced by a newer one before a slow subscriber took them',
    labelNames: ['index'] as const,
    registers: [registry],
  });
  const wsConnections = new Gauge({
    name: 'g6_graphql_ws_connections',
    help: 'Open GraphQL WebSocket connections',
    registers: [registry],
  });
  new Gauge({
    name: 'g6_graphql_subscriptions',
    help: 'Active snapshot subscriptions',
    registers: [registry],
    collect() {
      this.set(sources.activeSubscriptions());
    },
  });
  const kiteRequests = new Counter({
    name: 'g6_kite_requests_total',
    help: 'Kite REST calls by endpoint and outcome (ok, retried, token, final, failed)',
    labelNames: ['endpoint', 'outcome'] as const,
    registers: [registry],
  });
  const kiteRequestDuration = new Histogram({
    name: 'g6_kite_request_duration_seconds',
    help: 'Duration of Kite REST calls, rate-limit queueing excluded',
    labelNames: ['endpoint'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const kiteTokenValid = new Gauge({
    name: 'g6_kite_token_valid',
    help: '1 while the Kite access token is usable, 0 when missing, expired or rejected',
    registers: [registry],
  });
  const kiteTokenExpiry = new Gauge({
    name: 'g6_kite_token_expiry_timestamp_seconds',
    help: 'Unix time the current Kite access token expires (06:00 IST)',
    registers: [registry],
  });
  const kiteTicks = new Counter({
    name: 'g6_kite_ticks_total',
    help: 'Ticker packets by outcome (applied, unknown instrument, malformed)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const kiteTickerConnected = new Gauge({
    name: 'g6_kite_ticker_connected',
    help: '1 while the Kite ticker WebSocket is connected',
    registers: [registry],
  });
  const kiteTickerReconnects = new Counter({
    name: 'g6_kite_ticker_reconnects_total',
    help: 'Ticker reconnect attempts scheduled',
    registers: [registry],
  });
  const kiteMalformedQuotes = new Counter({
    name: 'g6_kite_malformed_quotes_total',
    help: 'Quote entries left out of a snapshot because their fields were invalid',
    labelNames: ['index'] as const,
    registers: [registry],
  });
  const liveUpdatesPublished = new Counter({
    name: 'g6_live_updates_published_total',
    help: 'Snapshots published from live ticks between collections',
    labelNames: ['index'] as const,
    registers: [registry],
  });
  const marketState = new Gauge({
    name: 'g6_market_state',
    help: "1 for the current state of each exchange segment's session (PRE_OPEN, OPEN, CLOSED, HOLIDAY, SPECIAL_SESSION)",
    labelNames: ['segment', 'state'] as const,
    registers: [registry],
  });
  const collectionResting = new Gauge({
    name: 'g6_collection_resting',
    help: '1 while collection of an index rests outside market hours (no provider requests)',
    labelNames: ['index'] as const,
    registers: [registry],
  });
  const collectionRestChecks = new Counter({
    name: 'g6_collection_rest_checks_total',
    help: 'Looks at the market clock that found the market closed and made no provider request',
    labelNames: ['index'] as const,
    registers: [registry],
  });
  const wsEventsSkipped = new Counter({
    name: 'g6_ws_events_skipped_total',
    help: 'Subscription events a WebSocket subscriber skipped: it had not taken the previous one when a newer one came (a slow reader gets the newest)',
    registers: [registry],
  });
  const sharedAnswers = new Counter({
    name: 'g6_http_shared_answers_total',
    help: 'GraphQL HTTP requests on the answer-sharing path: hit (served a shared answer), miss (executed and shared), not_modified (304), unshareable (executed, an answer with errors or a refusal)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const requestsShed = new Counter({
    name: 'g6_http_requests_shed_total',
    help: 'GraphQL HTTP requests answered 503 at once because G6_MAX_IN_FLIGHT were in flight',
    registers: [registry],
  });
  const wsSlowConsumersClosed = new Counter({
    name: 'g6_ws_slow_consumers_closed_total',
    help: 'WebSockets closed (1013) because unsent data stayed above G6_WS_MAX_BUFFERED_BYTES',
    registers: [registry],
  });
  return {
    registry,
    requestsShed,
    wsSlowConsumersClosed,
    sharedAnswers,
    wsEventsSkipped,
    marketState,
    collectionRestChecks,
    collectionResting,
    kiteRequests,
    kiteRequestDuration,
    kiteTokenValid,
    kiteTokenExpiry,
    kiteTicks,
    kiteTickerConnected,
    kiteTickerReconnects,
    kiteMalformedQuotes,
    liveUpdatesPublished,
    collectDuration,
    collectFailures,
    lastSuccess,
    sinkWriteDuration,
    sinkWriteFailures,
    csvRowsWritten,
    csvRowsRejected,
    csvDuplicateSnapshots,
    csvTornBytes,
    csvUncommittedRows,
    sinkUp,
    sinkBacklogSnapshots,
    sinkBacklogBytes,
    sinkDroppedSnapshots,
    influxPointsSpooled,
    influxPointsSent,
    influxWriteFailures,
    influxSpoolCorruptBytes,
    subscriptionEventsConflated,
    wsConnections,
  };
}
