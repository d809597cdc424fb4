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

interface Subscriber<V> {
  readonly queue: V[];
  wake: (() => void) | null;
  done: boolean;
}

/** For events where each one matters (alerts), unlike snapshots where the newest replaces the rest. */
export function createBoundedEventPubSub<V>(maxQueue: number, onDropped?: () => void): BoundedEventPubSub<V> {
  const subscribers = new Set<Subscriber<V>>();
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
      const subscriber: Subscriber<V> = { queue: [], wake: null, done: false };
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
          while (!subscriber.done && subscriber.queue.length === 0) {
            await new Promise<void>((resolve) => {
              subscriber.wake = resolve;
            });
            subscriber.wake = null;
          }
          const value = subscriber.queue.shift();
          if (value !== undefined && !subscriber.done) {
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
    subscriberCount: () => subscribers.size,
    close() {
      for (const subscriber of [...subscribers]) {
        finish(subscriber);
      }
    },
  };
}
