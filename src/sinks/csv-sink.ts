import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { IndexSymbol } from '../domain/indices.ts';
import { toIstCompactDate } from '../domain/ist-time.ts';
import { type CsvDayFiles, DayFilesBrokenError, type DayRecovery, openCsvDay } from './csv-day-files.ts';
import { type RenderedSnapshot, renderSnapshot } from './csv-rows.ts';
import { gzipCsvFile } from './gzip-file.ts';
import { HeldForRetryError, type SnapshotSink } from './snapshot-sink.ts';

export interface CsvSinkEvents {
  onRowsWritten?(file: 'options' | 'overview', rows: number): void;
  onRowsRejected?(file: 'options' | 'overview', count: number): void;
  onDuplicate?(index: IndexSymbol): void;
  onRecovered?(index: IndexSymbol, recovery: DayRecovery): void;
  onUpChanged?(up: boolean): void;
  onBacklogChanged?(snapshots: number, bytes: number): void;
  onDropped?(index: IndexSymbol): void;
}

export interface CsvSinkOptions {
  /** Files go to `<dataDir>/csv/<INDEX>/<YYYYMMDD>/` (IST date of the snapshot). */
  readonly dataDir: string;
  /** Gzip a day's files once the day is closed (G6_CSV_COMPRESS). */
  readonly compress?: boolean;
  /** Snapshots that failed to write are held for retry up to this many bytes; newer ones are dropped. */
  readonly maxBacklogBytes?: number;
  /** First and largest delay between retries of held snapshots. */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  readonly now?: () => Date;
  readonly logger?: Logger;
  readonly events?: CsvSinkEvents;
}

interface Pending {
  readonly day: string;
  readonly rendered: RenderedSnapshot;
  readonly bytes: number;
  settled: boolean;
  resolve(): void;
  reject(error: Error): void;
}

const DEFAULT_BACKLOG_BYTES = 256 * 1024 * 1024;

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return code !== undefined && !message.startsWith(code) ? `${code}: ${message}` : message;
}

/**
 * The CSV store. Per index, snapshots are written strictly in order through a queue; a write that fails
 * (disk full, permissions) is rolled back, the sink reports itself down and keeps the snapshot, and a
 * timer retries the queue with backoff until it drains. A snapshot is never written twice: each day's
 * committed timestamps are known (read back when the day is opened).
 */
