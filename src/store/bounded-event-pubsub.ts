import { iterateSubscriber, type Waiter } from './subscriber-iterator.ts';

export interface BoundedEventPubSub<V> {
  publish(value: V): void;
  /**
   * Every value published after subscribing, in order, up to `maxQueue` waiting per subscriber; beyond
   * that the oldest waiting one is dropped (and counted), so a stalled reader holds bounded memory.
   */
  subscribe(signal?: AbortSignal): AsyncIterableIterator<V>;
  subscriberCount(): number;
  close(): void;
}

interface Subscriber<V> extends Waiter {
  readonly queue: V[];
}

/** For events where each one matters (alerts), unlike snapshots where the newest replaces the rest. */
export function createBoundedEventPubSub<V>(maxQueue: number, onDropped?: () => void): BoundedEventPubSub<V> {
  const subscribers = new Set<Subscriber<V>>();
  // After close(), a subscription ends at once instead of waiting for values that will never come.
  let closed = false;
  const finish = (subscriber: Subscriber<V>) => {
    subscriber.done = true;
    subscribers.delete(subscriber);
    subscriber.wake?.();
  };
  return {
    publish(value) {
      for (const subscriber of subscribers) {
        subscriber.queue.push(value);
        if (subscriber.queue.length > maxQueue) {
          subscriber.queue.shift();
          onDropped?.();
        }
        subscriber.wake?.();
      }
    },
    subscribe(signal) {
      const subscriber: Subscriber<V> = { queue: [], wake: null, done: closed };
      if (!closed) {
        subscribers.add(subscriber);
      }
      return iterateSubscriber(
        subscriber,
        () => (subscriber.queue.length === 0 ? null : { value: subscriber.queue.shift() as V }),
        () => finish(subscriber),
        signal,
      );
    },
    subscriberCount: () => subscribers.size,
    close() {
      closed = true;
      for (const subscriber of [...subscribers]) {
        finish(subscriber);
      }
    },
  };
}
