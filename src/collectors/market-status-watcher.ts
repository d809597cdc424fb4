import type { Segment } from '../domain/calendar/calendar-data.ts';
import type { MarketStatus } from '../domain/calendar/exchange-calendar.ts';
import type { MarketClock } from '../domain/market-clock.ts';

export interface MarketStatusWatcherOptions {
  readonly clock: MarketClock;
  readonly segments: readonly Segment[];
  readonly now: () => Date;
  /** Longest wait between looks at the clock (a clock jump is noticed within it). */
  readonly maxCheckMs?: number;
  /** A segment's state, session or holiday changed (and once per segment at start). */
  readonly onChange: (status: MarketStatus) => void;
  /** The calendar could not answer (data with no session in sight); the watcher keeps looking. */
  readonly onError?: (error: unknown) => void;
}

export interface MarketStatusWatcher {
  start(): void;
  stop(): void;
  current(segment: Segment): MarketStatus;
}

const identity = (s: MarketStatus) => `${s.state}|${s.session.date}|${s.holidayName ?? ''}`;

/** The instants after `at` when a status can change: pre-open, open, close, the next open, IST midnight. */
function nextBoundaryMs(status: MarketStatus): number {
  const t = status.at.getTime();
  const candidates = [
    status.session.preOpenAt?.getTime(),
    status.session.opensAt.getTime(),
    status.session.closesAt.getTime(),
    status.nextOpenAt.getTime(),
    // IST midnight (a holiday or weekend day starts).
    Math.floor((t + 5.5 * 3_600_000) / 86_400_000 + 1) * 86_400_000 - 5.5 * 3_600_000,
  ].filter((c): c is number => c !== undefined && c > t);
  return Math.min(...candidates);
}

/**
 * Watches the market clock and reports each change of a segment's status at the instant it happens
 * (the open, the close, a holiday starting), for the `marketStatusChanged` subscription, metrics and the
 * providers' streams. One timer, re-armed for the nearest boundary.
 */
export function createMarketStatusWatcher(options: MarketStatusWatcherOptions): MarketStatusWatcher {
  const maxCheckMs = options.maxCheckMs ?? 60_000;
  const last = new Map<Segment, string>();
  let timer: NodeJS.Timeout | undefined;
  let running = false;

  const check = () => {
    timer = undefined;
    let waitMs = maxCheckMs;
    for (const segment of options.segments) {
      try {
        const status = options.clock.status(segment, options.now());
        const id = identity(status);
        if (last.get(segment) !== id) {
          last.set(segment, id);
          options.onChange(status);
        }
        waitMs = Math.min(waitMs, nextBoundaryMs(status) - status.at.getTime() + 1);
      } catch (error) {
        options.onError?.(error);
      }
    }
    if (running) {
      timer = setTimeout(check, Math.max(1, waitMs));
      timer.unref();
    }
  };

  return {
    start() {
      if (!running) {
        running = true;
        check();
      }
    },
    stop() {
      running = false;
      clearTimeout(timer);
      timer = undefined;
    },
    current: (segment) => options.clock.status(segment, options.now()),
  };
}
