import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { createCsvSink } from '../sinks/csv-sink.ts';
import { createInfluxSink } from '../sinks/influx-sink.ts';
import type { SinkMetrics } from '../sinks/sink-metrics.ts';
import type { SnapshotSink } from '../sinks/snapshot-sink.ts';

/** The configured storage (CSV, InfluxDB), each reporting into `metrics` when given. */
export function createSinks(
  config: Config,
  logger: Logger,
  metrics: SinkMetrics | null,
  now: () => Date,
): SnapshotSink[] {
  const sinks: SnapshotSink[] = [];
  if (config.csvEnabled) {
    sinks.push(
      createCsvSink({
        dataDir: resolve(config.dataDir),
        // A compacted day is already compressed (Parquet): gzipping its CSV first would only slow that.
        compress: config.csvCompress && !config.compaction.enabled,
        maxBacklogBytes: config.csvBacklogMaxBytes,
        now,
        logger: logger.child({ component: 'csv' }),
        ...(metrics === null ? {} : { events: metrics.csvEvents() }),
      }),
    );
  }
  if (config.influx !== null) {
    const influx = config.influx;
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
        ...(metrics === null ? {} : { events: metrics.influxEvents() }),
      }),
    );
  }
  return sinks;
}
