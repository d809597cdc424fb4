import { AppError, ERROR_CODES } from '../domain/errors.ts';
import type { IndexSymbol } from '../domain/indices.ts';
import type { GateDecision } from './session-gate.ts';

export interface CollectionLoopOptions {
  readonly indices: readonly IndexSymbol[];
  /**
   * Target period between tick starts: one for every index, or each index's own (Config.collection);
   * read once per index when the loop is created. Also the base of that index's failure backoff.
   */
  readonly intervalMs: number | ((index: IndexSymbol) => number);
  /** A tick still running after this is aborted and counted as failed. */
  readonly timeoutMs: number;
  /** Ticks (across indices) allowed to run at once. */
  readonly maxWorkers: number;
  /** Ceiling of the backoff delay after consecutive failures. */
  readonly maxBackoffMs: number;
  readonly collect: (index: IndexSymbol, signal: AbortSignal) => Promise<void>;
  readonly onTickSucceeded?: (index: IndexSymbol, durationMs: number) => void;
  readonly onTickFailed?: (index: IndexSymbol, error: unknown, consecutiveFailures: number, retryInMs: number) => void;
  /** Uniform [0, 1) source for jitter; injectable for tests. */
  readonly random?: () => number;
  /** Asked before every tick whether to call the provider (the market session); collects always without. */
  readonly gate?: (index: IndexSymbol) => GateDecision;
  /** An index stopped (`resumesAt` set) or resumed (null) collecting for the session. */
  readonly onRestChanged?: (index: IndexSymbol, resumesAt: Date | null) => void;
  /** Each look at the clock that found the market closed (no provider call made). */
  readonly onRested?: (index: IndexSymbol) => void;
  /** The clock status times are read from. */
  readonly now?: () => Date;
}

export interface IndexCollectionStatus {
  readonly index: IndexSymbol;
  readonly ticks: number;
  readonly consecutiveFailures: number;
  readonly lastSuccessAt: Date | null;
  readonly lastFailureAt: Date | null;
  readonly lastError: string | null;
  /** Resting outside market hours: no provider calls until `resumesAt` (the next pre-open). */
  readonly resting: boolean;
  readonly resumesAt: Date | null;
  /** When collection last came back from resting: freshness counts from here until the first success. */
  readonly resumedAt: Date | null;
}

export interface CollectionLoop {
  start(): void;
  /** Aborts ticks in flight, clears timers, resolves when every tick has settled. */
  stop(): Promise<void>;
  status(): IndexCollectionStatus[];
}

/** Delay before the next try after `failures` consecutive failures: exponential, capped, half jittered. */
export function backoffDelayMs(
  failures: number,
  intervalMs: number,
  maxBackoffMs: number,
  random: () => number,
): number {
  const ceiling = Math.min(maxBackoffMs, intervalMs * 2 ** Math.min(failures - 1, 30));
  return Math.max(intervalMs, ceiling / 2 + (random() * ceiling) / 2);
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    return error.message;
  }
  if (typeof error === 'object' && error !== null && 'message' in error) {
    return String((error as { message: unknown }).message);
  }
  return String(error);
}

/**
 * One chained timer per index: the next tick is armed only after the current one settles, so ticks of
 * an index never overlap; a tick that overruns its period starts the next one immediately. Workers are
 * shared through a counting semaphore (`maxWorkers`).
 */
