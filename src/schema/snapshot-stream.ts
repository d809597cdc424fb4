import type { IndexSymbol } from '../domain/indices.ts';
import type { IndexSnapshot } from '../domain/snapshot.ts';
import type { GraphQLContext } from './context.ts';

/**
 * The current snapshot of an index (if any), then every newer one. Subscribes before reading the store so
 * no update is missed between the two, and drops anything not newer than what was already sent.
 * `return()` ends the live subscription at once, even while a `next()` is pending.
 */
export function snapshotStream(ctx: GraphQLContext, index: IndexSymbol): AsyncIterableIterator<IndexSnapshot> {
  const live = ctx.pubsub.subscribe(index);
  let initial = ctx.store.getIndex(index);
  let lastSeq = initial?.seq ?? 0;
  const iterator: AsyncIterableIterator<IndexSnapshot> = {
    async next() {
      if (initial !== undefined) {
        const value = initial;
        initial = undefined;
        return { done: false, value };
      }
      for (;;) {
        const result = await live.next();
        if (result.done || result.value.seq > lastSeq) {
          if (!result.done) {
            lastSeq = result.value.seq;
          }
          return result;
        }
      }
    },
    async return() {
      initial = undefined;
      await live.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
