import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { IndexSymbol } from '../domain/indices.ts';
import { toIstCompactDate } from '../domain/ist-time.ts';
import { compactionStateOf } from './compaction-manifest.ts';
import { compactDay } from './day-compaction.ts';
import type { ParquetEngine } from './parquet-engine.ts';

export interface CompactionSettings {
  /** G6_COMPACTION: closed days become Parquet files (off: they stay CSV). */
  readonly enabled: boolean;
  /** G6_COMPACTION_KEEP_CSV: the CSV files of a compacted day are deleted, or gzipped into its archive/. */
  readonly keepCsv: 'delete' | 'gzip-archive';
}

export interface DayCompactor {
  /**
   * Compacts every stored day of `index` before today (IST) that still has CSV rows outside Parquet,
   * oldest first; `shouldStop` is asked between days. Failures are logged and the day left as CSV.
   */
  compactClosed(
    index: IndexSymbol,
    shouldStop: () => boolean,
    options?: { readonly throughDay?: string; readonly onDay?: (day: string, done: number, total: number) => void },
  ): Promise<{ readonly compacted: readonly string[]; readonly failed: readonly string[] }>;
}

/**
 * Compaction of closed days (src/history/day-compaction.ts) for the running server. Only days before
 * today are taken, whatever the market did: a held CSV snapshot of the evening may still be written
 * after the close, never a day later.
 */
export function createDayCompactor(options: {
  readonly dataDir: string;
  readonly settings: CompactionSettings;
  readonly engine: ParquetEngine;
  readonly now: () => Date;
  readonly logger: Logger;
  readonly registry: Registry | null;
}): DayCompactor {
  const { logger, registry } = options;
  const root = join(options.dataDir, 'csv');
  const days =
    registry === null
      ? null
      : new Counter({
          name: 'g6_compaction_days_total',
          help: 'Closed days compacted into Parquet, by index and outcome (compacted, merged, cleaned_up, failed)',
          labelNames: ['index', 'outcome'] as const,
          registers: [registry],
        });
  const duration =
    registry === null
      ? null
      : new Histogram({
          name: 'g6_compaction_duration_seconds',
          help: 'Time to compact one day (write, verify against the CSV, commit, clean up)',
          buckets: [1, 2, 5, 10, 20, 40, 80, 160],
          registers: [registry],
        });
  const ratio =
    registry === null
      ? null
      : new Gauge({
          name: 'g6_compaction_last_size_ratio',
          help: 'CSV bytes / Parquet bytes of the last day compacted, by index',
          labelNames: ['index'] as const,
          registers: [registry],
        });

  return {
    async compactClosed(index, shouldStop, run = {}) {
      const dir = join(root, index);
      if (!existsSync(dir)) {
        return { compacted: [], failed: [] };
      }
      const today = toIstCompactDate(options.now());
      const last = run.throughDay !== undefined && run.throughDay < today ? run.throughDay : null;
      const compacted: string[] = [];
      const failed: string[] = [];
      const candidates = (await readdir(dir))
        .filter((d) => /^\d{8}$/.test(d) && d < today && (last === null || d <= last))
        .sort();
      for (const [i, day] of candidates.entries()) {
        if (shouldStop()) {
          break;
        }
        run.onDay?.(day, i, candidates.length);
        const state = await compactionStateOf(join(dir, day));
        const needs =
          state.manifest === null ? state.pending.length > 0 : state.pending.length > 0 || !state.manifest.cleaned;
        if (!needs || state.conflicts.length > 0) {
          if (state.conflicts.length > 0) {
            logger.warn(
              { index, day, files: state.conflicts },
              'compaction: day left as is, files changed after it was compacted',
            );
          }
          continue;
        }
        const startedMs = performance.now();
        try {
          const result = await compactDay({
            dataDir: options.dataDir,
            index,
            day,
            isClosed: (d) => d < toIstCompactDate(options.now()),
            engine: options.engine,
            keepCsv: options.settings.keepCsv,
            now: options.now,
          });
          const seconds = (performance.now() - startedMs) / 1000;
          duration?.observe(seconds);
          days?.inc({ index, outcome: result.status.replace('-', '_') });
          const parquetBytes =
            result.manifest === null ? 0 : result.manifest.tables.options.bytes + result.manifest.tables.overview.bytes;
          if (result.csvBytes > 0 && parquetBytes > 0) {
            ratio?.set({ index }, result.csvBytes / parquetBytes);
          }
          logger.info(
            {
              index,
              day,
              status: result.status,
              csvBytes: result.csvBytes,
              parquetBytes,
              seconds: Math.round(seconds * 10) / 10,
            },
            'closed day compacted to parquet',
          );
          compacted.push(day);
        } catch (error) {
          days?.inc({ index, outcome: 'failed' });
          failed.push(day);
          logger.warn(
            { index, day, err: error },
            'compaction failed; the day stays CSV and is retried at the next close',
          );
        }
      }
      return { compacted, failed };
    },
  };
}