export function createCollectionLoop(options: CollectionLoopOptions): CollectionLoop {
  const random = options.random ?? Math.random;
  const now = options.now ?? (() => new Date());
  const intervals = new Map<IndexSymbol, number>(
    options.indices.map((index) => {
      const ms = typeof options.intervalMs === 'number' ? options.intervalMs : options.intervalMs(index);
      if (!(Number.isFinite(ms) && ms > 0)) {
        throw new RangeError(`collection interval of ${index} must be a positive number of ms, got ${ms}`);
      }
      return [index, ms];
    }),
  );
  const timers = new Map<IndexSymbol, NodeJS.Timeout>();
  const inFlight = new Map<IndexSymbol, { controller: AbortController; done: Promise<void> }>();
  const statuses = new Map<IndexSymbol, IndexCollectionStatus>(
    options.indices.map((index) => [
      index,
      {
        index,
        ticks: 0,
        consecutiveFailures: 0,
        lastSuccessAt: null,
        lastFailureAt: null,
        lastError: null,
        resting: false,
        resumesAt: null,
        resumedAt: null,
      },
    ]),
  );
  const waiting: Array<() => void> = [];
  let running = 0;
  let stopped = true;

  const acquire = async () => {
    if (running < options.maxWorkers) {
      running += 1;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = () => {
    const next = waiting.shift();
    if (next) {
      next();
    } else {
      running -= 1;
    }
  };

  const setResting = (index: IndexSymbol, resumesAt: Date | null) => {
    const previous = statuses.get(index)!;
    if (previous.resting === (resumesAt !== null) && previous.resumesAt?.getTime() === resumesAt?.getTime()) {
      return;
    }
    const resumedAt = previous.resting && resumesAt === null ? now() : previous.resumedAt;
    statuses.set(index, { ...previous, resting: resumesAt !== null, resumesAt, resumedAt });
    options.onRestChanged?.(index, resumesAt);
  };

  const schedule = (index: IndexSymbol, delayMs: number) => {
    if (stopped) {
      return;
    }
    timers.set(
      index,
      setTimeout(() => {
        timers.delete(index);
        const decision = options.gate?.(index);
        if (decision !== undefined && !decision.collect) {
          setResting(index, decision.resumesAt);
          options.onRested?.(index);
          schedule(index, decision.restMs);
          return;
        }
        setResting(index, null);
        const controller = new AbortController();
        const done = tick(index, controller);
        inFlight.set(index, { controller, done });
        void done.finally(() => inFlight.delete(index));
      }, delayMs),
    );
  };

  async function tick(index: IndexSymbol, controller: AbortController): Promise<void> {
    await acquire();
    const startedAt = performance.now();
    let timeout: NodeJS.Timeout | undefined;
    try {
      if (stopped) {
        return;
      }
      const timedOut = new Promise<never>((_, reject) => {
        timeout = setTimeout(() => {
          const error = new AppError(
            ERROR_CODES.PROVIDER_TIMEOUT,
            `collection of ${index} took longer than ${options.timeoutMs} ms`,
            { retryable: true },
          );
          controller.abort(error);
          reject(error);
        }, options.timeoutMs);
      });
      const aborted = new Promise<never>((_, reject) => {
        controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
      });
      await Promise.race([options.collect(index, controller.signal), timedOut, aborted]);
      const durationMs = performance.now() - startedAt;
      const previous = statuses.get(index)!;
      statuses.set(index, {
        ...previous,
        ticks: previous.ticks + 1,
        consecutiveFailures: 0,
        lastSuccessAt: now(),
      });
      options.onTickSucceeded?.(index, durationMs);
      schedule(index, Math.max(0, intervals.get(index)! - durationMs));
    } catch (error) {
      if (stopped) {
        return;
      }
      const previous = statuses.get(index)!;
      const failures = previous.consecutiveFailures + 1;
      statuses.set(index, {
        ...previous,
        ticks: previous.ticks + 1,
        consecutiveFailures: failures,
        lastFailureAt: now(),
        lastError: describe(error),
      });
      const retryInMs = backoffDelayMs(failures, intervals.get(index)!, options.maxBackoffMs, random);
      options.onTickFailed?.(index, error, failures, retryInMs);
      schedule(index, retryInMs);
    } finally {
      clearTimeout(timeout);
      release();
    }
  }

  return {
    start() {
      if (!stopped) {
        return;
      }
      stopped = false;
      for (const index of options.indices) {
        schedule(index, 0);
      }
    },
    async stop() {
      stopped = true;
      for (const timer of timers.values()) {
        clearTimeout(timer);
      }
      timers.clear();
      const pending = [...inFlight.values()];
      for (const { controller } of pending) {
        controller.abort(new Error('collection loop stopped'));
      }
      // Ticks queued for a worker get one so they can observe `stopped` and return.
      for (const resolve of waiting.splice(0)) {
        running += 1;
        resolve();
      }
      await Promise.allSettled(pending.map((p) => p.done));
    },
    status() {
      return [...statuses.values()];
    },
  };
}
