import type { ObjectRef } from '@pothos/core';
import { GraphQLError } from 'graphql';
import { ERROR_CODES } from '../domain/errors.ts';
import type { ExpiryTag } from '../domain/expiry-tags.ts';
import { INDEX_SYMBOLS, type IndexSymbol } from '../domain/indices.ts';
import { addDays, toIstCompactDate, toIstDateString } from '../domain/ist-time.ts';
import { type ContractRecord, OPTIONS_FIELDS, OVERVIEW_FIELDS, type OverviewRecord } from '../domain/stored-fields.ts';
import type { ContractKey } from '../history/csv-history.ts';
import { decodeCursor, lastPerBucket, type Page, pageAfter, type Sampled } from '../history/history-page.ts';
import type { ContractField } from '../history/parquet-history.ts';
import { applyOverviewFilter, type StoredHistory } from '../history/stored-history.ts';
import { builder } from './builder.ts';
import type { GraphQLContext } from './context.ts';
import { ExpiryTagEnum, IndexSymbolEnum, OptionRightEnum } from './enums.ts';
import type { ContractDayKey, HistoryLoaders } from './history-loaders.ts';
import { requireOneExpiry } from './inputs.ts';
import { requestedFieldsAt } from './requested-fields.ts';
import { storedFieldsOf } from './stored-field-types.ts';

export const MAX_HISTORY_PAGE = 1000;
export const MAX_HISTORY_RANGE_DAYS = 400;

const PageInfoRef = builder.objectRef<Page<unknown>['pageInfo']>('PageInfo').implement({
  description: 'Relay cursor-connection page information.',
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    hasPreviousPage: t.exposeBoolean('hasPreviousPage'),
    startCursor: t.exposeString('startCursor', { nullable: true }),
    endCursor: t.exposeString('endCursor', { nullable: true }),
  }),
});

const OverviewHistoryPointRef = builder.objectRef<Sampled<OverviewRecord>>('OverviewHistoryPoint').implement({
  description:
    'Chain-level figures of one index and expiry as stored at one snapshot (the last snapshot of its interval when downsampled).',
  fields: (t) =>
    ({
      samples: t.int({ description: 'Stored snapshots in the interval this point closes.', resolve: (p) => p.samples }),
      ...storedFieldsOf<Sampled<OverviewRecord>>(t as never, OVERVIEW_FIELDS, (p) => p.row),
    }) as never,
});

const ContractHistoryPointRef = builder.objectRef<Sampled<ContractRecord>>('ContractHistoryPoint').implement({
  description: "One contract's quote and analytics as stored at one snapshot.",
  fields: (t) =>
    ({
      samples: t.int({ description: 'Stored snapshots in the interval this point closes.', resolve: (p) => p.samples }),
      ...storedFieldsOf<Sampled<ContractRecord>>(t as never, OPTIONS_FIELDS, (p) => p.row),
    }) as never,
});

/** A Relay connection type over sampled points, with its edge type (`<name>Edge`, `<name>Connection`). */
function connectionOf<T>(name: string, nodeRef: ObjectRef<(typeof builder)['$inferSchemaTypes'], Sampled<T>>) {
  const edge = builder.objectRef<Page<Sampled<T>>['edges'][number]>(`${name}Edge`).implement({
    fields: (t) => ({
      cursor: t.exposeString('cursor'),
      node: t.field({ type: nodeRef, resolve: (e) => e.node }),
    }),
  });
  return builder.objectRef<Page<Sampled<T>>>(`${name}Connection`).implement({
    fields: (t) => ({
      edges: t.field({ type: [edge], resolve: (c) => [...c.edges] }),
      pageInfo: t.field({ type: PageInfoRef, resolve: (c) => c.pageInfo }),
      totalCount: t.int({
        description: 'Points in the whole range (after downsampling).',
        resolve: (c) => c.totalCount,
      }),
    }),
  });
}

