/**
 * The store as readers see it: a day is read from its Parquet files once compacted (plus any CSV files
 * written to it since, a late snapshot), else from its CSV files. Same shapes and order as the CSV reader,
 * so history, straddles, profiles and replay need not know which a day is.
 */
import { join } from 'node:path';
import { constantMaturityIv, IV30_YEARS } from '../analytics/iv-rank.ts';
import type { IndexSymbol } from '../domain/indices.ts';
import type { ContractRecord, OverviewRecord } from '../domain/stored-fields.ts';
import { compactionStateOf, type DayCompactionState } from './compaction-manifest.ts';
import { type ContractKey, type CsvHistory, contractKeyId, createCsvHistory } from './csv-history.ts';
import type { ParquetEngine } from './parquet-engine.ts';
import {
  type ContractField,
  createParquetHistory,
  type OverviewFilter,
  type ParquetHistory,
} from './parquet-history.ts';

export interface StoredHistory extends CsvHistory {
  /**
   * Rows of the requested contracts over several days: compacted days in one query. With `fields`,
   * compacted days decode only those (plus the contract's names and the time); CSV days give whole rows.
   */
  contractsDays(
    index: IndexSymbol,
    days: readonly string[],
    keys: readonly ContractKey[],
    fields?: readonly ContractField[],
  ): Promise<Map<string, ContractRecord[]>>;
  /**
   * Overview rows of several days, filtered (time range, expiry or tag, or each snapshot's nearest
   * expiry), by time then expiry. With `fields`, compacted days decode only those (plus timestamp and
   * expiry): an interactive read of a month need not decode every stored figure.
   */
  overviewDays(
    index: IndexSymbol,
    days: readonly string[],
    filter: OverviewFilter,
    fields?: readonly (keyof OverviewRecord)[],
  ): Promise<Array<Partial<OverviewRecord> & Pick<OverviewRecord, 'timestamp' | 'expiry'>>>;
  /**
   * Decodes and keeps the `history` query's default series (each snapshot's nearest expiry, every
   * field) of the last `dayCount` compacted days, so the first read of a month after start-up or a
   * close is served from memory rather than DuckDB. Days with late CSV rows are left to their read.
   * Returns the days decoded, oldest first.
   */
  warmOverviewSeries(index: IndexSymbol, dayCount: number): Promise<readonly string[]>;
  /** Whether a day is read from Parquet (compacted), for metrics and tests. */
  isCompacted(index: IndexSymbol, day: string): Promise<boolean>;
  close(): Promise<void>;
}

/** The rows `filter` keeps, as the Parquet reader's query does. Rows by time, then expiry. */
export function applyOverviewFilter(rows: readonly OverviewRecord[], filter: OverviewFilter): OverviewRecord[] {
  const inRange = rows.filter((r) => {
    const ms = r.timestamp.getTime();
    return (filter.fromMs === undefined || ms >= filter.fromMs) && (filter.toMs === undefined || ms <= filter.toMs);
  });
  if (filter.expiry !== undefined) {
    return inRange.filter((r) => r.expiry === filter.expiry);
  }
  if (filter.tag !== undefined) {
    const tag = filter.tag;
    return inRange.filter((r) => r.expiryTags.includes(tag));
  }
  if (filter.nearest === true) {
    return inRange.filter((r, i) => i === 0 || inRange[i - 1]!.timestamp.getTime() !== r.timestamp.getTime());
  }
  return inRange;
}

/**
 * A read that raced the day's compaction (its CSV files deleted under it once the Parquet files were
 * committed) is run again: the day then reads from Parquet.
 */
async function racingCompaction<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw error;
    }
    return read();
  }
}

const byTime = <T extends { timestamp: Date }>(rows: T[]): T[] =>
  rows.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());

