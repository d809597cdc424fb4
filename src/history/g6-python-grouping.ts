/**
 * Rows of the Python G6's day files (every expiry tag and offset file of one index and day) regrouped into
 * what a provider would have returned: one IndexMarketData per collection cycle. Pure. Nothing is filled
 * in: bid and ask are null, depth 0, tokens and trade times null; a row that cannot be placed without a
 * choice the file does not make (two values for one contract, two index levels for one cycle) is counted,
 * not resolved.
 */
import { segmentOf } from '../domain/calendar/calendar-data.ts';
import type { ExchangeCalendar } from '../domain/calendar/exchange-calendar.ts';
import type { ExpiryKind } from '../domain/expiry-calendar.ts';
import type { ExpiryTag } from '../domain/expiry-tags.ts';
import { INDEX_SPECS, type IndexSymbol } from '../domain/indices.ts';
import { addDays, toIstDateString } from '../domain/ist-time.ts';
import { toOptionTradingSymbol } from '../domain/kite-tradingsymbol.ts';
import type { ExpiryQuotes, IndexMarketData, OptionQuote, StrikeQuotes } from '../domain/market-data.ts';
import type { G6PythonLeg, G6PythonRow, SkipReason } from './g6-python-rows.ts';

/**
 * MONTHLY when no expiry of the same weekday can follow it in its month (the date a week on is in a later
 * month): the exchanges' rule, and the Python G6's (`last_in_month`). Not INDEX_SPECS' weekday, which is
 * today's: NSE moved NIFTY's expiries from Thursday to Tuesday and BSE SENSEX's from Tuesday to Thursday
 * in September 2025, and Python G6 files are from before and after. An expiry moved back by a holiday keeps
 * its kind (its week-on date is still in the same month, or not, as the holiday-free one's).
 */
export function expiryKindOf(expiry: string): ExpiryKind {
  return addDays(expiry, 7).slice(0, 7) === expiry.slice(0, 7) ? 'WEEKLY' : 'MONTHLY';
}

const monthAfter = (month: string) => addDays(`${month}-28`, 7).slice(0, 7);

/**
 * The tags G6 gives the expiries of a snapshot (`native`, over the expiries it sees) that the Python files
 * prove right, where the import may not see every listed expiry (the Python G6 collects the tags it is
 * configured for). A tag is kept when:
 * - THIS_WEEK / NEXT_WEEK: the Python file filed the expiry under this_week / next_week (the same rule:
 *   nearest, second nearest listed expiry);
 * - THIS_MONTH: the expiry is in the snapshot's own month (it can only be that month's monthly), or in the
 *   next month while the Python this_month names an expiry past this month (its rule falls back so once
 *   the month has no expiry left);
 * - NEXT_MONTH: a kept THIS_MONTH is in the month just before it.
 * Pure; the dropped ones are counted by the caller.
 */
export function provenExpiryTags(
  observedAt: Date,
  native: ReadonlyMap<string, readonly ExpiryTag[]>,
  python: ReadonlyMap<string, ReadonlySet<ExpiryTag>>,
): Map<string, ExpiryTag[]> {
  const month = toIstDateString(observedAt).slice(0, 7);
  const monthPassed = [...python].some(([expiry, tags]) => tags.has('THIS_MONTH') && expiry.slice(0, 7) !== month);
  const proven = new Map<string, ExpiryTag[]>();
  let thisMonth: string | null = null;
  for (const [expiry, tags] of native) {
    const filed = python.get(expiry);
    const keep = tags.filter((tag) => {
      if (tag === 'THIS_WEEK' || tag === 'NEXT_WEEK') {
        return filed?.has(tag) === true;
      }
      if (tag === 'THIS_MONTH') {
        return expiry.slice(0, 7) === month || (monthPassed && expiry.slice(0, 7) === monthAfter(month));
      }
      // NEXT_MONTH: checked against the kept THIS_MONTH below.
      return true;
    });
    if (keep.includes('THIS_MONTH')) {
      thisMonth = expiry;
    }
    proven.set(expiry, keep);
  }
  for (const [expiry, tags] of proven) {
    if (
      tags.includes('NEXT_MONTH') &&
      (thisMonth === null || expiry.slice(0, 7) !== monthAfter(thisMonth.slice(0, 7)))
    ) {
      proven.set(
        expiry,
        tags.filter((t) => t !== 'NEXT_MONTH'),
      );
    }
  }
  return proven;
}

export interface GroupingOptions {
  /** 0: one snapshot per distinct timestamp. N: one per N-second window (aligned to the epoch), stamped with its start. */
  readonly groupSeconds: number;
  readonly calendar: ExchangeCalendar;
}

/** One snapshot to build: the provider data, and what the Python files said beside it. */
export interface SnapshotPlan {
  readonly data: IndexMarketData;
  /** Per expiry, the tags its rows were filed under. */
  readonly pythonTags: ReadonlyMap<string, ReadonlySet<ExpiryTag>>;
  /** Per `expiry|strike`, the row the quotes came from (its IVs are compared with G6's). */
  readonly sources: ReadonlyMap<string, G6PythonRow>;
  /** Rows behind this snapshot, identical duplicates included. */
  readonly rows: number;
  /** Rows behind each expiry (identical duplicates included). */
  readonly rowsByExpiry: ReadonlyMap<string, number>;
  /** Of `rows`, those identical to another of the same expiry and strike (one contract filed under two tags). */
  readonly merged: number;
}