const OverviewHistoryConnectionRef = connectionOf<OverviewRecord>('OverviewHistory', OverviewHistoryPointRef);
const ContractHistoryConnectionRef = connectionOf<ContractRecord>('ContractHistory', ContractHistoryPointRef);

/** Rows of the loaded days inside [from, to]; a failed day load fails the field. */
function inRange<T extends { timestamp: Date }>(loaded: ReadonlyArray<readonly T[] | Error>, range: Range): T[] {
  return loaded.flat().filter((r): r is T => {
    if (r instanceof Error) {
      throw r;
    }
    const ms = r.timestamp.getTime();
    return ms >= range.fromMs && ms <= range.toMs;
  });
}

const badInput = (message: string, argument: string) =>
  new GraphQLError(message, { extensions: { code: ERROR_CODES.BAD_USER_INPUT, argument } });

export function requireHistory(ctx: GraphQLContext): HistoryLoaders {
  if (ctx.history === null) {
    throw new GraphQLError(
      ctx.historyUnavailableReason ??
        'history is read from the CSV store, which this server does not keep (G6_ENABLE_CSV=false)',
      { extensions: { code: ERROR_CODES.HISTORY_UNAVAILABLE } },
    );
  }
  return ctx.history;
}

interface RangeArgs {
  readonly from: Date;
  readonly to: Date;
  readonly intervalSeconds?: number | null;
  readonly first?: number | null;
  readonly after?: string | null;
}

interface Range {
  readonly fromMs: number;
  readonly toMs: number;
  readonly intervalMs: number | null;
  readonly first: number;
  readonly afterMs: number | null;
}

/** `from`/`to` in order and at most `maxDays` apart, and `intervalSeconds` 1 to 86,400 when given. */
export function validateTimeRange(
  args: Pick<RangeArgs, 'from' | 'to' | 'intervalSeconds'>,
  maxDays: number,
): Pick<Range, 'fromMs' | 'toMs' | 'intervalMs'> {
  const fromMs = args.from.getTime();
  const toMs = args.to.getTime();
  if (fromMs > toMs) {
    throw badInput('from must not be after to', 'from');
  }
  if (toMs - fromMs > maxDays * 86_400_000) {
    throw badInput(`the range may span at most ${maxDays} days`, 'to');
  }
  const interval = args.intervalSeconds ?? null;
  if (interval !== null && (!Number.isInteger(interval) || interval < 1 || interval > 86_400)) {
    throw badInput('intervalSeconds must be a whole number from 1 to 86400', 'intervalSeconds');
  }
  return { fromMs, toMs, intervalMs: interval === null ? null : interval * 1000 };
}

function validateRange(args: RangeArgs): Range {
  const times = validateTimeRange(args, MAX_HISTORY_RANGE_DAYS);
  const first = args.first ?? 100;
  if (!Number.isInteger(first) || first < 1 || first > MAX_HISTORY_PAGE) {
    throw badInput(`first must be a whole number from 1 to ${MAX_HISTORY_PAGE}`, 'first');
  }
  const afterMs = args.after == null ? null : decodeCursor(args.after);
  if (args.after != null && afterMs === null) {
    throw badInput('after is not a cursor from this connection', 'after');
  }
  return { ...times, first, afterMs };
}

/** Stored IST days of the index that overlap [from, to]. */
async function daysIn(loaders: HistoryLoaders, index: IndexSymbol, range: Range): Promise<string[]> {
  const first = toIstCompactDate(new Date(range.fromMs));
  const last = toIstCompactDate(new Date(range.toMs));
  return (await loaders.source.days(index)).filter((d) => d >= first && d <= last);
}

/** The range and paging arguments both history fields take. */
const rangeArgs = builder.args((t) => ({
  from: t.field({ type: 'DateTime', required: true }),
  to: t.field({ type: 'DateTime', required: true }),
  intervalSeconds: t.int(),
  first: t.int({ description: `Page size, 1 to ${MAX_HISTORY_PAGE} (default 100).` }),
  after: t.string({ description: 'endCursor of the previous page.' }),
}));

