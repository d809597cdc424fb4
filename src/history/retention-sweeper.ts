import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { IndexSymbol } from '../domain/indices.ts';
import { addDays, toIstDateString } from '../domain/ist-time.ts';

export type RetentionAction = 'DELETE' | 'ARCHIVE';

export interface RetentionSettings {
  /** Stored days kept, counting today (IST): with 30, the oldest kept day is 29 days before today. */
  readonly days: number;
  readonly action: RetentionAction;
  /** Where ARCHIVE moves a day: `<archiveDir>/<INDEX>/<YYYYMMDD>` (must be on the same filesystem). */
  readonly archiveDir: string;
}

export interface RetentionSweep {
  readonly index: IndexSymbol;
  readonly day: string;
  readonly bytes: number;
}

export interface RetentionSweeper {
  start(): void;
  /** Stops the timer and waits for a sweep in progress. */
  stop(): Promise<void>;
  /** One pass: every day of every index older than the limit, removed or archived. */
  sweep(): Promise<RetentionSweep[]>;
}

async function sizeOf(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) {
    return info.size;
  }
  let total = 0;
  for (const name of await readdir(path)) {
    total += await sizeOf(join(path, name));
  }
  return total;
}

/**
 * G6_RETENTION_DAYS: stored days older than the limit leave the store — deleted, or moved whole to the
 * archive directory — once at start and then every `intervalMs`. The open day is never touched, whatever
 * the limit. Weekday profiles keep what those days contributed until they are rebuilt.
 */
export function createRetentionSweeper(options: {
  readonly dataDir: string;
  readonly indices: readonly IndexSymbol[];
  readonly settings: RetentionSettings;
  readonly now: () => Date;
  readonly logger: Logger;
  readonly registry: Registry | null;
  /** @default 3_600_000 */
  readonly intervalMs?: number;
}): RetentionSweeper {
  const { settings, logger } = options;
  const root = join(options.dataDir, 'csv');
  const days =
    options.registry === null
      ? null
      : new Counter({
          name: 'g6_retention_days_removed_total',
          help: 'Stored days removed by the retention limit (G6_RETENTION_DAYS), by action',
          labelNames: ['index', 'action'] as const,
          registers: [options.registry],
        });
  const bytes =
    options.registry === null
      ? null
      : new Counter({
          name: 'g6_retention_bytes_removed_total',
          help: 'Bytes of stored days removed by the retention limit, by action',
          labelNames: ['action'] as const,
          registers: [options.registry],
        });
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<RetentionSweep[]> | null = null;

  async function sweepOnce(): Promise<RetentionSweep[]> {
    const oldestKept = addDays(toIstDateString(options.now()), -(settings.days - 1)).replaceAll('-', '');
    const swept: RetentionSweep[] = [];
    for (const index of options.indices) {
      const dir = join(root, index);
      if (!existsSync(dir)) {
        continue;
      }
      for (const day of (await readdir(dir)).filter((d) => /^\d{8}$/.test(d) && d < oldestKept).sort()) {
        const path = join(dir, day);
        const size = await sizeOf(path);
        if (settings.action === 'ARCHIVE') {
          const target = join(settings.archiveDir, index, day);
          await mkdir(join(settings.archiveDir, index), { recursive: true });
          if (existsSync(target)) {
            throw new Error(`retention: ${target} already exists; not overwriting an archived day`);
          }
          await rename(path, target);
        } else {
          await rm(path, { recursive: true, force: true });
        }
        const action = settings.action.toLowerCase();
        days?.inc({ index, action });
        bytes?.inc({ action }, size);
        logger.info({ index, day, bytes: size, action, keptFrom: oldestKept }, 'retention: stored day removed');
        swept.push({ index, day, bytes: size });
      }
    }
    return swept;
  }

  const sweep = () => {
    running ??= sweepOnce().finally(() => {
      running = null;
    });
    return running;
  };
  const safely = () =>
    void sweep().catch((error: unknown) => logger.warn({ err: error }, 'retention sweep failed; retried later'));

  return {
    start() {
      safely();
      timer = setInterval(safely, options.intervalMs ?? 3_600_000);
      timer.unref();
    },
    async stop() {
      if (timer !== null) {
        clearInterval(timer);
        timer = null;
      }
      await running?.catch(() => undefined);
    },
    sweep,
  };
}
