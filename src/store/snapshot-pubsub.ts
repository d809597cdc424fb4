import type { IndexSymbol } from '../domain/indices.ts';
import type { IndexSnapshot } from '../domain/snapshot.ts';
import { createLatestValuePubSub, type LatestValuePubSub } from './latest-value-pubsub.ts';

export interface SnapshotPubSubHooks {
  /** A subscriber had not taken the previous snapshot when a newer one replaced it. */
  onConflated?(index: IndexSymbol): void;
}

/** Snapshots by index, newest wins (see LatestValuePubSub). */
export type SnapshotPubSub = LatestValuePubSub<IndexSymbol, IndexSnapshot>;

export function createSnapshotPubSub(hooks: SnapshotPubSubHooks = {}): SnapshotPubSub {
  return createLatestValuePubSub<IndexSymbol, IndexSnapshot>((snapshot) => snapshot.index, hooks.onConflated);
}
