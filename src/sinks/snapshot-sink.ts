import type { IndexSnapshot } from '../domain/snapshot.ts';

export interface SinkHealth {
  /** False while writes fail (disk full, database unreachable); the sink keeps what it accepted. */
  readonly up: boolean;
  /** Why it is down, and what it holds for retry (empty when up). */
  readonly problems: readonly string[];
}

/** Where accepted snapshots are persisted. `write` resolves once the snapshot is durable. */
export interface SnapshotSink {
  readonly name: string;
  /** Recovery and housekeeping before the first write (torn files, spool replay, compression). */
  start?(): Promise<void>;
  write(snapshot: IndexSnapshot): Promise<void>;
  health?(): SinkHealth;
  /** Flushes and releases files/sockets. */
  close(): Promise<void>;
}

/** A write that failed but is not lost: the sink holds the snapshot and writes it once it can. */
export class HeldForRetryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HeldForRetryError';
  }
}
