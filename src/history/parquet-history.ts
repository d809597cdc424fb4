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
import type { ContractRecord, OverviewRecord } from '../domain/stored-fields.ts';
import { type CompactionManifest, MANIFEST_FILE, readManifest } from './compaction-manifest.ts';
import type { ContractKey, OffsetSelection } from './csv-history.ts';
import { contractKeyId } from './csv-history.ts';
import { createParquetEngine, type ParquetEngine, type ParquetEngineOptions } from './parquet-engine.ts';
import { queryRecords, recordReader } from './parquet-records.ts';
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
  /** The same over several days in one query. */
  contractsDays(
    index: IndexSymbol,
    days: readonly string[],
    keys: readonly ContractKey[],
  ): Promise<Map<string, ContractRecord[]>>;
  /** Closes the DuckDB instance when this reader opened it. */
  close(): Promise<void>;
}

export type OverviewKey = keyof OverviewRecord;

export interface ParquetHistoryOptions {
  readonly dataDir: string;
  /** Overview days kept decoded for `overviewDay` (default 400, as the CSV history keeps). */
  readonly maxCachedDays?: number;
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

export function createParquetHistory(options: ParquetHistoryOptions): ParquetHistory {
  const root = join(options.dataDir, 'csv');
  const engine = options.engine ?? createParquetEngine(options.engineOptions);
  const manifests = new Map<string, { readonly signature: string; readonly manifest: CompactionManifest | null }>();
  const maxCachedDays = options.maxCachedDays ?? 400;
  const overviewCache = new Map<
    string,
    { readonly manifest: CompactionManifest; readonly rows: readonly OverviewRecord[] }
  >();

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
    for (const day of days) {
      const manifest = await manifestOf(index, day);
      if (manifest === null) {
        continue;
      }
      const entry = manifest.tables[table];
      paths.push(join(root, index, day, entry.file));
      for (const column of entry.columns) {
        present.add(column.name);
      }
    }
    if (paths.length === 0) {
      return null;
    }
    const list = paths.map(sqlString).join(', ');
    // Days compacted by different builds may hold different columns: match them by name.
    return { from: `read_parquet([${list}], union_by_name = true) AS p`, present };
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
  ): Promise<Map<string, ContractRecord[]>> {
    const found = new Map<string, ContractRecord[]>(keys.map((k) => [contractKeyId(k), []]));
    const where = contractWhere(keys);
    if (where === null) {
      return found;
    }
    const rows = await select<ContractRecord>(index, days, 'options', () => `WHERE ${where} ORDER BY ${ORDER.options}`);
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
        overviewCache.delete(key);
        overviewCache.set(key, cached);
        return cached.rows;
      }
      const rows = await select<OverviewRecord>(index, [day], 'overview', () => `ORDER BY ${ORDER.overview}`);
      overviewCache.set(key, { manifest, rows });
      while (overviewCache.size > maxCachedDays) {
        overviewCache.delete(overviewCache.keys().next().value as string);
      }
      return rows;
    },
    overviewDays(index, days, filter = {}, fields) {
      const wanted = fields === undefined ? null : new Set<string>(['timestamp', 'expiry', ...fields]);
      const columns = PARQUET_COLUMNS.overview.filter((c) => wanted === null || wanted.has(c.key));
      return select(index, days, 'overview', () => overviewWhere(filter), columns);
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
      if (options.engine === undefined) {
        await engine.close();
      }
    },
  };
}