export function createStoredHistory(options: {
  readonly dataDir: string;
  readonly engine?: ParquetEngine;
  readonly maxCachedDays?: number;
}): StoredHistory {
  const root = join(options.dataDir, 'csv');
  const states = new Map<string, Promise<DayCompactionState>>();
  // Looked up per call: a day folder changes when it is compacted or a late snapshot reopens it.
  const stateOf = (dir: string) => {
    const pending = compactionStateOf(dir);
    states.set(dir, pending);
    return pending;
  };
  const csv = createCsvHistory({
    dataDir: options.dataDir,
    ...(options.maxCachedDays === undefined ? {} : { maxCachedDays: options.maxCachedDays }),
    selectFiles: async (dir, names) => {
      const state = await (states.get(dir) ?? stateOf(dir));
      return state.manifest === null ? names : names.filter((n) => state.pending.includes(n));
    },
  });
  const parquet: ParquetHistory = createParquetHistory({
    dataDir: options.dataDir,
    ...(options.engine === undefined ? {} : { engine: options.engine }),
    ...(options.maxCachedDays === undefined ? {} : { maxCachedDays: options.maxCachedDays }),
  });
  /** The day's state, fresh for this call (and shared with the CSV reader's file selection). */
  const dayState = (index: IndexSymbol, day: string) => stateOf(join(root, index, day));
  const compactedWithPending = async (index: IndexSymbol, day: string) => {
    const state = await dayState(index, day);
    return { compacted: state.manifest !== null, pending: state.pending.length > 0 };
  };

  async function overviewDay(index: IndexSymbol, day: string): Promise<readonly OverviewRecord[]> {
    const { compacted, pending } = await compactedWithPending(index, day);
    if (!compacted) {
      return csv.overviewDay(index, day);
    }
    const stored = await parquet.overviewDay(index, day);
    if (!pending) {
      return stored;
    }
    const seen = new Set(stored.map((r) => `${r.timestamp.getTime()}|${r.expiry}`));
    const late = (await csv.overviewDay(index, day)).filter((r) => !seen.has(`${r.timestamp.getTime()}|${r.expiry}`));
    return [...stored, ...late].sort(
      (a, b) => a.timestamp.getTime() - b.timestamp.getTime() || a.expiry.localeCompare(b.expiry),
    );
  }

  /**
   * Instants of the snapshots a compacted day's Parquet files hold: late CSV rows at these are a snapshot
   * stored again after the compaction, which the next compaction drops too.
   */
  async function heldInstants(index: IndexSymbol, day: string): Promise<ReadonlySet<number>> {
    const recorded = (await parquet.manifest(index, day))?.snapshotTimes;
    return new Set(
      recorded === undefined
        ? (await parquet.overviewDay(index, day)).map((r) => r.timestamp.getTime())
        : recorded.map((iso) => Date.parse(iso)),
    );
  }

  const withoutHeld = <T extends { timestamp: Date }>(rows: readonly T[], held: ReadonlySet<number>) =>
    rows.filter((r) => !held.has(r.timestamp.getTime()));

  /** Parquet rows plus the late CSV rows of a compacted day; the CSV reader alone for the rest. */
  async function both<T extends { timestamp: Date }>(
    index: IndexSymbol,
    day: string,
    fromParquet: () => Promise<readonly T[]>,
    fromCsv: () => Promise<readonly T[]>,
  ): Promise<readonly T[]> {
    const { compacted, pending } = await compactedWithPending(index, day);
    if (!compacted) {
      return fromCsv();
    }
    const stored = await fromParquet();
    if (!pending) {
      return stored;
    }
    const late = await fromCsv();
    return late.length === 0 ? stored : byTime([...stored, ...withoutHeld(late, await heldInstants(index, day))]);
  }

  const api: StoredHistory = {
    days: (index) => csv.days(index),
    overviewDay,
    async closingIv30(index, day, openDay) {
      const { compacted, pending } = await compactedWithPending(index, day);
      if (!compacted) {
        return csv.closingIv30(index, day, openDay);
      }
      if (!pending) {
        return parquet.closingIv30(index, day);
      }
      const rows = await overviewDay(index, day);
      const lastMs = Math.max(...rows.map((r) => r.timestamp.getTime()));
      return constantMaturityIv(
        rows
          .filter((r) => r.timestamp.getTime() === lastMs && r.atmIv !== null)
          .map((r) => ({ timeToExpiryYears: r.timeToExpiryYears, iv: r.atmIv! })),
        IV30_YEARS,
      );
    },
    allContractsDay: (index, day) =>
      both(
        index,
        day,
        () => parquet.allContractsDay(index, day),
        () => csv.allContractsDay(index, day),
      ),
    contractsAt: (index, day, timestamp) =>
      both(
        index,
        day,
        () => parquet.contractsAt(index, day, timestamp),
        () => csv.contractsAt(index, day, timestamp),
      ),
    offsetRowsDay: (index, day, select) =>
      both(
        index,
        day,
        () => parquet.offsetRowsDay(index, day, select),
        () => csv.offsetRowsDay(index, day, select),
      ),
    async contractsDay(index, day, keys) {
      const { compacted, pending } = await compactedWithPending(index, day);
      if (!compacted) {
        return csv.contractsDay(index, day, keys);
      }
      const stored = await parquet.contractsDay(index, day, keys);
      if (pending) {
        const late = await csv.contractsDay(index, day, keys);
        const held = await heldInstants(index, day);
        for (const [id, rows] of late) {
          stored.set(id, byTime([...(stored.get(id) ?? []), ...withoutHeld(rows, held)]));
        }
      }
      return stored;
    },
    async contractsDays(index, days, keys, fields) {
      const found = new Map<string, ContractRecord[]>(keys.map((k) => [contractKeyId(k), []]));
      const compactedDays: string[] = [];
      const csvDays: string[] = [];
      const states = await Promise.all(days.map((day) => compactedWithPending(index, day)));
      days.forEach((day, i) => {
        const { compacted, pending } = states[i]!;
        if (compacted) {
          compactedDays.push(day);
        }
        if (!compacted || pending) {
          csvDays.push(day);
        }
      });
      const add = (rows: Map<string, ContractRecord[]>) => {
        for (const [id, list] of rows) {
          found.get(id)?.push(...list);
        }
      };
      if (compactedDays.length > 0) {
        add(await parquet.contractsDays(index, compactedDays, keys, fields));
      }
      const csvRows = await Promise.all(csvDays.map((day) => csv.contractsDay(index, day, keys)));
      const compactedSet = new Set(compactedDays);
      for (const [i, rows] of csvRows.entries()) {
        const day = csvDays[i]!;
        const held = compactedSet.has(day) ? await heldInstants(index, day) : new Set<number>();
        for (const [id, list] of rows) {
          found.get(id)?.push(...withoutHeld(list, held));
        }
      }
      for (const rows of found.values()) {
        byTime(rows);
      }
      return found;
    },
    async overviewDays(index, days, filter, fields) {
      const compacted: string[] = [];
      const rest: string[] = [];
      const states = await Promise.all(days.map((day) => compactedWithPending(index, day)));
      days.forEach((day, i) => {
        (states[i]!.compacted && !states[i]!.pending ? compacted : rest).push(day);
      });
      const rows: Array<Partial<OverviewRecord> & Pick<OverviewRecord, 'timestamp' | 'expiry'>> = [];
      if (compacted.length > 0) {
        rows.push(...(await parquet.overviewDays(index, compacted, filter, fields)));
      }
      for (const day of rest) {
        const all = await overviewDay(index, day);
        rows.push(...applyOverviewFilter(all, filter));
      }
      return rows.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime() || a.expiry.localeCompare(b.expiry));
    },
    async warmOverviewSeries(index, dayCount) {
      // Newest first, and only as far back as needed: a store holds years of days. A day whose state
      // cannot be read (a damaged manifest) is left to the reads, which report it.
      const days = await csv.days(index);
      const warm: string[] = [];
      for (let i = days.length - 1; i >= 0 && warm.length < dayCount; i--) {
        const state = await compactedWithPending(index, days[i]!).catch(() => null);
        if (state?.compacted === true && !state.pending) {
          warm.unshift(days[i]!);
        }
      }
      if (warm.length > 0) {
        await parquet.overviewDays(index, warm, { nearest: true });
      }
      return warm;
    },
    isCompacted: async (index, day) => (await dayState(index, day)).manifest !== null,
    close: () => parquet.close(),
  };
  return {
    ...api,
    overviewDay: (index, day) => racingCompaction(() => api.overviewDay(index, day)),
    closingIv30: (index, day, openDay) => racingCompaction(() => api.closingIv30(index, day, openDay)),
    allContractsDay: (index, day) => racingCompaction(() => api.allContractsDay(index, day)),
    contractsAt: (index, day, timestamp) => racingCompaction(() => api.contractsAt(index, day, timestamp)),
    offsetRowsDay: (index, day, select) => racingCompaction(() => api.offsetRowsDay(index, day, select)),
    contractsDay: (index, day, keys) => racingCompaction(() => api.contractsDay(index, day, keys)),
    contractsDays: (index, days, keys, fields) => racingCompaction(() => api.contractsDays(index, days, keys, fields)),
    overviewDays: (index, days, filter, fields) =>
      racingCompaction(() => api.overviewDays(index, days, filter, fields)),
  };
}
