import { segmentOf } from '../domain/calendar/calendar-data.ts';
import { INDEX_SPECS, type IndexSymbol } from '../domain/indices.ts';
import { isTrading, type MarketClock } from '../domain/market-clock.ts';

export interface SessionGateOptions {
  readonly clock: MarketClock;
  readonly now: () => Date;
  /** G6_COLLECT_OUTSIDE_HOURS: collect at every interval whatever the calendar says. */
  readonly collectOutsideHours: boolean;
  /** When a session has no pre-open, collection resumes this long before its open. */
  readonly resumeBeforeOpenMs?: number;
  /** Longest rest between looks at the clock, so a clock jump or a long weekend is noticed in time. */
  readonly maxRestMs?: number;
  /** Time of the index's latest snapshot (collected, or restored from storage), null before any. */
  readonly lastObservedAt: (index: IndexSymbol) => Date | null;
}

/**
 * `collect`: why this tick runs (in session or its pre-open; the closing snapshot after a close; the one
 * snapshot of a start while closed; or collection forced outside hours). `rest`: no provider call until
 * the market reopens; look again after `restMs`.
 */
export type GateDecision =
  | { readonly collect: true; readonly reason: 'session' | 'closing' | 'initial' | 'outside-hours' }
  | { readonly collect: false; readonly restMs: number; readonly resumesAt: Date };

export interface SessionGate {
  decide(index: IndexSymbol): GateDecision;
  /** The index's market is in session or its pre-open (or collection is forced): every interval collects. */
  inSession(index: IndexSymbol): boolean;
  /** Closed, and the latest snapshot already holds the session's close: not stale, however old. */
  isResting(index: IndexSymbol): boolean;
}

export const DEFAULT_RESUME_BEFORE_OPEN_MS = 15 * 60_000;
export const DEFAULT_MAX_REST_MS = 60_000;

/**
 * Live collection follows the session: in session (and from the pre-open) every interval; after the close
 * one closing snapshot; then nothing until the next pre-open. The simulated session clock is always open.
 */
export function createSessionGate(options: SessionGateOptions): SessionGate {
  const resumeBeforeOpenMs = options.resumeBeforeOpenMs ?? DEFAULT_RESUME_BEFORE_OPEN_MS;
  const maxRestMs = options.maxRestMs ?? DEFAULT_MAX_REST_MS;

  const window = (index: IndexSymbol) => {
    const now = options.now();
    const status = options.clock.status(segmentOf(INDEX_SPECS[index]), now);
    const resumesAt = status.session.preOpenAt ?? new Date(status.session.opensAt.getTime() - resumeBeforeOpenMs);
    return { now, status, resumesAt, open: isTrading(status) || now.getTime() >= resumesAt.getTime() };
  };

  const decide = (index: IndexSymbol): GateDecision => {
    if (options.collectOutsideHours) {
      return { collect: true, reason: 'outside-hours' };
    }
    let placed: ReturnType<typeof window>;
    try {
      placed = window(index);
    } catch {
      // A calendar that cannot place the next session must not stop collection (the watcher logs it).
      return { collect: true, reason: 'session' };
    }
    const { now, status, resumesAt, open } = placed;
    if (open) {
      return { collect: true, reason: 'session' };
    }
    const last = options.lastObservedAt(index);
    if (last === null) {
      return { collect: true, reason: 'initial' };
    }
    if (status.lastCloseAt !== null && last.getTime() < status.lastCloseAt.getTime()) {
      return { collect: true, reason: 'closing' };
    }
    return { collect: false, restMs: Math.max(1, Math.min(maxRestMs, resumesAt.getTime() - now.getTime())), resumesAt };
  };

  return {
    decide,
    inSession: (index) => {
      if (options.collectOutsideHours) {
        return true;
      }
      try {
        return window(index).open;
      } catch {
        return true;
      }
    },
    isResting: (index) => !decide(index).collect,
  };
}