export function createCsvSink(options: CsvSinkOptions): SnapshotSink & {
  /** Snapshots held for retry. */
  backlog(): { snapshots: number; bytes: number };
} {
  const now = options.now ?? (() => new Date());
  const maxBacklogBytes = options.maxBacklogBytes ?? DEFAULT_BACKLOG_BYTES;
  const retryMinMs = options.retryMinMs ?? 1_000;
  const retryMaxMs = options.retryMaxMs ?? 30_000;
  const events = options.events ?? {};
  const log = options.logger;
  const days = new Map<IndexSymbol, CsvDayFiles>();
  const queues = new Map<IndexSymbol, Pending[]>();
  // Indices whose queue is being written, and the runs in flight (for close).
  const draining = new Set<IndexSymbol>();
  const runs = new Set<Promise<void>>();
  const compressions = new Set<Promise<void>>();
  let backlogBytes = 0;
  let backlogCount = 0;
  let downSince: Date | null = null;
  let lastError: string | null = null;
  let failures = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let closed = false;

  const root = join(options.dataDir, 'csv');

  const compressDay = (index: IndexSymbol, day: string) => {
    if (!options.compress) {
      return;
    }
    const task = (async () => {
      const dir = join(root, index, day);
      const names = await readdir(dir);
      if (names.includes('compacted.json')) {
        // Compacted to Parquet: a gzipped CSV file would be new to its manifest and read twice.
        return;
      }
      for (const name of names) {
        if (name.endsWith('.csv')) {
          await gzipCsvFile(join(dir, name));
        }
      }
      log?.info({ index, day }, 'csv day compressed');
    })()
      .catch((error: unknown) => log?.warn({ index, day, err: error }, 'csv day compression failed; kept as is'))
      .finally(() => compressions.delete(task));
    compressions.add(task);
  };

  async function dayFor(index: IndexSymbol, day: string): Promise<CsvDayFiles> {
    const current = days.get(index);
    if (current?.day === day) {
      return current;
    }
    if (current !== undefined) {
      days.delete(index);
      await current.close();
      if (current.day < day && !(queues.get(index) ?? []).some((p) => p.day === current.day)) {
        compressDay(index, current.day);
      }
    }
    const opened = await openCsvDay(join(root, index, day), day);
    const { recovery } = opened;
    if (recovery.tornBytes > 0 || recovery.uncommittedRows > 0 || recovery.legacyFiles.length > 0) {
      log?.warn({ index, day, ...recovery }, 'csv day recovered on open');
    }
    events.onRecovered?.(index, recovery);
    days.set(index, opened);
    return opened;
  }

  const setBacklog = (deltaCount: number, deltaBytes: number) => {
    backlogCount += deltaCount;
    backlogBytes += deltaBytes;
    events.onBacklogChanged?.(backlogCount, backlogBytes);
  };

  const markDown = (error: unknown) => {
    lastError = describe(error);
    failures += 1;
    if (downSince === null) {
      downSince = now();
      events.onUpChanged?.(false);
      log?.error(
        { alert: 'csv_sink_down', err: error, heldSnapshots: backlogCount },
        'ALERT csv sink down: writes fail; snapshots are held and retried',
      );
    }
    if (retryTimer === undefined && !closed) {
      const ceiling = Math.min(retryMaxMs, retryMinMs * 2 ** Math.min(failures - 1, 20));
      retryTimer = setTimeout(
        () => {
          retryTimer = undefined;
          for (const index of queues.keys()) {
            drain(index);
          }
        },
        ceiling / 2 + (Math.random() * ceiling) / 2,
      );
    }
  };

  const markUpIfDrained = () => {
    if (downSince !== null && backlogCount === 0) {
      log?.warn(
        { alert: 'csv_sink_recovered', downForMs: now().getTime() - downSince.getTime() },
        'csv sink recovered',
      );
      downSince = null;
      lastError = null;
      failures = 0;
      events.onUpChanged?.(true);
    }
  };

  async function drainQueue(index: IndexSymbol): Promise<void> {
    const queue = queues.get(index) ?? [];
    while (queue.length > 0) {
      const pending = queue[0]!;
      let written: boolean;
      try {
        const files = await dayFor(index, pending.day);
        written = (await files.append(pending.rendered)).written;
      } catch (error) {
        const files = days.get(index);
        if (files !== undefined && (error instanceof DayFilesBrokenError || files.day !== pending.day)) {
          days.delete(index);
          await files.close();
        }
        markDown(error);
        const queuedError = new HeldForRetryError(
          `csv write failed (${describe(error)}); held for retry with ${queue.length - 1} later snapshot(s)`,
          { cause: error },
        );
        // Cleared before anyone hears of the failure, so their next write starts a fresh run.
        draining.delete(index);
        for (const p of queue) {
          if (!p.settled) {
            p.settled = true;
            p.reject(queuedError);
          }
        }
        return;
      }
      queue.shift();
      setBacklog(-1, -pending.bytes);
      if (written) {
        events.onRowsWritten?.('options', pending.rendered.optionsRows);
        events.onRowsWritten?.('overview', pending.rendered.overviewRows);
      } else {
        events.onDuplicate?.(index);
      }
      if (queue.length === 0) {
        // Cleared in the same step as the last emptiness check: a write queued by whoever hears of this
        // snapshot must start a run of its own.
        draining.delete(index);
      }
      if (!pending.settled) {
        pending.settled = true;
        pending.resolve();
      }
    }
    draining.delete(index);
    markUpIfDrained();
  }

  function drain(index: IndexSymbol): void {
    if (draining.has(index)) {
      return;
    }
    draining.add(index);
    const run = drainQueue(index);
    runs.add(run);
    void run.finally(() => runs.delete(run));
  }

  return {
    name: 'csv',
    async start() {
      if (!options.compress || !existsSync(root)) {
        return;
      }
      // Days left uncompressed by a previous run (stopped before its day ended).
      const today = toIstCompactDate(now());
      for (const index of await readdir(root)) {
        const indexDir = join(root, index);
        for (const day of await readdir(indexDir).catch(() => [] as string[])) {
          if (/^\d{8}$/.test(day) && day < today) {
            const names = await readdir(join(indexDir, day));
            if (names.some((n) => n.endsWith('.csv'))) {
              compressDay(index as IndexSymbol, day);
            }
          }
        }
      }
    },
    write(snapshot) {
      if (closed) {
        return Promise.reject(new Error('csv sink is closed'));
      }
      const rendered = renderSnapshot(snapshot);
      if (rendered.rejected.length > 0) {
        const options = rendered.rejected.filter((r) => r.file === 'options').length;
        const overview = rendered.rejected.length - options;
        if (options > 0) {
          events.onRowsRejected?.('options', options);
        }
        if (overview > 0) {
          events.onRowsRejected?.('overview', overview);
        }
        log?.warn(
          { index: snapshot.index, seq: snapshot.seq, rejected: rendered.rejected.length, first: rendered.rejected[0] },
          'csv rows rejected by validation',
        );
      }
      if (rendered.overviewRows === 0) {
        return Promise.resolve();
      }
      const bytes = rendered.options.length + rendered.overview.length;
      if (backlogBytes + bytes > maxBacklogBytes && backlogCount > 0) {
        events.onDropped?.(snapshot.index);
        log?.error(
          { alert: 'csv_backlog_full', index: snapshot.index, seq: snapshot.seq, heldBytes: backlogBytes },
          'ALERT csv backlog full: snapshot dropped',
        );
        return Promise.reject(new Error(`csv backlog full (${backlogBytes} bytes held): snapshot dropped`));
      }
      return new Promise<void>((resolve, reject) => {
        const queue = queues.get(snapshot.index) ?? [];
        queues.set(snapshot.index, queue);
        queue.push({
          day: toIstCompactDate(snapshot.observedAt),
          rendered,
          bytes,
          settled: false,
          resolve,
          reject,
        });
        setBacklog(1, bytes);
        drain(snapshot.index);
      });
    },
    health() {
      if (downSince === null) {
        return { up: true, problems: [] };
      }
      return {
        up: false,
        problems: [
          `csv sink down since ${downSince.toISOString()} (${lastError}); ${backlogCount} snapshot(s), ${backlogBytes} bytes held for retry`,
        ],
      };
    },
    backlog: () => ({ snapshots: backlogCount, bytes: backlogBytes }),
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      retryTimer = undefined;
      // One last attempt for anything held, then release the files.
      await Promise.allSettled([...runs]);
      for (const index of queues.keys()) {
        drain(index);
      }
      await Promise.allSettled([...runs]);
      if (backlogCount > 0) {
        log?.error(
          { alert: 'csv_unwritten_at_shutdown', snapshots: backlogCount, bytes: backlogBytes },
          'ALERT csv sink closed with snapshots it could not write',
        );
      }
      const open = [...days.values()];
      days.clear();
      await Promise.all(open.map((d) => d.close()));
      await Promise.allSettled([...compressions]);
    },
  };
}
