export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

export function createDeferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A queue of events to await one at a time, for callbacks that fire repeatedly. */
export function createEventQueue<T>(): { push(value: T): void; next(): Promise<T> } {
  const values: T[] = [];
  const waiters: Array<(value: T) => void> = [];
  return {
    push(value) {
      const waiter = waiters.shift();
      if (waiter) {
        waiter(value);
      } else {
        values.push(value);
      }
    },
    next() {
      const value = values.shift();
      if (value !== undefined) {
        return Promise.resolve(value);
      }
      return new Promise<T>((resolve) => waiters.push(resolve));
    },
  };
}
