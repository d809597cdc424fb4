/** One started part of the process, and how to undo it. */
interface StartedPart {
  readonly name: string;
  readonly stop: () => Promise<void> | void;
}

/** Parts that failed to stop, each with its error; `stop()` carried on past every one of them. */
export class StopFailedError extends AggregateError {
  readonly parts: readonly string[];

  constructor(failures: ReadonlyArray<{ name: string; error: unknown }>) {
    super(
      failures.map((f) => f.error),
      `${failures.length} part(s) failed to stop: ${failures.map((f) => `${f.name} (${describe(f.error)})`).join('; ')}`,
    );
    this.name = 'StopFailedError';
    this.parts = failures.map((f) => f.name);
  }
}

/** Start-up was called off (a signal while starting): what had started has been stopped. */
export class StartAbortedError extends Error {
  constructor(during: string) {
    super(`start-up called off while starting ${during}`);
    this.name = 'StartAbortedError';
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The process as a stack of started parts (graphql-ws's disposables, yoga's start/stop): each part is
 * pushed once it has started, and stopping undoes them in reverse, carrying on past a part that fails and
 * reporting them all. Start-up that fails part-way stops what had started, so nothing is left running
 * (a collection loop writing CSV behind a server that never bound its port).
 */
export class Lifecycle {
  readonly #parts: StartedPart[] = [];
  #stopping: Promise<void> | null = null;
  #current: string | null = null;
  #remaining: string[] = [];
  readonly #signal: AbortSignal | undefined;

  /** `signal` calls start-up off: the part starting is not waited for, and `run` unwinds. */
  constructor(signal?: AbortSignal) {
    this.#signal = signal;
  }

  /** Registers an already started part. */
  started(name: string, stop: () => Promise<void> | void): void {
    if (this.#stopping !== null) {
      throw new Error(`cannot start ${name}: stopping`);
    }
    this.#parts.push({ name, stop });
  }

  /** Starts a part and registers it; a part whose start throws is not registered (nothing to undo). */
  async start<T>(name: string, start: () => Promise<T> | T, stop: (value: T) => Promise<void> | void): Promise<T> {
    const signal = this.#signal;
    if (signal?.aborted) {
      throw new StartAbortedError(name);
    }
    const starting = Promise.resolve().then(start);
    let onAbort: () => void = () => undefined;
    // Without a signal this never settles, and the race is the start alone.
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => reject(new StartAbortedError(name));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const value = await Promise.race([starting, aborted]);
      this.started(name, () => stop(value));
      return value;
    } catch (error) {
      if (error instanceof StartAbortedError) {
        // Not waited for, but not left running either: undone whenever its start finishes.
        void starting.then((value) => stop(value)).catch(() => undefined);
      }
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The part being stopped now and those still to stop (for a shutdown deadline's message). */
  progress(): { current: string | null; remaining: readonly string[] } {
    return { current: this.#current, remaining: [...this.#remaining] };
  }

  /** Stops every part in reverse order (once; later calls wait for the same stop). */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      const failures: Array<{ name: string; error: unknown }> = [];
      const parts = this.#parts.splice(0).reverse();
      this.#remaining = parts.map((p) => p.name);
      for (const part of parts) {
        this.#current = part.name;
        this.#remaining.shift();
        try {
          await part.stop();
        } catch (error) {
          failures.push({ name: part.name, error });
        }
      }
      this.#current = null;
      if (failures.length > 0) {
        throw new StopFailedError(failures);
      }
    })();
    return this.#stopping;
  }

  /**
   * Runs start-up: on failure, stops what started (in reverse) and rethrows the start-up error, with any
   * stop failures attached as its `cause`'s siblings in `unwound`.
   */
  async run<T>(startUp: () => Promise<T>): Promise<T> {
    try {
      return await startUp();
    } catch (error) {
      const unwound = await this.stop().then(
        () => null,
        (failure: unknown) => failure,
      );
      if (unwound !== null && error instanceof Error) {
        (error as Error & { unwound?: unknown }).unwound = unwound;
      }
      throw error;
    }
  }
}
