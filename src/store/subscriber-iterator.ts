/** One subscriber of a pub/sub: woken when something arrives for it, done once finished. */
export interface Waiter {
  wake: (() => void) | null;
  done: boolean;
}

/**
 * The async iterator a pub/sub hands a subscriber: `take` gives its next value, or null when it has none
 * yet (then it waits to be woken). It ends when the subscriber is finished (`finish`: unsubscribe and
 * wake it), when `signal` aborts, or when the reader returns; `finish` runs exactly once in each case.
 */
export function iterateSubscriber<V>(
  subscriber: Waiter,
  take: () => { readonly value: V } | null,
  finish: () => void,
  signal?: AbortSignal,
): AsyncIterableIterator<V> {
  const onAbort = () => finish();
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) {
    finish();
  }
  const end = (): IteratorResult<V> => {
    signal?.removeEventListener('abort', onAbort);
    if (!subscriber.done) {
      finish();
    }
    return { done: true, value: undefined };
  };
  const iterator: AsyncIterableIterator<V> = {
    async next() {
      for (;;) {
        if (subscriber.done) {
          return end();
        }
        const item = take();
        if (item !== null) {
          return { done: false, value: item.value };
        }
        await new Promise<void>((resolve) => {
          subscriber.wake = resolve;
        });
        subscriber.wake = null;
      }
    },
    async return() {
      return end();
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
