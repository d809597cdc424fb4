import type { Logger } from 'pino';
import { createMarketStatusWatcher, type MarketStatusWatcher } from '../collectors/market-status-watcher.ts';
import type { Config } from '../config.ts';
import { SEGMENTS, type Segment, segmentOf } from '../domain/calendar/calendar-data.ts';
import type { MarketStatus } from '../domain/calendar/exchange-calendar.ts';
import { INDEX_SPECS } from '../domain/indices.ts';
import { isTrading, type MarketClock } from '../domain/market-clock.ts';
import { createLatestValuePubSub, type LatestValuePubSub } from '../store/latest-value-pubsub.ts';
import { createCalendar, createMarketClock } from './market-calendar.ts';

export interface MarketStatusAssembly {
  readonly clock: MarketClock;
  /** The segments the configured indices trade in. */
  readonly segments: readonly Segment[];
  /** Each segment's latest status, for the schema. */
  readonly statuses: LatestValuePubSub<Segment, MarketStatus>;
  /** In session or its pre-open, as the exchange (or simulated) clock says; not G6_COLLECT_OUTSIDE_HOURS. */
  marketOpen(): boolean | null;
  /** Watches the clock: each change is warned about (unknown months), handed to `onChange`, logged, published. */
  watcher(onChange: (status: MarketStatus) => void, maxCheckMs?: number): MarketStatusWatcher;
}

/** The configured market calendar and clock, and the statuses of the segments collected. */
export function createMarketStatusAssembly(
  config: Config,
  logger: Logger,
  now: () => Date,
  startedAt: Date,
): MarketStatusAssembly {
  const calendar = createCalendar(config);
  const clock = createMarketClock(config, calendar);
  const segments = SEGMENTS.filter((s) => config.indices.some((i) => segmentOf(INDEX_SPECS[i]) === s));
  // Once per segment and month set: at start-up, and again when a new month brings an unknown one in view.
  const warnedUnknown = new Set<string>();
  const warnUnknownMonths = (segment: Segment, instant: Date) => {
    const unknown = calendar.unknownMonths(segment, instant);
    const key = `${segment}|${unknown.join(',')}`;
    if (unknown.length > 0 && !warnedUnknown.has(key)) {
      warnedUnknown.add(key);
      logger.warn(
        { segment, months: unknown },
        'market calendar unknown for these months (holidays not published in this build): weekdays are treated as ' +
          'sessions; add them with G6_MARKET_CALENDAR_FILE or G6_MARKET_HOLIDAYS',
      );
    }
  };
  for (const segment of segments) {
    warnUnknownMonths(segment, startedAt);
  }
  const statuses = createLatestValuePubSub<Segment, MarketStatus>((s) => s.segment);
  return {
    clock,
    segments,
    statuses,
    marketOpen() {
      try {
        return segments.some((segment) => {
          const status = clock.status(segment, now());
          return isTrading(status) || status.state === 'PRE_OPEN';
        });
      } catch {
        // A calendar that cannot place the next session (the watcher logs it): not known.
        return null;
      }
    },
    watcher: (onChange, maxCheckMs) =>
      createMarketStatusWatcher({
        clock,
        segments,
        now,
        ...(maxCheckMs === undefined ? {} : { maxCheckMs }),
        onError: (error) => logger.error({ err: error }, 'market calendar cannot place the next session'),
        onChange: (status) => {
          warnUnknownMonths(status.segment, status.at);
          onChange(status);
          logger.info(
            { segment: status.segment, state: status.state, tradingDay: status.tradingDay, clock: clock.mode },
            'market status',
          );
          statuses.publish(status);
        },
      }),
  };
}
