/**
 * Downsampling and cursor pagination of stored series, shared by `history` and `contractHistory`.
 * Pure: the rows come in sorted by time.
 */
import { IST_OFFSET_MS } from '../domain/ist-time.ts';

export interface Sampled<T> {
  readonly row: T;
  /** Stored observations the bucket held; its row is the last of them. */
  readonly samples: number;
}

/**
 * The last row of each `intervalMs` bucket (buckets aligned on IST midnight, so a day's buckets start at
 * 00:00 IST), or every row with `samples` 1 when `intervalMs` is null.
 */
export function lastPerBucket<T>(
  rows: readonly T[],
  timeMs: (row: T) => number,
  intervalMs: number | null,
): Sampled<T>[] {
  if (intervalMs === null) {
    return rows.map((row) => ({ row, samples: 1 }));
  }
  const out: Sampled<T>[] = [];
  let bucket = Number.NaN;
  for (const row of rows) {
    const b = Math.floor((timeMs(row) + IST_OFFSET_MS) / intervalMs);
    if (b === bucket) {
      const last = out[out.length - 1]!;
      out[out.length - 1] = { row, samples: last.samples + 1 };
    } else {
      out.push({ row, samples: 1 });
      bucket = b;
    }
  }
  return out;
}

export interface Page<T> {
  readonly edges: ReadonlyArray<{ readonly cursor: string; readonly node: T }>;
  readonly pageInfo: {
    readonly hasNextPage: boolean;
    readonly hasPreviousPage: boolean;
    readonly startCursor: string | null;
    readonly endCursor: string | null;
  };
  readonly totalCount: number;
}

export const encodeCursor = (timeMs: number) => Buffer.from(`t:${timeMs}`).toString('base64url');

/** The instant a cursor stands for, or null when it is not one of ours. */
export function decodeCursor(cursor: string): number | null {
  const match = /^t:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  return match === null ? null : Number(match[1]);
}

/** Relay-style forward page: up to `first` nodes after the cursor's instant. */
export function pageAfter<T>(
  nodes: readonly T[],
  timeMs: (node: T) => number,
  first: number,
  afterMs: number | null,
): Page<T> {
  const start = afterMs === null ? 0 : nodes.findIndex((n) => timeMs(n) > afterMs);
  const from = start === -1 ? nodes.length : start;
  const slice = nodes.slice(from, from + first);
  const edges = slice.map((node) => ({ cursor: encodeCursor(timeMs(node)), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: from + first < nodes.length,
      hasPreviousPage: from > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: nodes.length,
  };
}
