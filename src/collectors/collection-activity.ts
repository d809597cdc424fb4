/**
 * Whether a collection is between its provider's answer and the end of its sink writes: the part of a
 * tick that runs on this event loop. Serving yields to it (a fan-out waits rather than interleaving its
 * socket writes with the sinks' I/O callbacks), so subscribers can never stretch a collection cycle.
 * The provider's own wait (a Kite round trip) is not marked: nothing would be gained by holding events
 * back while the loop is idle.
 */
export interface CollectionActivity {
  /** Marks a collection's processing under way; the returned function ends it (idempotent). */
  begin(): () => void;
  /**
   * Undefined when no collection is processing; otherwise a promise that settles when none is, or after
   * `maxWaitMs`, whichever comes first (a sink stuck on its timeout must not hold subscribers for it).
   */
  whenIdle(maxWaitMs: number): Promise<void> | undefined;
  busy(): boolean;
}

export function createCollectionActivity(): CollectionActivity {
  let running = 0;
  let waiters: Array<() => void> = [];

  const settle = () => {
    const ready = waiters;
    waiters = [];
    for (const resolve of ready) {
      resolve();
    }
  };

  return {
    begin() {
      running += 1;
      let ended = false;
      return () => {
        if (ended) {
          return;
        }
        ended = true;
        running -= 1;
        if (running === 0) {
          settle();
        }
      };
    },
    whenIdle(maxWaitMs) {
      if (running === 0) {
        return undefined;
      }
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters = waiters.filter((waiter) => waiter !== done);
          resolve();
        }, maxWaitMs);
        waiters.push(done);
      });
    },
    busy: () => running > 0,
  };
}
