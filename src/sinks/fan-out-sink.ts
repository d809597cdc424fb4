import type { IndexSnapshot } from '../domain/snapshot.ts';
import type { SnapshotSink } from './snapshot-sink.ts';

export interface SinkOutcome {
  readonly sink: string;
  readonly ok: boolean;
  readonly durationMs: number;
  readonly error?: unknown;
}

export interface FanOutSink {
  /** Writes to every sink concurrently; never rejects; one outcome per sink. */
  write(snapshot: IndexSnapshot, timeoutMs: number): Promise<SinkOutcome[]>;
  close(): Promise<void>;
  readonly sinkNames: readonly string[];
}

export function createFanOutSink(
  sinks: readonly SnapshotSink[],
  now: () => number = performance.now.bind(performance),
): FanOutSink {
  return {
    sinkNames: sinks.map((s) => s.name),
    async write(snapshot, timeoutMs) {
      return Promise.all(
        sinks.map(async (sink): Promise<SinkOutcome> => {
          const started = now();
          let timer: NodeJS.Timeout | undefined;
          try {
            await Promise.race([
              sink.write(snapshot),
              new Promise<never>((_, reject) => {
                timer = setTimeout(
                  () => reject(new Error(`${sink.name} sink write timed out after ${timeoutMs} ms`)),
                  timeoutMs,
                );
              }),
            ]);
            return { sink: sink.name, ok: true, durationMs: now() - started };
          } catch (error) {
            return { sink: sink.name, ok: false, durationMs: now() - started, error };
          } finally {
            clearTimeout(timer);
          }
        }),
      );
    },
    async close() {
      await Promise.allSettled(sinks.map((s) => s.close()));
    },
  };
}
