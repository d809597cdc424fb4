/** One subscriber of a pub/sub: woken when something arrives for it, done once finished. */
export interface Waiter {
  wake: (() => void) | null;
  done: boolean;
}

/**
 * The async iterator a pub/sub hands a subscriber: `take` gives its next value, or null when it has none
 * yet (then it waits to be woken). It ends when the subscriber is finished (`finish`: unsubscribe and
 * wake it), when `signal` aborts, or when the reader returns; `finish` runs exactly once in each case.
 * One reader at a time: `next()` is not to be called again before the last one settled (for-await).
 */
export function iterateSubscriber<V>(
  subscriber: Waiter,
  take: () => { readonly value: V } | null,
  finish: () => void,
  signal?: AbortSignal,
): AsyncIterableIterator<V> {
  let finished = false;
  const finishOnce = () => {
    if (!finished) {
      finished = true;
      signal?.removeEventListener('abort', finishOnce);
      finish();
    }
  };
  signal?.addEventListener('abort', finishOnce, { once: true });
  if (signal?.aborted || subscriber.done) {
    finishOnce();
  }
  const end = (): IteratorResult<V> => {
    finishOnce();
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
