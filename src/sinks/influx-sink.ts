import { HttpError, InfluxDB, setLogger, type WriteApi } from '@influxdata/influxdb-client';
import type { Logger } from 'pino';
import type { IndexSymbol } from '../domain/indices.ts';
import { snapshotToLineProtocol } from './line-protocol.ts';
import { createLineSpool, type LineSpool, SpoolFullError } from './line-spool.ts';
import type { SinkHealth, SnapshotSink } from './snapshot-sink.ts';

export interface InfluxSinkEvents {
  onPointsSpooled?(points: number): void;
  onPointsSent?(points: number): void;
  onSendFailed?(kind: 'retryable' | 'rejected'): void;
  onSpoolChanged?(bytes: number, records: number): void;
  onSpoolFull?(index: IndexSymbol): void;
  onCorrupt?(bytes: number): void;
  onUpChanged?(up: boolean): void;
}

export interface InfluxSinkOptions {
  readonly url: string;
  readonly token: string;
  readonly org: string;
  readonly bucket: string;
  /** Where the spool lives (`<dataDir>/spool/influx`). */
  readonly spoolDir: string;
  /** G6_SPOOL_MAX_BYTES: records are refused (and counted) beyond this; an alert fires at 80 %. */
  readonly maxSpoolBytes: number;
  /** Lines per HTTP write. */
  readonly batchLines?: number;
  /** One HTTP write's time limit. */
  readonly requestTimeoutMs?: number;
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** How long `close` keeps sending what is spooled before leaving the rest for the next start. */
  readonly closeFlushMs?: number;
  readonly logger?: Logger;
  /** The clock outage durations are measured on. */
  readonly now?: () => Date;
  readonly events?: InfluxSinkEvents;
}

type SendFailure = {
  readonly kind: 'retryable' | 'rejected';
  readonly message: string;
  readonly status: number | null;
};

/** 429, 5xx and transport failures are worth retrying; other 4xx mean the request itself is refused. */
function classify(error: unknown): SendFailure {
  if (error instanceof HttpError) {
    const detail = typeof error.json?.message === 'string' ? error.json.message : (error.body ?? error.message);
    const message = `HTTP ${error.statusCode}: ${String(detail).slice(0, 300)}`;
    return {
      kind: error.statusCode === 429 || error.statusCode >= 500 ? 'retryable' : 'rejected',
      message,
      status: error.statusCode,
    };
  }
  return { kind: 'retryable', message: error instanceof Error ? error.message : String(error), status: null };
}

/**
 * The InfluxDB sink. `write` resolves once the snapshot's points are in the on-disk spool (fsynced); a
 * sender loop then drains the spool through the official client's WriteApi, advancing the acknowledged
 * position only after the server answered 2xx. The client's own retry buffer is turned off (it is
 * memory-only, drops on overflow and is discarded on close); the spool retries with backoff for as long
 * as it takes. A refused write (400/401/403/404…) raises an alert and keeps the data spooled.
 */
