/**
 * Reads compacted days (src/history/day-compaction.ts) with DuckDB: the shapes of `CsvHistory`, the same
 * records, in the same order. Filters go into the SQL, so DuckDB skips the row groups whose statistics
 * rule them out (options files are sorted by contract, then time) and decodes only the columns of the
 * rows it keeps; days are read in one statement over their files. A day that is not compacted reads as
 * empty here: the CSV history covers it.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { constantMaturityIv, IV30_YEARS } from '../analytics/iv-rank.ts';
import type { ExpiryTag } from '../domain/expiry-tags.ts';
import type { IndexSymbol } from '../domain/indices.ts';
import { toIstCompactDate } from '../domain/ist-time.ts';
import type { ContractRecord, OverviewRecord } from '../domain/stored-fields.ts';
import { createBoundedCache, DEFAULT_MAX_CACHED_ROWS } from './bounded-cache.ts';
import { type CompactionManifest, MANIFEST_FILE, readManifest } from './compaction-manifest.ts';
import type { ContractKey, OffsetSelection } from './csv-history.ts';
import { contractKeyId } from './csv-history.ts';
import { createParquetEngine, type ParquetEngine, type ParquetEngineOptions } from './parquet-engine.ts';
import { queryRecords, recordProjector, recordReader } from './parquet-records.ts';
import { PARQUET_COLUMNS, type ParquetColumn, type StoredTable, sqlIdent, sqlString } from './parquet-schema.ts';

/** Which overview rows `overviewDays` keeps (all of them by default). */
export interface OverviewFilter {
  /** Inclusive bounds on the snapshot time. */
  readonly fromMs?: number;
  readonly toMs?: number;
  /** One expiry (`YYYY-MM-DD`). */
  readonly expiry?: string;
  /** Rows whose expiry carried this tag when stored. */
  readonly tag?: ExpiryTag;
  /** Only the nearest expiry of each snapshot (the rolling front-month series). */
  readonly nearest?: boolean;
}

export interface ParquetHistory {
  /** Compacted days of an index (`YYYYMMDD`), oldest first. */
  days(index: IndexSymbol): Promise<string[]>;
  /** The day's committed manifest, or null when the day is not compacted. */
  manifest(index: IndexSymbol, day: string): Promise<CompactionManifest | null>;
  /** Every overview row of a day, by time then expiry; kept decoded (a compacted day never changes). */
  overviewDay(index: IndexSymbol, day: string): Promise<readonly OverviewRecord[]>;
  /**
   * Overview rows of several days in one query, by time then expiry, filtered in the query. `fields`
   * decodes only those fields (plus `timestamp` and `expiry`): each field costs decoding on every row.
   */
  overviewDays<K extends OverviewKey = OverviewKey>(
    index: IndexSymbol,
    days: readonly string[],
    filter?: OverviewFilter,
    fields?: readonly K[],
  ): Promise<Array<Pick<OverviewRecord, K | 'timestamp' | 'expiry'>>>;
  /** As `CsvHistory.closingIv30` for a compacted day (the day is closed, so no open-day argument). */
  closingIv30(index: IndexSymbol, day: string): Promise<number | null>;
  /** Every contract row of a day, by time (then expiry, strike, right). */
  allContractsDay(index: IndexSymbol, day: string): Promise<readonly ContractRecord[]>;
  /** The contract rows of one stored snapshot. */
  contractsAt(index: IndexSymbol, day: string, timestamp: Date): Promise<readonly ContractRecord[]>;
  offsetRowsDay(index: IndexSymbol, day: string, select: OffsetSelection): Promise<readonly ContractRecord[]>;
  /** Rows of the requested contracts in a day, by `contractKeyId`, each list by time. */
  contractsDay(index: IndexSymbol, day: string, keys: readonly ContractKey[]): Promise<Map<string, ContractRecord[]>>;
  /**
   * The same over several days in one query. With `fields`, only those are decoded (plus what names the
   * contract and the time): rows then carry just those keys.
   */
  contractsDays(
    index: IndexSymbol,
    days: readonly string[],
    keys: readonly ContractKey[],
    fields?: readonly ContractField[],
  ): Promise<Map<string, ContractRecord[]>>;
  /** Closes the DuckDB instance when this reader opened it. */
  close(): Promise<void>;
}

export type OverviewKey = keyof OverviewRecord;
export type ContractField = keyof ContractRecord;

/** What routes a contract row to the keys that asked for it: always decoded. */
const CONTRACT_IDENTITY: readonly ContractField[] = ['timestamp', 'tradingsymbol', 'expiry', 'strike', 'right'];

