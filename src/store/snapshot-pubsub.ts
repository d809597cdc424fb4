import type { IndexSymbol } from '../domain/indices.ts';
import type { IndexSnapshot } from '../domain/snapshot.ts';

export interface SnapshotPubSubHooks {
  /** A subscriber had not taken the previous snapshot when a newer one replaced it. */
  onConflated?(index: IndexSymbol): void;
}

export interface SnapshotPubSub {
  publish(snapshot: IndexSnapshot): void;
  /**
   * Snapshots of one index, newest wins: a subscriber that reads slower than snapshots arrive skips to the
   * latest instead of queueing (each snapshot is complete, so nothing is lost but staleness). Memory per
   * subscriber is one snapshot reference, so a stalled client cannot grow the process or crash it.
   * Ends when `signal` aborts or `close()` is called.
   */
  subscribe(index: IndexSymbol, signal?: AbortSignal): AsyncIterableIterator<IndexSnapshot>;
  subscriberCount(): number;
  close(): void;
}

interface Subscriber {
  readonly index: IndexSymbol;
  pending: IndexSnapshot | null;
  wake: (() => void) | null;
  done: boolean;
}

export function createSnapshotPubSub(hooks: SnapshotPubSubHooks = {}): SnapshotPubSub {
  const subscribers = new Set<Subscriber>();

  const finish = (subscriber: Subscriber) => {
    subscriber.done = true;
    subscribers.delete(subscriber);
    subscriber.wake?.();
  };

  return {
    publish(snapshot) {
      for (const subscriber of subscribers) {
        if (subscriber.index !== snapshot.index) {
          continue;
        }
        if (subscriber.pending !== null) {
          hooks.onConflated?.(snapshot.index);
        }
        subscriber.pending = snapshot;
        subscriber.wake?.();
      }
    },
    subscribe(index, signal) {
      const subscriber: Subscriber = { index, pending: null, wake: null, done: false };
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
      const iterator: AsyncIterableIterator<IndexSnapshot> = {
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
