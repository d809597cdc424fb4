import { resolve } from 'node:path';
import { segmentOf } from '../domain/calendar/calendar-data.ts';
import type { MarketStatus } from '../domain/calendar/exchange-calendar.ts';
import { INDEX_SPECS } from '../domain/indices.ts';
import type { MarketClock } from '../domain/market-clock.ts';
import { createDayCompactor } from '../history/day-compactor.ts';
import { createOverviewWarmer, type OverviewWarmer, warmOverview } from '../history/overview-warmer.ts';
import type { ParquetEngine } from '../history/parquet-engine.ts';
import { createProfileStore, type ProfileStore } from '../history/profile-store.ts';
import { createProfileUpdater, type ProfileUpdater } from '../history/profile-updater.ts';
import { createRetentionSweeper, type RetentionSweeper } from '../history/retention-sweeper.ts';
import type { StoredHistory } from '../history/stored-history.ts';
import type { AppCore } from './app-core.ts';

export interface HistoryAssembly {
  /** Served to queries wherever the store is readable (an API replica reads the collector's). */
  readonly profiles: ProfileStore | null;
  /** Only in the process that writes the store: profiles folded at each close, old days swept. */
  readonly updater: ProfileUpdater | null;
  readonly retention: RetentionSweeper | null;
  /** Where the store is read but not written (an API replica): the start-up warm of recent overview days. */
  readonly warmer: OverviewWarmer | null;
  onMarketStatus(status: MarketStatus): void;
}

/** What is built from the stored days: weekday profiles, and the retention limit that removes old ones. */
export function createHistoryAssembly(
  options: Pick<AppCore, 'config' | 'mode' | 'logger' | 'registry' | 'now'> & {
    readonly history: StoredHistory | null;
    readonly clock: MarketClock;
    readonly engine: ParquetEngine;
  },
): HistoryAssembly {
  const { config, mode, history, clock, now } = options;
  const dataDir = resolve(config.dataDir);
  const profiles =
    history === null ? null : createProfileStore({ dataDir, source: history, settings: config.profiles });
  const writes = mode.writesSinks && config.csvEnabled;
  const logger = options.logger.child({ component: 'history' });
  const compactor =
    writes && config.compaction.enabled
      ? createDayCompactor({
          dataDir,
          settings: config.compaction,
          engine: options.engine,
          now,
          logger,
          registry: options.registry,
        })
      : null;
  const updater =
    profiles === null || history === null || !writes
      ? null
      : createProfileUpdater({
          store: profiles,
          indices: config.indices,
          indicesOf: (status) => config.indices.filter((index) => segmentOf(INDEX_SPECS[index]) === status.segment),
          statusOf: (index) => clock.status(segmentOf(INDEX_SPECS[index]), now()),
          logger,
          prepare: async (index, shouldStop) => {
            let failure: unknown = null;
            await compactor?.compactClosed(index, shouldStop).catch((error: unknown) => {
              failure = error;
            });
            if (!shouldStop()) {
              // The month a chart opens on is decoded now, not by the first user to ask for it (what a
              // failed compaction left as CSV is read from CSV, and not warmed).
              await warmOverview(history, index, logger).catch((error: unknown) => {
                logger.warn({ index, err: error }, 'overview series not warmed');
              });
            }
            if (failure !== null) {
              throw failure;
            }
          },
        });
  const retention =
    config.retention === null || !writes
      ? null
      : createRetentionSweeper({
          dataDir,
          indices: config.indices,
          settings: config.retention,
          now,
          logger,
          registry: options.registry,
        });
  const warmer =
    history === null || updater !== null ? null : createOverviewWarmer({ history, indices: config.indices, logger });
  return {
    profiles,
    updater,
    retention,
    warmer,
    onMarketStatus: (status) => updater?.onMarketStatus(status),
  };
}
