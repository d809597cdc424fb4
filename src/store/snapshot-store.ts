import type { IndexSymbol } from '../domain/indices.ts';
import type { ChainSnapshot, IndexSnapshot } from '../domain/snapshot.ts';

/** The latest analysed snapshot per index (and so per index and expiry). No timers, no I/O. */
export interface SnapshotStore {
  put(snapshot: IndexSnapshot): void;
  getIndex(index: IndexSymbol): IndexSnapshot | undefined;
  /** `expiry` null means the nearest open expiry. */
  getChain(index: IndexSymbol, expiry: string | null): ChainSnapshot | undefined;
  list(): IndexSnapshot[];
}

export function createSnapshotStore(): SnapshotStore {
  const latest = new Map<IndexSymbol, IndexSnapshot>();
  return {
    put(snapshot) {
      latest.set(snapshot.index, snapshot);
    },
    getIndex(index) {
      return latest.get(index);
    },
    getChain(index, expiry) {
      const snapshot = latest.get(index);
      if (snapshot === undefined) {
        return undefined;
      }
      return expiry === null ? snapshot.chains[0] : snapshot.chains.find((c) => c.expiry === expiry);
    },
    list() {
      return [...latest.values()];
    },
  };
}
