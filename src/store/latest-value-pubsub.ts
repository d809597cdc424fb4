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

interface Subscriber<K, V> {
  readonly key: K;
  pending: V | null;
  wake: (() => void) | null;
  done: boolean;
}

/** A topic per key holding only the newest value for each subscriber (snapshots, market status). */
export function createLatestValuePubSub<K, V>(
  keyOf: (value: V) => K,
  onConflated?: (key: K) => void,
): LatestValuePubSub<K, V> {
  const subscribers = new Set<Subscriber<K, V>>();

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
      const subscriber: Subscriber<K, V> = { key, pending: null, wake: null, done: false };
      subscribers.add(subscriber);
      const onAbort = () => finish(subscriber);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted) {
        finish(subscriber);
      }
      const cleanUp = () => {
        signal?.removeEventListener('abort', onAbort);
        finish(subscriber);
      };
      const iterator: AsyncIterableIterator<V> = {
        async next() {
          while (!subscriber.done && subscriber.pending === null) {
            await new Promise<void>((resolve) => {
              subscriber.wake = resolve;
            });
            subscriber.wake = null;
          }
          if (subscriber.pending !== null && !subscriber.done) {
            const value = subscriber.pending;
            subscriber.pending = null;
            return { done: false, value };
          }
          cleanUp();
          return { done: true, value: undefined };
        },
        async return() {
          cleanUp();
          return { done: true, value: undefined };
        },
        [Symbol.asyncIterator]() {
          return iterator;
        },
      };
      return iterator;
    },
    subscriberCount() {
      return subscribers.size;
    },
    close() {
      for (const subscriber of [...subscribers]) {
        finish(subscriber);
      }
    },
  };
}
