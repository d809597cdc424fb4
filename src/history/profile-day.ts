import type { BucketObservation } from '../analytics/weekday-profile.ts';
import { bucketStartSecond } from '../analytics/weekday-profile.ts';
import type { ExpiryTag } from '../domain/expiry-tags.ts';
import { IST_OFFSET_MS } from '../domain/ist-time.ts';
import type { ContractRecord } from '../domain/stored-fields.ts';

/** A profile series within an index: one expiry tag at one offset from ATM. */
export const profileKey = (tag: ExpiryTag, offset: number) => `${tag}|${offset}`;

interface Pending {
  timeMs: number;
  call: ContractRecord | null;
  put: ContractRecord | null;
}

const both = (a: number | null | undefined, b: number | null | undefined) => (a == null || b == null ? null : a + b);

/**
 * One stored day's observations for every (tag, offset) series: per bucket, the straddle at the last
 * snapshot in the bucket (call and put of that snapshot's strike at the offset). Rows may come in any
 * order; offsets beyond `maxOffset` and rows without tags are skipped.
 */
export async function observeDay(
  rows: AsyncIterable<ContractRecord> | Iterable<ContractRecord>,
  bucketSeconds: number,
  maxOffset: number,
): Promise<Map<string, Map<number, BucketObservation>>> {
  const latest = new Map<string, Pending>();
  for await (const row of rows) {
    if (row.offset === null || Math.abs(row.offset) > maxOffset || row.expiryTags.length === 0) {
      continue;
    }
    const timeMs = row.timestamp.getTime();
    const bucket = bucketStartSecond(timeMs, bucketSeconds, IST_OFFSET_MS);
    for (const tag of row.expiryTags) {
      const key = `${profileKey(tag, row.offset)}|${bucket}`;
      let pending = latest.get(key);
      if (pending === undefined || timeMs > pending.timeMs) {
        pending = { timeMs, call: null, put: null };
        latest.set(key, pending);
      } else if (timeMs < pending.timeMs) {
        continue;
      }
      if (row.right === 'CE') {
        pending.call = row;
      } else {
        pending.put = row;
      }
    }
  }
  const out = new Map<string, Map<number, BucketObservation>>();
  for (const [key, { call, put }] of latest) {
    const cut = key.lastIndexOf('|');
    const series = key.slice(0, cut);
    const bucket = Number(key.slice(cut + 1));
    const observations = out.get(series) ?? new Map<number, BucketObservation>();
    observations.set(bucket, {
      tp: both(call?.lastPrice, put?.lastPrice),
      avgTp: both(call?.averagePrice, put?.averagePrice),
      ceIv: call?.iv ?? null,
      peIv: put?.iv ?? null,
      oi: both(call?.oi, put?.oi),
      volume: both(call?.volume, put?.volume),
    });
    out.set(series, observations);
  }
  return out;
}