export interface ParquetHistoryOptions {
  readonly dataDir: string;
  /** Overview days kept decoded for `overviewDay` (default 400, as the CSV history keeps). */
  readonly maxCachedDays?: number;
  /** Rows those days may hold together (default `DEFAULT_MAX_CACHED_ROWS`). */
  readonly maxCachedRows?: number;
  /**
   * Rows of the per-day series `overviewDays` keeps decoded with every field (default 250,000, ≈ 170 MB):
   * the start-up warm of 30 days for five indices, one of them at 15 s, is 135,000 rows, and decoding is
   * most of an all-fields read.
   */
  readonly maxCachedSeriesRows?: number;
  /** A shared DuckDB (the compactor's, say); without one the reader opens its own on first use. */
  readonly engine?: ParquetEngine;
  readonly engineOptions?: ParquetEngineOptions;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

const sqlNumber = (value: number): string => {
  if (!Number.isFinite(value)) {
    throw new Error(`not a finite number: ${value}`);
  }
  return String(value);
};

const sqlInstant = (ms: number): string => `TIMESTAMPTZ ${sqlString(new Date(ms).toISOString())}`;

/** The files of one table over some days, and the columns any of them has. */
interface FileSet {
  readonly from: string;
  readonly present: ReadonlySet<string>;
}

/** A column of the queried files (`p`), never the decoded value of the same name in the select list. */
const col = (name: string): string => `p.${sqlIdent(name)}`;

const ORDER: Readonly<Record<StoredTable, string>> = {
  options: ['timestamp', 'expiry', 'strike', 'option_type'].map(col).join(', '),
  overview: ['timestamp', 'expiry'].map(col).join(', '),
};

/** The filter's series, which its rows of a day depend on apart from the time range. */
function seriesKeyOf(filter: OverviewFilter): string {
  return `${filter.expiry ?? '*'}|${filter.tag ?? '*'}|${filter.nearest === true ? 'nearest' : 'all'}`;
}

export function createParquetHistory(options: ParquetHistoryOptions): ParquetHistory {
  const root = join(options.dataDir, 'csv');
  const engine = options.engine ?? createParquetEngine(options.engineOptions);
  const manifests = new Map<string, { readonly signature: string; readonly manifest: CompactionManifest | null }>();
  type Cached = { readonly manifest: CompactionManifest; readonly rows: readonly OverviewRecord[] };
  const rowsOf = (entry: Cached) => entry.rows.length;
  // Each day's overview rows (every expiry, every field), valid while the day's manifest is the one
  // read with them.
  const overviewCache = createBoundedCache<Cached>({
    maxEntries: options.maxCachedDays ?? 400,
    maxRows: options.maxCachedRows ?? DEFAULT_MAX_CACHED_ROWS,
    rowsOf,
  });
  // A day's series (its overview rows under one expiry filter, whole day, every field) by
  // `index/day/series`.
  const seriesCache = createBoundedCache<Cached>({
    maxEntries: Number.POSITIVE_INFINITY,
    maxRows: options.maxCachedSeriesRows ?? 250_000,
    rowsOf,
  });

  async function manifestOf(index: IndexSymbol, day: string): Promise<CompactionManifest | null> {
    const dir = join(root, index, day);
    let signature: string;
    try {
      const s = await stat(join(dir, MANIFEST_FILE));
      signature = `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        manifests.delete(dir);
        return null;
      }
      throw error;
    }
    const cached = manifests.get(dir);
    if (cached?.signature === signature) {
      return cached.manifest;
    }
    const manifest = await readManifest(dir);
    manifests.set(dir, { signature, manifest });
    return manifest;
  }

  async function filesOf(index: IndexSymbol, days: readonly string[], table: StoredTable): Promise<FileSet | null> {
    const paths: string[] = [];
    const present = new Set<string>();
    const layouts = new Set<string>();
    for (const day of days) {
      const manifest = await manifestOf(index, day);
      if (manifest === null) {
        continue;
      }
      const entry = manifest.tables[table];
      paths.push(join(root, index, day, entry.file));
      layouts.add(entry.columns.map((c) => `${c.name}:${c.type}`).join(','));
      for (const column of entry.columns) {
        present.add(column.name);
      }
    }
    if (paths.length === 0) {
      return null;
    }
    const list = paths.map(sqlString).join(', ');
    // Days compacted by different builds may hold different columns: then they are matched by name. Only
    // then, since union_by_name reads every file's schema before planning: 100 ms of a 20-day read.
    const union = layouts.size > 1 ? ', union_by_name = true' : '';
    return { from: `read_parquet([${list}]${union}) AS p`, present };
  }

  /**
   * Runs a query over the days' files. A merge of a reopened day replaces its files; a query that
   * planned on the old ones reads the manifest again and runs once more.
   */
  async function select<R>(
    index: IndexSymbol,
    days: readonly string[],
    table: StoredTable,
    rest: (files: FileSet) => string,
    columns: readonly ParquetColumn[] = PARQUET_COLUMNS[table],
  ): Promise<R[]> {
    for (let attempt = 0; ; attempt++) {
      const files = await filesOf(index, days, table);
      if (files === null) {
        return [];
      }
      const reader = recordReader<R>(columns, files.present, 'p.');
      const sql = `SELECT ${reader.select} FROM ${files.from} ${rest(files)}`;
      try {
        return await engine.withConnection((connection) => queryRecords(connection, sql, reader));
      } catch (error) {
        if (attempt > 0 || !/No such file|No files found|does not exist/i.test(String(error))) {
          throw error;
        }
        manifests.clear();
      }
    }
  }

  function contractWhere(keys: readonly ContractKey[]): string | null {
    const symbols = [...new Set(keys.flatMap((k) => ('tradingsymbol' in k ? [k.tradingsymbol] : [])))];
    const terms = keys.flatMap((k) =>
      'tradingsymbol' in k || !ISO_DATE.test(k.expiry) || !Number.isFinite(k.strike)
        ? []
        : [
            `(${col('expiry')} = DATE ${sqlString(k.expiry)} AND ${col('strike')} = ${sqlNumber(k.strike)} ` +
              `AND ${col('option_type')} = ${sqlString(k.right)})`,
          ],
    );
    const parts = [...new Set(terms)];
    if (symbols.length > 0) {
      parts.push(`${col('tradingsymbol')} IN (${symbols.map(sqlString).join(', ')})`);
    }
    return parts.length === 0 ? null : parts.join(' OR ');
  }

  async function contractsDays(
    index: IndexSymbol,
    days: readonly string[],
    keys: readonly ContractKey[],
    fields?: readonly ContractField[],
  ): Promise<Map<string, ContractRecord[]>> {
    const found = new Map<string, ContractRecord[]>(keys.map((k) => [contractKeyId(k), []]));
    const where = contractWhere(keys);
    if (where === null) {
      return found;
    }
    const wanted = fields === undefined ? null : new Set<string>([...CONTRACT_IDENTITY, ...fields]);
    const rows = await select<ContractRecord>(
      index,
      days,
      'options',
      () => `WHERE ${where} ORDER BY ${ORDER.options}`,
      PARQUET_COLUMNS.options.filter((c) => wanted === null || wanted.has(c.key)),
    );
    for (const row of rows) {
      found.get(`s:${row.tradingsymbol}`)?.push(row);
      found.get(`t:${row.expiry}:${row.strike}:${row.right}`)?.push(row);
    }
    return found;
  }

  function overviewWhere(filter: OverviewFilter): string {
    const conditions: string[] = [];
    const ts = col('timestamp');
    if (filter.fromMs !== undefined) {
      conditions.push(`${ts} >= ${sqlInstant(filter.fromMs)}`);
    }
    if (filter.toMs !== undefined) {
      conditions.push(`${ts} <= ${sqlInstant(filter.toMs)}`);
    }
    if (filter.expiry !== undefined) {
      conditions.push(ISO_DATE.test(filter.expiry) ? `${col('expiry')} = DATE ${sqlString(filter.expiry)}` : 'false');
    }
    if (filter.tag !== undefined) {
      conditions.push(`list_contains(string_split(${col('expiry_tags')}, '|'), ${sqlString(filter.tag)})`);
    }
    let sql = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
    if (filter.nearest === true) {
      sql += ` QUALIFY row_number() OVER (PARTITION BY ${ts} ORDER BY ${col('expiry')}) = 1`;
    }
    return `${sql} ORDER BY ${ORDER.overview}`;
  }

  return {
    async days(index) {
      const names = await readdir(join(root, index)).catch(() => [] as string[]);
      const days: string[] = [];
      for (const day of names.filter((d) => /^\d{8}$/.test(d)).sort()) {
        if ((await manifestOf(index, day)) !== null) {
          days.push(day);
        }
      }
      return days;
    },
    manifest: manifestOf,
    async overviewDay(index, day) {
      const manifest = await manifestOf(index, day);
      if (manifest === null) {
        return [];
      }
      const key = `${index}/${day}`;
      const cached = overviewCache.get(key);
      if (cached?.manifest === manifest) {
        return cached.rows;
      }
      const rows = await select<OverviewRecord>(index, [day], 'overview', () => `ORDER BY ${ORDER.overview}`);
      overviewCache.set(key, { manifest, rows });
      return rows;
    },
    async overviewDays<K extends OverviewKey>(
      index: IndexSymbol,
      days: readonly string[],
      filter: OverviewFilter = {},
      fields?: readonly K[],
    ) {
      type Row = Pick<OverviewRecord, K | 'timestamp' | 'expiry'>;
      const wanted = fields === undefined ? null : new Set<string>(['timestamp', 'expiry', ...fields]);
      const columns = PARQUET_COLUMNS.overview.filter((c) => wanted === null || wanted.has(c.key));
      // Days whose series is decoded already are served from memory (a compacted day never changes);
      // the others are read in one query: with every field when every field is asked for (and then kept),
      // else only the fields asked for, as the first read of a chart costs least that way.
      const series = seriesKeyOf(filter);
      // Per day: its rows, and whether they carry every field (a cached series) or just those asked for.
      const byDay = new Map<string, { readonly rows: readonly Row[]; readonly full: boolean }>();
      const missing: Array<{ readonly day: string; readonly manifest: CompactionManifest }> = [];
      for (const day of [...new Set(days)].sort()) {
        const manifest = await manifestOf(index, day);
        if (manifest === null) {
          continue;
        }
        const key = `${index}/${day}/${series}`;
        const hit = seriesCache.get(key);
        if (hit?.manifest === manifest) {
          byDay.set(day, { rows: hit.rows, full: true });
        } else {
          missing.push({ day, manifest });
        }
      }
      if (missing.length > 0) {
        const missingDays = missing.map((m) => m.day);
        const whole = wanted === null;
        const rows = await select<Row>(
          index,
          missingDays,
          'overview',
          () => overviewWhere(whole ? { ...filter, fromMs: undefined, toMs: undefined } : filter),
          columns,
        );
        const grouped = new Map<string, Row[]>(missingDays.map((day) => [day, []]));
        for (const row of rows) {
          grouped.get(toIstCompactDate(row.timestamp))?.push(row);
        }
        for (const { day, manifest } of missing) {
          const dayRows = grouped.get(day)!;
          if (whole) {
            seriesCache.set(`${index}/${day}/${series}`, { manifest, rows: dayRows as unknown as OverviewRecord[] });
          }
          byDay.set(day, { rows: dayRows, full: whole });
        }
      }
      const fromMs = filter.fromMs ?? Number.NEGATIVE_INFINITY;
      const toMs = filter.toMs ?? Number.POSITIVE_INFINITY;
      const project = recordProjector(columns.map((c) => c.key));
      const out: Row[] = [];
      for (const { rows, full } of [...byDay].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, r]) => r)) {
        for (const row of rows) {
          const ms = row.timestamp.getTime();
          if (ms < fromMs || ms > toMs) {
            continue;
          }
          if (wanted === null || !full) {
            out.push(row);
          } else {
            out.push(project(row) as Row);
          }
        }
      }
      return out;
    },
    async closingIv30(index, day) {
      const ts = col('timestamp');
      const rows = await select<OverviewRecord>(
        index,
        [day],
        'overview',
        (files) => `WHERE ${ts} = (SELECT max(${ts}) FROM ${files.from})`,
      );
      return constantMaturityIv(
        rows.flatMap((r) => (r.atmIv === null ? [] : [{ timeToExpiryYears: r.timeToExpiryYears, iv: r.atmIv }])),
        IV30_YEARS,
      );
    },
    allContractsDay: (index, day) => select<ContractRecord>(index, [day], 'options', () => `ORDER BY ${ORDER.options}`),
    contractsAt: (index, day, timestamp) =>
      select<ContractRecord>(
        index,
        [day],
        'options',
        () =>
          `WHERE ${col('timestamp')} = ${sqlInstant(timestamp.getTime())} ORDER BY ${['expiry', 'strike', 'option_type'].map(col).join(', ')}`,
      ),
    async offsetRowsDay(index, day, selection) {
      const offsets = [...new Set(selection.offsets)].filter(Number.isInteger);
      if (offsets.length === 0) {
        return [];
      }
      const conditions = [`${col('offset')} IN (${offsets.map(sqlNumber).join(', ')})`];
      if (selection.expiry !== null) {
        conditions.push(
          ISO_DATE.test(selection.expiry) ? `${col('expiry')} = DATE ${sqlString(selection.expiry)}` : 'false',
        );
      }
      if (selection.tag !== null) {
        conditions.push(`list_contains(string_split(${col('expiry_tags')}, '|'), ${sqlString(selection.tag)})`);
      }
      return select<ContractRecord>(
        index,
        [day],
        'options',
        () => `WHERE ${conditions.join(' AND ')} ORDER BY ${ORDER.options}`,
      );
    },
    contractsDay: (index, day, keys) => contractsDays(index, [day], keys),
    contractsDays,
    async close() {
      manifests.clear();
      overviewCache.clear();
      seriesCache.clear();
      if (options.engine === undefined) {
        await engine.close();
      }
    },
  };
}
