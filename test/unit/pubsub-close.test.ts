import { describe, expect, it } from 'vitest';
import { createBoundedEventPubSub } from '../../src/store/bounded-event-pubsub.ts';
import { createLatestValuePubSub } from '../../src/store/latest-value-pubsub.ts';

describe('pub/sub after close', () => {
  it('ends a subscription made after close at once, for both kinds', async () => {
    const latest = createLatestValuePubSub<'k', number>(() => 'k');
    const events = createBoundedEventPubSub<number>(10);
    latest.close();
    events.close();
    await expect(latest.subscribe('k').next()).resolves.toEqual({ done: true, value: undefined });
    await expect(events.subscribe().next()).resolves.toEqual({ done: true, value: undefined });
    expect(latest.subscriberCount()).toBe(0);
    expect(events.subscriberCount()).toBe(0);
  });

  it('finishes a subscriber once, whichever of close, abort and return comes first', async () => {
    const events = createBoundedEventPubSub<number>(2, () => undefined);
    const controller = new AbortController();
    const stream = events.subscribe(controller.signal);
    events.publish(1);
    expect(await stream.next()).toEqual({ done: false, value: 1 });
    events.close();
    controller.abort();
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    expect(await stream.return?.()).toEqual({ done: true, value: undefined });
    expect(events.subscriberCount()).toBe(0);
  });

  it('keeps every event of a bounded stream in order and drops the oldest beyond its bound', async () => {
    let dropped = 0;
    const events = createBoundedEventPubSub<number>(2, () => {
      dropped += 1;
    });
    const stream = events.subscribe();
    for (const n of [1, 2, 3]) {
      events.publish(n);
    }
    expect(dropped).toBe(1);
    expect([(await stream.next()).value, (await stream.next()).value]).toEqual([2, 3]);
    const pending = stream.next();
    events.publish(4);
    expect(await pending).toEqual({ done: false, value: 4 });
  });
});
