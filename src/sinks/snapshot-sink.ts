import type { IndexSnapshot } from '../domain/snapshot.ts';

/** Where accepted snapshots are persisted. `write` resolves once the snapshot is durable. */
export interface SnapshotSink {
  readonly name: string;
  write(snapshot: IndexSnapshot): Promise<void>;
  /** Flushes and releases files/sockets. */
  close(): Promise<void>;
}
