import { iterateSubscriber, type Waiter } from './subscriber-iterator.ts';

export interface LatestValuePubSub<K, V> {
  publish(value: V): void;
  /**
   * Values of one key, newest wins: a subscriber that reads slower than values arrive skips to the latest
   * instead of queueing (each value is complete, so nothing is lost but staleness). Memory per subscriber
   * is one reference, so a stalled client cannot grow the process or crash it. Ends when `signal` aborts
   * or `close()` is called.
   */
  subscribe(key: K, signal?: AbortSignal): AsyncIterableIterator<V>;
  subscriberCount(): number;
  close(): void;
}

interface Subscriber<K, V> extends Waiter {
  readonly key: K;
  pending: V | null;
}

/** A topic per key holding only the newest value for each subscriber (snapshots, market status). */
export function createLatestValuePubSub<K, V>(
  keyOf: (value: V) => K,
  onConflated?: (key: K) => void,
): LatestValuePubSub<K, V> {
  const subscribers = new Set<Subscriber<K, V>>();
  // After close(), a subscription ends at once instead of waiting for values that will never come.
  let closed = false;

  const finish = (subscriber: Subscriber<K, V>) => {
    subscriber.done = true;
    subscribers.delete(subscriber);
    subscriber.wake?.();
  };

  return {
    publish(value) {
      const key = keyOf(value);
      for (const subscriber of subscribers) {
        if (subscriber.key !== key) {
          continue;
        }
        if (subscriber.pending !== null) {
          onConflated?.(key);
        }
        subscriber.pending = value;
        subscriber.wake?.();
      }
    },
    subscribe(key, signal) {
      const subscriber: Subscriber<K, V> = { key, pending: null, wake: null, done: closed };
      if (!closed) {
        subscribers.add(subscriber);
      }
      return iterateSubscriber(
        subscriber,
        () => {
          const value = subscriber.pending;
          subscriber.pending = null;
          return value === null ? null : { value };
        },
        () => finish(subscriber),
        signal,
      );
    },
    subscriberCount() {
      return subscribers.size;
    },
    close() {
      closed = true;
      for (const subscriber of [...subscribers]) {
        finish(subscriber);
      }
    },
  };
}