export function createInfluxSink(options: InfluxSinkOptions): SnapshotSink & {
  /** Resolves when everything spooled so far has been acknowledged by the server. */
  drained(): Promise<void>;
  spool(): { bytes: number; records: number };
} {
  const now = options.now ?? (() => new Date());
  const batchLines = options.batchLines ?? 5_000;
  const retryMinMs = options.retryMinMs ?? 1_000;
  const retryMaxMs = options.retryMaxMs ?? 60_000;
  const events = options.events ?? {};
  const log = options.logger;
  const spool: LineSpool = createLineSpool({
    dir: options.spoolDir,
    maxBytes: options.maxSpoolBytes,
    onCorrupt: (bytes) => {
      events.onCorrupt?.(bytes);
      log?.error({ alert: 'influx_spool_corrupt', bytes }, 'ALERT influx spool record failed its checksum; skipped');
    },
  });
  // The client logs each failed write to the console itself; the sink reports failures once, as alerts.
  setLogger({
    error: (message: string) => log?.debug({ component: 'influxdb-client' }, message),
    warn: (message: string) => log?.debug({ component: 'influxdb-client' }, message),
  });
  const influx = new InfluxDB({ url: options.url, token: options.token, timeout: options.requestTimeoutMs ?? 10_000 });
  const writeApi: WriteApi = influx.getWriteApi(options.org, options.bucket, 'ms', {
    batchSize: batchLines + 1,
    flushInterval: 0,
    maxRetries: 0,
    maxBufferLines: batchLines + 1,
    gzipThreshold: 64 * 1024,
  });

  let stopped = false;
  let started = false;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  let retryTimer: NodeJS.Timeout | undefined;
  let failure: (SendFailure & { since: Date; attempts: number }) | null = null;
  let nearFullAlerted = false;
  // Snapshots held from an earlier run or through an outage: said once when they have all gone out.
  let backlogHeld = false;
  let drainWaiters: Array<() => void> = [];

  const reportSpool = () => {
    const bytes = spool.pendingBytes();
    events.onSpoolChanged?.(bytes, spool.pendingRecords());
    if (!nearFullAlerted && bytes >= 0.8 * options.maxSpoolBytes) {
      nearFullAlerted = true;
      log?.error(
        { alert: 'influx_spool_near_full', bytes, maxBytes: options.maxSpoolBytes },
        'ALERT influx spool above 80 % of G6_SPOOL_MAX_BYTES',
      );
    } else if (nearFullAlerted && bytes < 0.7 * options.maxSpoolBytes) {
      nearFullAlerted = false;
    }
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      retryTimer = setTimeout(() => {
        wake = null;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(retryTimer);
        wake = null;
        resolve();
      };
    });

  const nudge = () => wake?.();

  async function sendLoop(): Promise<void> {
    while (!stopped) {
      const batch = await spool.read(batchLines);
      if (batch === null) {
        if (backlogHeld) {
          backlogHeld = false;
          log?.info({}, 'influx spool drained: the snapshots held from an earlier run or an outage are sent');
        }
        for (const resolve of drainWaiters.splice(0)) {
          resolve();
        }
        await sleep(60_000);
        continue;
      }
      try {
        // In requests of at most `batchLines`: the WriteApi sends a fuller buffer on its own and swallows
        // that request's failure, which would let a lost write be acknowledged.
        for (let i = 0; i < batch.lines.length; i += batchLines) {
          writeApi.writeRecords(batch.lines.slice(i, i + batchLines));
          await writeApi.flush();
        }
        await spool.ack(batch);
      } catch (error) {
        if (stopped) {
          return;
        }
        const classified = classify(error);
        const attempts = (failure?.attempts ?? 0) + 1;
        if (failure === null) {
          events.onUpChanged?.(false);
        }
        backlogHeld = true;
        if (failure === null || failure.kind !== classified.kind || failure.message !== classified.message) {
          const alert = classified.kind === 'rejected' ? 'influx_write_rejected' : 'influx_unreachable';
          log?.error(
            { alert, status: classified.status, error: classified.message, spooledBytes: spool.pendingBytes() },
            classified.kind === 'rejected'
              ? 'ALERT influx refused the write (check INFLUXDB_URL, bucket, org and token); points stay spooled'
              : 'ALERT influx write failed; points stay spooled and are retried',
          );
        }
        failure = { ...classified, since: failure?.since ?? now(), attempts };
        events.onSendFailed?.(classified.kind);
        // A refused write will not fix itself quickly: retry at the slowest pace.
        const ceiling =
          classified.kind === 'rejected'
            ? retryMaxMs
            : Math.min(retryMaxMs, retryMinMs * 2 ** Math.min(attempts - 1, 20));
        await sleep(ceiling / 2 + (Math.random() * ceiling) / 2);
        continue;
      }
      events.onPointsSent?.(batch.lines.length);
      reportSpool();
      if (failure !== null) {
        log?.warn(
          {
            alert: 'influx_recovered',
            downForMs: now().getTime() - failure.since.getTime(),
            attempts: failure.attempts,
          },
          'influx sink recovered; sending spooled points',
        );
        failure = null;
        events.onUpChanged?.(true);
      }
    }
  }

  return {
    name: 'influx',
    async start() {
      const recovery = await spool.open();
      if (recovery.pendingRecords > 0 || recovery.tornBytes > 0) {
        backlogHeld = recovery.pendingRecords > 0;
        log?.info({ ...recovery }, 'influx spool holds unsent snapshots from an earlier run; resending');
      }
      reportSpool();
      started = true;
      loop = sendLoop().catch((error: unknown) => {
        log?.fatal({ err: error }, 'influx sender stopped unexpectedly');
      });
    },
    async write(snapshot) {
      if (!started || stopped) {
        throw new Error(stopped ? 'influx sink is closed' : 'influx sink not started');
      }
      const lines = snapshotToLineProtocol(snapshot);
      if (lines.length === 0) {
        return;
      }
      try {
        await spool.append(lines);
      } catch (error) {
        if (error instanceof SpoolFullError) {
          events.onSpoolFull?.(snapshot.index);
          log?.error(
            { alert: 'influx_spool_full', index: snapshot.index, seq: snapshot.seq },
            'ALERT influx spool full: snapshot not spooled',
          );
        }
        throw error;
      }
      events.onPointsSpooled?.(lines.length);
      reportSpool();
      nudge();
    },
    health(): SinkHealth {
      if (failure === null) {
        return { up: true, problems: [] };
      }
      return {
        up: false,
        problems: [
          `influx sink ${failure.kind === 'rejected' ? 'refused by the server' : 'unreachable'} since ${failure.since.toISOString()} (${failure.message}); ${spool.pendingRecords()} snapshot(s), ${spool.pendingBytes()} bytes spooled`,
        ],
      };
    },
    drained() {
      if (spool.pendingBytes() === 0) {
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        drainWaiters.push(resolve);
        nudge();
      });
    },
    spool: () => ({ bytes: spool.pendingBytes(), records: spool.pendingRecords() }),
    async close() {
      if (started && !stopped && failure === null) {
        // Shutdown flush: give the sender a bounded time to empty the spool; the rest waits on disk.
        const flushMs = options.closeFlushMs ?? 5_000;
        let timer: NodeJS.Timeout | undefined;
        const drained = new Promise<void>((resolve) => {
          drainWaiters.push(resolve);
          nudge();
        });
        await Promise.race([drained, new Promise<void>((resolve) => (timer = setTimeout(resolve, flushMs)))]);
        clearTimeout(timer);
      }
      stopped = true;
      nudge();
      clearTimeout(retryTimer);
      await loop;
      drainWaiters = [];
      await writeApi.close().catch(() => undefined);
      await spool.close();
      if (spool.pendingBytes() > 0) {
        log?.warn(
          { spooledBytes: spool.pendingBytes(), snapshots: spool.pendingRecords() },
          'influx sink closed with points still spooled; they are sent at the next start',
        );
      }
    },
  };
}