builder.queryField('history', (t) =>
  t.field({
    type: OverviewHistoryConnectionRef,
    description:
      'Stored chain-level history of one index (PCR, max pain, ATM IV, spot, sentiment…), oldest first, from the CSV store. Without `expiry`, each snapshot contributes its nearest expiry (a rolling front-month series). `intervalSeconds` keeps the last snapshot of each interval (aligned on IST midnight).',
    args: {
      index: t.arg({ type: IndexSymbolEnum, required: true }),
      expiry: t.arg({ type: 'Date' }),
      expiryTag: t.arg({
        type: ExpiryTagEnum,
        description:
          'A rolling series by role: each snapshot contributes the expiry the tag named at that snapshot (as stored). Not with `expiry`.',
      }),
      ...rangeArgs,
    },
    resolve: async (_root, args, ctx, info) => {
      const loaders = requireHistory(ctx);
      const range = validateRange(args);
      const tag = requireOneExpiry(args.expiry, args.expiryTag);
      const days = await daysIn(loaders, args.index, range);
      const filter = {
        fromMs: range.fromMs,
        toMs: range.toMs,
        ...(args.expiry != null ? { expiry: args.expiry } : tag !== null ? { tag } : { nearest: true }),
      };
      let series: OverviewRecord[];
      const source = loaders.source as Partial<StoredHistory>;
      if (source.overviewDays !== undefined) {
        // Only the figures the operation selects are decoded from compacted days.
        const selected = requestedFieldsAt(info, ['edges', 'node']);
        const fields =
          selected === null ? undefined : OVERVIEW_FIELDS.map((f) => f.key).filter((key) => selected.has(key));
        series = (await source.overviewDays(args.index, days, filter, fields)) as OverviewRecord[];
      } else {
        const rows = (await loaders.overviewDay.loadMany(days.map((day) => ({ index: args.index, day })))).flatMap(
          (r) => {
            if (r instanceof Error) {
              throw r;
            }
            return r;
          },
        );
        series = applyOverviewFilter(rows, filter);
      }
      const sampled = lastPerBucket(series, (r) => r.timestamp.getTime(), range.intervalMs);
      return pageAfter(sampled, (p) => p.row.timestamp.getTime(), range.first, range.afterMs);
    },
  }),
);

/** The index a tradingsymbol belongs to: the longest index name it starts with (BANKNIFTY before NIFTY). */
function indexOfSymbol(tradingsymbol: string): IndexSymbol | undefined {
  return [...INDEX_SYMBOLS].sort((a, b) => b.length - a.length).find((i) => tradingsymbol.startsWith(i));
}

