import type { Logger } from 'pino';
import type { MarketStatus } from '../domain/calendar/exchange-calendar.ts';
import type { IndexSymbol } from '../domain/indices.ts';
import { addDays } from '../domain/ist-time.ts';
import { isTrading } from '../domain/market-clock.ts';
import type { ProfileStore } from './profile-store.ts';

export interface ProfileUpdater {
  /** Catches up on the closed days already stored, in the background (start-up is not held for it). */
  start(): void;
  /** A segment changed state: at its close, its indices' day is folded in. */
  onMarketStatus(status: MarketStatus): void;
  /** Stops between two days and waits for the day being folded. */
  stop(): Promise<void>;
  /** Resolves when the updates asked for so far are done (tests, shutdown). */
  idle(): Promise<void>;
}

class UpdateStopped extends Error {}

const compact = (isoDay: string) => isoDay.replaceAll('-', '');

/** The last closed session of a status: the current trading day once closed, else the day before it. */
export function lastClosedDay(status: MarketStatus): string {
  const open = isTrading(status) || status.state === 'PRE_OPEN';
  return compact(open ? addDays(status.tradingDay, -1) : status.tradingDay);
}

/**
 * Keeps the stored days in shape: at start-up and at each session's close, `prepare` (compaction of the
 * closed days), then the weekday profiles fold every stored closed day once. Runs one update at a time;
 * a failure is logged and retried at the next close.
 */
export function createProfileUpdater(options: {
  readonly store: ProfileStore;
  readonly indices: readonly IndexSymbol[];
  /** The indices of a status's segment. */
  readonly indicesOf: (status: MarketStatus) => readonly IndexSymbol[];
  /** The current status of each index's segment, for the start-up catch-up. */
  readonly statusOf: (index: IndexSymbol) => MarketStatus;
  readonly logger: Logger;
  /**
   * Run first, in the same queue, for each update (compaction of the closed days, so profiles read
   * Parquet); it asks `shouldStop` between days.
   */
  readonly prepare?: (index: IndexSymbol, shouldStop: () => boolean) => Promise<unknown>;
}): ProfileUpdater {
  const { store, logger } = options;
  let chain: Promise<void> = Promise.resolve();
  let stopped = false;

  const enqueue = (index: IndexSymbol, throughDay: string) => {
    chain = chain.then(async () => {
      if (stopped) {
        return;
      }
      await options
        .prepare?.(index, () => stopped)
        .catch((error: unknown) => {
          logger.warn({ index, err: error }, 'history upkeep before the profile update failed');
        });
      if (stopped) {
        return;
      }
      const startedMs = performance.now();
      try {
        const update = await store.update(index, throughDay, () => {
          if (stopped) {
            throw new UpdateStopped();
          }
        });
        if (update.folded.length > 0) {
          logger.info(
            {
              index,
              days: update.folded.length,
              through: throughDay,
              rebuilt: update.rebuilt,
              ms: Math.round(performance.now() - startedMs),
            },
            'weekday profiles updated',
          );
        }
      } catch (error) {
        if (!(error instanceof UpdateStopped)) {
          logger.warn({ index, err: error }, 'weekday profiles not updated; retried at the next close');
        }
      }
    });
  };

  return {
    start() {
      for (const index of options.indices) {
        enqueue(index, lastClosedDay(options.statusOf(index)));
      }
    },
    onMarketStatus(status) {
      if (status.state !== 'CLOSED' && status.state !== 'HOLIDAY') {
        return;
      }
      for (const index of options.indicesOf(status)) {
        enqueue(index, lastClosedDay(status));
      }
    },
    async stop() {
      stopped = true;
      await chain;
    },
    idle: () => chain,
  };
}