export interface GroupingResult {
  /** In time order. */
  readonly plans: readonly SnapshotPlan[];
  readonly skipped: ReadonlyMap<SkipReason, number>;
}

export const sourceKey = (expiry: string, strike: number) => `${expiry}|${strike}`;

const sameLeg = (a: G6PythonLeg | null, b: G6PythonLeg | null) =>
  a === b ||
  (a !== null &&
    b !== null &&
    a.lastPrice === b.lastPrice &&
    a.averagePrice === b.averagePrice &&
    a.volume === b.volume &&
    a.oi === b.oi);

/** Same imported values (the IVs and the tag are not imported, and do not count). */
const sameValues = (a: G6PythonRow, b: G6PythonRow) =>
  a.spot === b.spot && sameLeg(a.call, b.call) && sameLeg(a.put, b.put);

function toQuote(
  index: IndexSymbol,
  expiry: string,
  kind: ExpiryKind,
  strike: number,
  right: 'CE' | 'PE',
  leg: G6PythonLeg | null,
): OptionQuote | null {
  if (leg === null) {
    return null;
  }
  return {
    tradingsymbol: toOptionTradingSymbol(index, expiry, kind, strike, right),
    instrumentToken: null,
    lastPrice: leg.lastPrice,
    bid: null,
    ask: null,
    bidQuantity: 0,
    askQuantity: 0,
    volume: leg.volume,
    oi: leg.oi,
    averagePrice: leg.averagePrice,
    lastTradeTime: null,
  };
}

interface Entry {
  readonly row: G6PythonRow;
  count: number;
  conflict: boolean;
  readonly tags: Set<ExpiryTag>;
}

/** Groups one index's rows of one day (any order) into snapshots. */
export function groupG6PythonDay(
  index: IndexSymbol,
  rows: readonly G6PythonRow[],
  options: GroupingOptions,
): GroupingResult {
  const skipped = new Map<SkipReason, number>();
  const skip = (reason: SkipReason, count: number) => {
    if (count > 0) {
      skipped.set(reason, (skipped.get(reason) ?? 0) + count);
    }
  };
  const windowMs = options.groupSeconds * 1000;
  const buckets = new Map<number, Map<string, Entry>>();
  for (const row of rows) {
    const t = row.observedAt.getTime();
    const at = windowMs > 0 ? Math.floor(t / windowMs) * windowMs : t;
    let bucket = buckets.get(at);
    if (bucket === undefined) {
      bucket = new Map();
      buckets.set(at, bucket);
    }
    const key = sourceKey(row.expiry, row.strike);
    const entry = bucket.get(key);
    if (entry === undefined) {
      bucket.set(key, { row, count: 1, conflict: false, tags: new Set([row.tag]) });
    } else {
      entry.count += 1;
      entry.tags.add(row.tag);
      entry.conflict ||= !sameValues(entry.row, row);
    }
  }

  const segment = segmentOf(INDEX_SPECS[index]);
  const plans: SnapshotPlan[] = [];
  for (const at of [...buckets.keys()].sort((a, b) => a - b)) {
    const observedAt = new Date(at);
    const entries = [...buckets.get(at)!.values()];
    const kept: Entry[] = [];
    for (const entry of entries) {
      if (entry.conflict) {
        skip('conflicting-duplicate', entry.count);
      } else {
        kept.push(entry);
      }
    }
    const total = (list: readonly Entry[]) => list.reduce((n, e) => n + e.count, 0);
    if (new Set(kept.map((e) => e.row.spot)).size > 1) {
      skip('conflicting-spot', total(kept));
      continue;
    }
    const byExpiry = new Map<string, Entry[]>();
    for (const entry of kept) {
      const list = byExpiry.get(entry.row.expiry) ?? [];
      list.push(entry);
      byExpiry.set(entry.row.expiry, list);
    }
    const expiries: ExpiryQuotes[] = [];
    const pythonTags = new Map<string, Set<ExpiryTag>>();
    const sources = new Map<string, G6PythonRow>();
    const rowsByExpiry = new Map<string, number>();
    let merged = 0;
    for (const expiry of [...byExpiry.keys()].sort()) {
      const list = byExpiry.get(expiry)!;
      // A chain the pipeline would drop (no time left) is counted here rather than lost there.
      if (options.calendar.expiryCutoff(segment, expiry).getTime() <= at) {
        skip('expired', total(list));
        continue;
      }
      const kind = expiryKindOf(expiry);
      list.sort((a, b) => a.row.strike - b.row.strike);
      const strikes: StrikeQuotes[] = list.map(({ row }) => ({
        strike: row.strike,
        call: toQuote(index, expiry, kind, row.strike, 'CE', row.call),
        put: toQuote(index, expiry, kind, row.strike, 'PE', row.put),
      }));
      expiries.push({ expiry, kind, strikes });
      pythonTags.set(expiry, new Set(list.flatMap((e) => [...e.tags])));
      for (const entry of list) {
        sources.set(sourceKey(expiry, entry.row.strike), entry.row);
        merged += entry.count - 1;
      }
      rowsByExpiry.set(expiry, total(list));
    }
    if (expiries.length === 0) {
      continue;
    }
    const spot = kept[0]!.row.spot;
    plans.push({
      data: { index, observedAt, spot, spotDay: null, expiries },
      pythonTags,
      sources,
      rows: [...rowsByExpiry.values()].reduce((a, b) => a + b, 0),
      rowsByExpiry,
      merged,
    });
  }
  return { plans, skipped };
}
