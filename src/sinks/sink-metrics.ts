import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CsvSinkEvents } from './csv-sink.ts';
import type { InfluxSinkEvents } from './influx-sink.ts';

export interface SinkMetrics {
  /** Events for the CSV sink; registers its own counters when asked for. */
  csvEvents(): CsvSinkEvents;
  influxEvents(): InfluxSinkEvents;
  /** One snapshot write of one sink, as the collector saw it (timeouts included). */
  recordWrite(sink: string, durationMs: number, ok: boolean): void;
}

/** The storage metrics: shared per-sink series, plus each sink's own once it is configured. */
export function registerSinkMetrics(registry: Registry): SinkMetrics {
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Gauge<L>({ name, help, labelNames, registers: [registry] });
  const writeDuration = new Histogram({
    name: 'g6_sink_write_duration_seconds',
    help: 'Duration of one snapshot write per sink',
    labelNames: ['sink'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [registry],
  });
  const writeFailures = counter('g6_sink_write_failures_total', 'Snapshot writes that failed or timed out per sink', [
    'sink',
  ] as const);
  const up = gauge('g6_sink_up', '1 while a sink writes successfully, 0 while it holds data for retry', [
    'sink',
  ] as const);
  const backlogSnapshots = gauge(
    'g6_sink_backlog_snapshots',
    'Snapshots accepted but not yet stored (CSV retry queue, Influx spool)',
    ['sink'] as const,
  );
  const backlogBytes = gauge('g6_sink_backlog_bytes', 'Bytes accepted but not yet stored', ['sink'] as const);
  const dropped = counter(
    'g6_sink_dropped_snapshots_total',
    'Snapshots a sink refused because its backlog or spool was full',
    ['sink', 'index'] as const,
  );
  const configured = (sink: string) => {
    // Present from the start, so a rule on a sink's health has a series before its first write.
    up.set({ sink }, 1);
    backlogSnapshots.set({ sink }, 0);
    backlogBytes.set({ sink }, 0);
    writeFailures.inc({ sink }, 0);
  };
  return {
    csvEvents() {
      configured('csv');
      const rowsWritten = counter('g6_csv_rows_written_total', 'Rows appended to CSV files', ['file'] as const);
      const rowsRejected = counter('g6_csv_rows_rejected_total', 'Rows that failed validation and were not written', [
        'file',
      ] as const);
      const duplicates = counter(
        'g6_csv_duplicate_snapshots_total',
        'Snapshots not written because their key (index, timestamp) was already stored',
        ['index'] as const,
      );
      const tornBytes = counter('g6_csv_torn_bytes_total', 'Bytes of torn last lines cut when a CSV day was opened', [
        'index',
      ] as const);
      const uncommittedRows = counter(
        'g6_csv_uncommitted_rows_removed_total',
        'Rows of snapshots interrupted before their commit, removed when a CSV day was opened',
        ['index'] as const,
      );
      return {
        onRowsWritten: (file, rows) => rowsWritten.inc({ file }, rows),
        onRowsRejected: (file, rows) => rowsRejected.inc({ file }, rows),
        onDuplicate: (index) => duplicates.inc({ index }),
        onRecovered: (index, recovery) => {
          tornBytes.inc({ index }, recovery.tornBytes);
          uncommittedRows.inc({ index }, recovery.uncommittedRows);
        },
        onUpChanged: (isUp) => up.set({ sink: 'csv' }, isUp ? 1 : 0),
        onBacklogChanged: (snapshots, bytes) => {
          backlogSnapshots.set({ sink: 'csv' }, snapshots);
          backlogBytes.set({ sink: 'csv' }, bytes);
        },
        onDropped: (index) => dropped.inc({ sink: 'csv', index }),
      };
    },
    influxEvents() {
      configured('influx');
      const pointsSpooled = counter('g6_influx_points_spooled_total', 'Points appended to the Influx spool', []);
      const pointsSent = counter('g6_influx_points_sent_total', 'Points acknowledged by InfluxDB', []);
      const writeFailuresByKind = counter(
        'g6_influx_write_failures_total',
        'Influx writes that failed: retryable (network, 429, 5xx) or rejected (other 4xx)',
        ['kind'] as const,
      );
      const corruptBytes = counter(
        'g6_influx_spool_corrupt_bytes_total',
        'Spool bytes that failed their checksum and were skipped',
        [],
      );
      return {
        onPointsSpooled: (points) => pointsSpooled.inc(points),
        onPointsSent: (points) => pointsSent.inc(points),
        onSendFailed: (kind) => writeFailuresByKind.inc({ kind }),
        onSpoolChanged: (bytes, records) => {
          backlogSnapshots.set({ sink: 'influx' }, records);
          backlogBytes.set({ sink: 'influx' }, bytes);
        },
        onSpoolFull: (index) => dropped.inc({ sink: 'influx', index }),
        onCorrupt: (bytes) => corruptBytes.inc(bytes),
        onUpChanged: (isUp) => up.set({ sink: 'influx' }, isUp ? 1 : 0),
      };
    },
    recordWrite(sink, durationMs, ok) {
      writeDuration.observe({ sink }, durationMs / 1000);
      if (!ok) {
        writeFailures.inc({ sink });
      }
    },
  };
}