builder.queryField('contractHistory', (t) =>
  t.field({
    type: ContractHistoryConnectionRef,
    description:
      'Stored history of one contract, oldest first: by `tradingsymbol`, or by `index`, `expiry` (or `expiryTag`), `strike` and `right`. With `expiryTag` the series rolls: at each snapshot, the contract of the expiry that carried the tag then. Several in one operation share one read per day (compacted days: one query).',
    args: {
      tradingsymbol: t.arg.string(),
      index: t.arg({ type: IndexSymbolEnum }),
      expiry: t.arg({ type: 'Date' }),
      expiryTag: t.arg({ type: ExpiryTagEnum, description: 'In place of `expiry`: a rolling contract by role.' }),
      strike: t.arg.float(),
      right: t.arg({ type: OptionRightEnum }),
      ...rangeArgs,
    },
    resolve: async (_root, args, ctx, info) => {
      const loaders = requireHistory(ctx);
      const range = validateRange(args);
      const tag = requireOneExpiry(args.expiry, args.expiryTag);
      // Only the figures the operation selects are decoded from compacted days.
      const selected = requestedFieldsAt(info, ['edges', 'node']);
      const fields =
        selected === null ? undefined : OPTIONS_FIELDS.map((f) => f.key).filter((key) => selected.has(key));
      if (tag !== null) {
        if (args.index == null || args.strike == null || args.right == null) {
          throw badInput('with expiryTag, give index, strike and right', 'expiryTag');
        }
        const rows = await rollingContractRows(loaders, args.index, tag, args.strike, args.right, range, fields);
        const sampled = lastPerBucket(rows, (r) => r.timestamp.getTime(), range.intervalMs);
        return pageAfter(sampled, (p) => p.row.timestamp.getTime(), range.first, range.afterMs);
      }
      let index: IndexSymbol;
      let contract: ContractKey;
      if (args.tradingsymbol != null) {
        const found = args.index ?? indexOfSymbol(args.tradingsymbol);
        if (found === undefined) {
          throw badInput(`${args.tradingsymbol} does not start with an index name; pass index too`, 'tradingsymbol');
        }
        index = found;
        contract = { tradingsymbol: args.tradingsymbol };
      } else if (args.index != null && args.expiry != null && args.strike != null && args.right != null) {
        index = args.index;
        contract = { expiry: args.expiry, strike: args.strike, right: args.right };
      } else {
        throw badInput('give tradingsymbol, or index, expiry, strike and right', 'tradingsymbol');
      }
      const days = await daysIn(loaders, index, range);
      const rows = inRange(
        await loaders.contractDay.loadMany(days.map((day) => ({ index, day, contract, fields }))),
        range,
      );
      const sampled = lastPerBucket(rows, (r) => r.timestamp.getTime(), range.intervalMs);
      return pageAfter(sampled, (p) => p.row.timestamp.getTime(), range.first, range.afterMs);
    },
  }),
);

/**
 * A contract by role: for each stored snapshot, the row at `strike`/`right` of the expiry whose overview
 * row carried `tag` at that snapshot (the tag moves to the next expiry after a cut-off).
 */
async function rollingContractRows(
  loaders: HistoryLoaders,
  index: IndexSymbol,
  tag: ExpiryTag,
  strike: number,
  right: 'CE' | 'PE',
  range: Range,
  fields: readonly ContractField[] | undefined,
): Promise<ContractRecord[]> {
  const days = await daysIn(loaders, index, range);
  const overview = await loaders.overviewDay.loadMany(days.map((day) => ({ index, day })));
  // Per day, the expiry the tag named at each snapshot time.
  const keys: ContractDayKey[] = [];
  const named = new Map<number, string>();
  days.forEach((day, i) => {
    const rows = overview[i];
    if (rows instanceof Error) {
      throw rows;
    }
    const expiries = new Set<string>();
    for (const row of rows ?? []) {
      if (row.expiryTags.includes(tag)) {
        named.set(row.timestamp.getTime(), row.expiry);
        expiries.add(row.expiry);
      }
    }
    for (const expiry of expiries) {
      keys.push({ index, day, contract: { expiry, strike, right }, fields });
    }
  });
  const rows = inRange(await loaders.contractDay.loadMany(keys), range);
  return rows
    .filter((r) => named.get(r.timestamp.getTime()) === r.expiry)
    .sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
}

/** Daily closing IV30 of the stored days before the snapshot's day, within a year. */
export async function ivHistory(ctx: GraphQLContext, index: IndexSymbol, asOf: Date): Promise<number[]> {
  if (ctx.history === null) {
    return [];
  }
  const today = toIstDateString(asOf);
  const openDay = today.replaceAll('-', '');
  const earliest = addDays(today, -365).replaceAll('-', '');
  const days = (await ctx.history.source.days(index)).filter((d) => d >= earliest && d < openDay);
  const closes = await ctx.history.closingIv30.loadMany(days.map((day) => ({ index, day, openDay })));
  return closes.filter((c): c is number => typeof c === 'number');
}
