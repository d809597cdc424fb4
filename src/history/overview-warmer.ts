/**
 * Decodes the last compacted days' default `history` series ahead of the first read, so the month a chart
 * opens on is served from memory (a cold read of 30 Parquet days costs 200–350 ms, a warm one ≈30 ms).
 */
import type { Logger } from 'pino';
import type { IndexSymbol } from '../domain/indices.ts';
import type { StoredHistory } from './stored-history.ts';

/** The days warmed: the month an overview chart shows. */
export const WARM_OVERVIEW_DAYS = 30;

/** Warms one index; logs what it did. A failure is the caller's to log. */
export async function warmOverview(
  history: Pick<StoredHistory, 'warmOverviewSeries'>,
  index: IndexSymbol,
  logger: Logger,
): Promise<readonly string[]> {
  const startedMs = performance.now();
  const warmed = await history.warmOverviewSeries(index, WARM_OVERVIEW_DAYS);
  if (warmed.length > 0) {
    logger.info(
      { index, days: warmed.length, ms: Math.round(performance.now() - startedMs) },
      'overview series warmed',
    );
  }
  return warmed;
}

export interface OverviewWarmer {
  /** Warms each index in turn, in the background. */
  start(): void;
  /** Skips the indices not begun and waits for the one in progress. */
  stop(): Promise<void>;
}

/**
 * For a process that reads a store another one writes (an API replica): one warm at start-up. The writer
 * warms after each compaction instead, in its profile updater's queue.
 */
export function createOverviewWarmer(options: {
  readonly history: Pick<StoredHistory, 'warmOverviewSeries'>;
  readonly indices: readonly IndexSymbol[];
  readonly logger: Logger;
}): OverviewWarmer {
  let stopped = false;
  let running: Promise<void> | null = null;
  return {
    start() {
      running ??= (async () => {
        for (const index of options.indices) {
          if (stopped) {
            return;
          }
          await warmOverview(options.history, index, options.logger).catch((error: unknown) => {
            options.logger.warn({ index, err: error }, 'overview series not warmed');
          });
        }
      })();
    },
    async stop() {
      stopped = true;
      await running;
    },
  };
}
