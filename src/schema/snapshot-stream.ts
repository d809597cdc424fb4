import type { IndexSymbol } from '../domain/indices.ts';
import type { IndexSnapshot } from '../domain/snapshot.ts';
import type { GraphQLContext } from './context.ts';

/**
 * `initial` (when defined), then the values of `live` that `accept` lets through. The caller subscribes
 * `live` before reading `initial`, so nothing published in between is missed. `return()` ends the live
 * subscription at once, even while a `next()` is pending.
 */
export function startWith<T>(
  initial: T | undefined,
  live: AsyncIterableIterator<T>,
  accept: (value: T) => boolean = () => true,
): AsyncIterableIterator<T> {
  let first = initial;
  const iterator: AsyncIterableIterator<T> = {
    async next() {
      if (first !== undefined) {
        const value = first;
        first = undefined;
        return { done: false, value };
      }
      for (;;) {
        const result = await live.next();
        if (result.done || accept(result.value)) {
          return result;
        }
      }
    },
    async return() {
      first = undefined;
      await live.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/** The current snapshot of an index (if any), then every newer one (anything not newer is dropped). */
export function snapshotStream(ctx: GraphQLContext, index: IndexSymbol): AsyncIterableIterator<IndexSnapshot> {
  const live = ctx.pubsub.subscribe(index);
  const initial = ctx.store.getIndex(index);
  let lastSeq = initial?.seq ?? 0;
  return startWith(initial, live, (snapshot) => {
    if (snapshot.seq <= lastSeq) {
      return false;
    }
    lastSeq = snapshot.seq;
    return true;
  });
}
