import { type StraddlePoint, straddlePoint } from '../analytics/straddle.ts';
import type { ContractRecord } from '../domain/stored-fields.ts';

/**
 * Stored contract rows (one expiry, some offsets) paired into straddle points: per snapshot and offset,
 * the call and put of the strike that was at that offset then. Sorted by time, then offset.
 */
export function straddleSeries(rows: readonly ContractRecord[]): StraddlePoint[] {
  const groups = new Map<string, { call: ContractRecord | null; put: ContractRecord | null; first: ContractRecord }>();
  for (const row of rows) {
    if (row.offset === null) {
      continue;
    }
    const key = `${row.timestamp.getTime()}|${row.offset}`;
    const group = groups.get(key) ?? { call: null, put: null, first: row };
    if (row.right === 'CE') {
      group.call = row;
    } else {
      group.put = row;
    }
    groups.set(key, group);
  }
  const leg = (r: ContractRecord | null) =>
    r === null ? null : { lastPrice: r.lastPrice, averagePrice: r.averagePrice, iv: r.iv };
  return [...groups.values()]
    .map(({ call, put, first }) =>
      straddlePoint({
        timestamp: first.timestamp,
        expiry: first.expiry,
        expiryTags: first.expiryTags,
        strike: first.strike,
        offset: first.offset!,
        spot: first.spot,
        call: leg(call),
        put: leg(put),
      }),
    )
    .sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime() || a.offset - b.offset);
}
