import type { IndexSymbol } from '../domain/indices.ts';
import type { ChainSnapshot, IndexSnapshot } from '../domain/snapshot.ts';

/** The latest analysed snapshot per index (and so per index and expiry). No timers, no I/O. */
export interface SnapshotStore {
  put(snapshot: IndexSnapshot): void;
  getIndex(index: IndexSymbol): IndexSnapshot | undefined;
  /** `expiry` null means the nearest open expiry. */
  getChain(index: IndexSymbol, expiry: string | null): ChainSnapshot | undefined;
  list(): IndexSnapshot[];
  /** Grows with every `put`: an answer computed at one version is current until it changes. */
  version(): number;
}

export function createSnapshotStore(): SnapshotStore {
  const latest = new Map<IndexSymbol, IndexSnapshot>();
  let version = 0;
  return {
    put(snapshot) {
      latest.set(snapshot.index, snapshot);
      version += 1;
    },
    version: () => version,
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
