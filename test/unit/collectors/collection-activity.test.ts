import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCollectionActivity } from '../../../src/collectors/collection-activity.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('collection activity', () => {
  it('has nothing to wait for while no collection is processing', () => {
    const activity = createCollectionActivity();
    expect(activity.busy()).toBe(false);
    expect(activity.whenIdle(100)).toBeUndefined();
  });

  it('settles waiters when the last of overlapping collections ends, and an end counts once', async () => {
    const activity = createCollectionActivity();
    const endFirst = activity.begin();
    const endSecond = activity.begin();
    let settled = false;
    const idle = activity.whenIdle(60_000)?.then(() => {
      settled = true;
    });
    expect(idle).toBeDefined();

    endFirst();
    endFirst();
    await Promise.resolve();
    expect(activity.busy()).toBe(true);
    expect(settled).toBe(false);

    endSecond();
    await idle;
    expect(settled).toBe(true);
    expect(activity.busy()).toBe(false);
  });

  it('gives up waiting after maxWaitMs, so a sink stuck on its timeout cannot hold subscribers', async () => {
    vi.useFakeTimers();
    const activity = createCollectionActivity();
    const end = activity.begin();
    let settled = false;
    const idle = activity.whenIdle(100)?.then(() => {
      settled = true;
    });

    await vi.advanceTimersByTimeAsync(99);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await idle;
    expect(settled).toBe(true);
    expect(activity.busy()).toBe(true);

    // The timed-out waiter is gone: ending later settles only waiters that are still waiting.
    const later = activity.whenIdle(100);
    end();
    await later;
    expect(vi.getTimerCount()).toBe(0);
  });
});
