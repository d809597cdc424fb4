import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoffDelayMs, type CollectionLoop, createCollectionLoop } from '../../../src/collectors/collection-loop.ts';
import { AppError } from '../../../src/domain/errors.ts';
import { createDeferred, createEventQueue } from '../../helpers/deferred.ts';

const loops: CollectionLoop[] = [];
afterEach(async () => {
  await Promise.all(loops.splice(0).map((l) => l.stop()));
});

function startLoop(
  options: Partial<Parameters<typeof createCollectionLoop>[0]> &
    Pick<Parameters<typeof createCollectionLoop>[0], 'collect'>,
) {
  const loop = createCollectionLoop({
    indices: ['NIFTY'],
    intervalMs: 1,
    timeoutMs: 10_000,
    maxWorkers: 4,
    maxBackoffMs: 60_000,
    ...options,
  });
  loops.push(loop);
  loop.start();
  return loop;
}

describe('createCollectionLoop', () => {
  it('never starts a tick of an index while the previous one runs', async () => {
    let running = 0;
    let maxRunning = 0;
    const gates = createEventQueue<() => void>();
    startLoop({
      collect: async () => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        const gate = createDeferred();
        gates.push(() => gate.resolve());
        await gate.promise;
        running -= 1;
      },
    });
    for (let i = 0; i < 5; i++) {
      const release = await gates.next();
      expect(running).toBe(1);
      release();
    }
    expect(maxRunning).toBe(1);
  });

  it('runs at most maxWorkers ticks at once across indices', async () => {
    let running = 0;
    let maxRunning = 0;
    const started = createEventQueue<() => void>();
    startLoop({
      indices: ['NIFTY', 'BANKNIFTY', 'SENSEX'],
      maxWorkers: 2,
      collect: async () => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        const gate = createDeferred();
        started.push(() => gate.resolve());
        await gate.promise;
        running -= 1;
      },
    });
    for (let round = 0; round < 4; round++) {
      const first = await started.next();
      const second = await started.next();
      expect(running).toBe(2);
      first();
      second();
    }
    expect(maxRunning).toBe(2);
  });

  it('aborts a tick that exceeds the timeout and reports it as a retryable timeout', async () => {
    const failures = createEventQueue<unknown>();
    let signalSeen: AbortSignal | undefined;
    startLoop({
      timeoutMs: 20,
      collect: (_index, signal) => {
        signalSeen = signal;
        return new Promise(() => undefined);
      },
      onTickFailed: (_index, error) => failures.push(error),
    });
    const error = await failures.next();
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('PROVIDER_TIMEOUT');
    expect((error as AppError).retryable).toBe(true);
    expect(signalSeen?.aborted).toBe(true);
  });

  it('backs off exponentially after consecutive failures and resets after a success', async () => {
    const events = createEventQueue<{ failures: number; retryInMs: number } | 'ok'>();
    let call = 0;
    startLoop({
      intervalMs: 1,
      maxBackoffMs: 8,
      random: () => 1,
      collect: async () => {
        call += 1;
        if (call <= 5) {
          throw new Error(`boom ${call}`);
        }
      },
      onTickFailed: (_index, _error, failures, retryInMs) => events.push({ failures, retryInMs }),
      onTickSucceeded: () => events.push('ok'),
    });
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const event = await events.next();
      if (event === 'ok') {
        throw new Error('unexpected success');
      }
      expect(event.failures).toBe(i + 1);
      delays.push(event.retryInMs);
    }
    expect(delays).toEqual([1, 2, 4, 8, 8]);
    expect(await events.next()).toBe('ok');
  });

  it('reports status per index and stops cleanly: the tick in flight is aborted, no tick starts after', async () => {
    const started = createEventQueue<AbortSignal>();
    let calls = 0;
    const loop = startLoop({
      collect: (_index, signal) => {
        calls += 1;
        started.push(signal);
        return calls === 1 ? Promise.resolve() : new Promise(() => undefined);
      },
    });
    await started.next();
    const signal = await started.next();
    expect(loop.status()[0]).toMatchObject({ index: 'NIFTY', consecutiveFailures: 0 });
    expect(loop.status()[0]!.lastSuccessAt).toBeInstanceOf(Date);
    await loop.stop();
    expect(signal.aborted).toBe(true);
    const callsAtStop = calls;
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toBe(callsAtStop);
  });
});

describe('createCollectionLoop with an interval per index', () => {
  afterEach(async () => {
    // Stopped while its timers are still the fake ones it armed.
    await Promise.all(loops.splice(0).map((l) => l.stop()));
    vi.useRealTimers();
  });

  it('collects each index at its own interval, on one loop and its shared workers', async () => {
    // Fake timers and clock: the loop's setTimeout and performance.now move only when the test says.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const started: Array<[string, number]> = [];
    const intervals = { NIFTY: 1000, SENSEX: 3000 } as const;
    startLoop({
      indices: ['NIFTY', 'SENSEX'],
      intervalMs: (index) => intervals[index as keyof typeof intervals],
      maxWorkers: 1,
      collect: async (index) => {
        started.push([index, performance.now()]);
      },
    });
    await vi.advanceTimersByTimeAsync(6500);
    const at = (index: string) => started.filter(([i]) => i === index).map(([, t]) => Math.round(t));
    const t0 = Math.round(started[0]![1]);
    expect(at('NIFTY').map((t) => t - t0)).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000]);
    expect(at('SENSEX').map((t) => t - t0)).toEqual([0, 3000, 6000]);
  });

  it('backs each index off from its own interval', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const retries: Array<[string, number, number]> = [];
    startLoop({
      indices: ['NIFTY', 'SENSEX'],
      intervalMs: (index) => (index === 'NIFTY' ? 1000 : 5000),
      maxBackoffMs: 60_000,
      random: () => 1,
      collect: async () => {
        throw new Error('provider down');
      },
      onTickFailed: (index, _error, failures, retryInMs) => retries.push([index, failures, retryInMs]),
    });
    // NIFTY fails at 0, 1, 3 and 7 s; SENSEX at 0 and 5 s.
    await vi.advanceTimersByTimeAsync(10_500);
    expect(retries.filter(([i]) => i === 'NIFTY').map(([, , ms]) => ms)).toEqual([1000, 2000, 4000, 8000]);
    expect(retries.filter(([i]) => i === 'SENSEX').map(([, , ms]) => ms)).toEqual([5000, 10_000]);
  });

  it('refuses an interval that is not a positive number', () => {
    expect(() =>
      createCollectionLoop({
        indices: ['NIFTY', 'SENSEX'],
        intervalMs: (index) => (index === 'NIFTY' ? 1000 : 0),
        timeoutMs: 1000,
        maxWorkers: 1,
        maxBackoffMs: 1000,
        collect: async () => undefined,
      }),
    ).toThrow(/collection interval of SENSEX must be a positive number of ms, got 0/);
  });
});

describe('backoffDelayMs', () => {
  it('doubles from the interval, caps at the maximum and jitters within the upper half', () => {
    expect(backoffDelayMs(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(backoffDelayMs(4, 1000, 60_000, () => 1)).toBe(8000);
    expect(backoffDelayMs(20, 1000, 60_000, () => 1)).toBe(60_000);
    expect(backoffDelayMs(20, 1000, 60_000, () => 0)).toBe(30_000);
    expect(backoffDelayMs(1, 1000, 60_000, () => 0)).toBe(1000);
  });
});
