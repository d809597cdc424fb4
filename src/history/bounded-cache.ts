/**
 * A least-recently-used map bounded both by entries and by the rows its values hold: decoded history
 * is kept to spare the next read, and one long day (or a short interval) must not let it grow without
 * bound. A value larger than the row bound is not kept.
 */
/**
 * Overview rows a history reader keeps decoded (≈ 160 MB at ≈ 670 bytes a record): 45 NIFTY days of
 * 7 expiries at 30 s, more than a chart's range.
 */
export const DEFAULT_MAX_CACHED_ROWS = 240_000;

export interface BoundedCache<V> {
  /** The value, now the most recently used. */
  get(key: string): V | undefined;
  set(key: string, value: V): void;
  clear(): void;
  /** Rows held, for tests and metrics. */
  readonly rows: number;
  readonly size: number;
}

export function createBoundedCache<V>(options: {
  readonly maxEntries: number;
  readonly maxRows: number;
  readonly rowsOf: (value: V) => number;
}): BoundedCache<V> {
  const entries = new Map<string, { readonly value: V; readonly rows: number }>();
  let rows = 0;
  const remove = (key: string) => {
    const old = entries.get(key);
    if (old !== undefined) {
      entries.delete(key);
      rows -= old.rows;
    }
  };
  return {
    get(key) {
      const hit = entries.get(key);
      if (hit === undefined) {
        return undefined;
      }
      entries.delete(key);
      entries.set(key, hit);
      return hit.value;
    },
    set(key, value) {
      remove(key);
      const count = options.rowsOf(value);
      if (count > options.maxRows || options.maxEntries < 1) {
        return;
      }
      entries.set(key, { value, rows: count });
      rows += count;
      for (const oldest of entries.keys()) {
        if (rows <= options.maxRows && entries.size <= options.maxEntries) {
          break;
        }
        remove(oldest);
      }
    },
    clear() {
      entries.clear();
      rows = 0;
    },
    get rows() {
      return rows;
    },
    get size() {
      return entries.size;
    },
  };
}
