import { createReadStream, existsSync } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { constantMaturityIv, IV30_YEARS } from '../analytics/iv-rank.ts';
import type { ExpiryTag } from '../domain/expiry-tags.ts';
import type { IndexSymbol } from '../domain/indices.ts';
import { type ContractRecord, OPTIONS_FIELDS, OVERVIEW_FIELDS, type OverviewRecord } from '../domain/stored-fields.ts';
import { parseCsvLine } from '../sinks/csv-format.ts';
import { createBoundedCache, DEFAULT_MAX_CACHED_ROWS } from './bounded-cache.ts';
import { readStoredRecord } from './stored-record.ts';

export type { ContractRecord, OverviewRecord };

/** Which rows `offsetRowsDay` keeps: one expiry (by date or tag) and a set of offsets from ATM. */
export interface OffsetSelection {
  readonly expiry: string | null;
  readonly tag: ExpiryTag | null;
  readonly offsets: readonly number[];
}

/** A contract, by symbol or by its terms. */
export type ContractKey =
  | { readonly tradingsymbol: string }
  | { readonly expiry: string; readonly strike: number; readonly right: 'CE' | 'PE' };

export function contractKeyId(key: ContractKey): string {
  return 'tradingsymbol' in key ? `s:${key.tradingsymbol}` : `t:${key.expiry}:${key.strike}:${key.right}`;
}

type Row = (name: string) => string | undefined;

const toOverview = (get: Row): OverviewRecord | null => readStoredRecord(OVERVIEW_FIELDS, get);
const toContract = (get: Row): ContractRecord | null => readStoredRecord(OPTIONS_FIELDS, get);

/** Files of one kind in a day folder: current, rotated-aside legacy, and gzipped ones. */
function filesOf(names: readonly string[], kind: 'options' | 'overview'): string[] {
  const pattern = new RegExp(`^${kind}(\\.legacy-\\d+|\\.\\d+)?\\.csv(\\.gz)?$`);
  return names.filter((n) => pattern.test(n)).sort();
}

/**
 * Offset just past the last line break of a plain file: a reader racing the writer must not take the
 * half-written line at the end for a row.
 */
export async function completeLinesEnd(path: string): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    let pos = size;
    while (pos > 0) {
      const start = Math.max(0, pos - 65_536);
      const chunk = Buffer.alloc(pos - start);
      await handle.read(chunk, 0, chunk.length, start);
      const nl = chunk.lastIndexOf(0x0a);
      if (nl !== -1) {
        return start + nl + 1;
      }
      pos = start;
    }
    return 0;
  } finally {
    await handle.close();
  }
}

/** Lines of a CSV file (gzip or plain) in [start, end); the header first when `start` is 0. */
function linesOf(path: string, start = 0, end = Number.POSITIVE_INFINITY) {
  if (end <= start) {
    return createInterface({ input: Readable.from([]) });
  }
  const input = createReadStream(path, { start, end: end - 1 });
  return createInterface({ input: path.endsWith('.gz') ? input.pipe(createGunzip()) : input, crlfDelay: Infinity });
}

function getterFor(header: readonly string[]): (fields: readonly string[]) => Row {
  const position = new Map(header.map((name, i) => [name, i]));
  return (fields) => (name) => {
    const i = position.get(name);
    return i === undefined ? undefined : fields[i];
  };
}

/**
 * The rows of one kind of file in a day folder (every file, each parsed by its own header, plain files
 * only up to their last complete line). `keep`, built from a file's header, skips lines before the
 * full parse.
 */
async function* rowsOfDay(
  dir: string,
  kind: 'options' | 'overview',
  keep?: (header: readonly string[]) => (line: string) => boolean,
  select: FileSelection = (_dir, names) => Promise.resolve(names),
): AsyncGenerator<Row> {
  if (!existsSync(dir)) {
    return;
  }
  for (const file of filesOf(await select(dir, await readdir(dir)), kind)) {
    const path = join(dir, file);
    const end = file.endsWith('.gz') ? Number.POSITIVE_INFINITY : await completeLinesEnd(path);
    let get: ((fields: readonly string[]) => Row) | null = null;
    let wanted: (line: string) => boolean = () => true;
    for await (const line of linesOf(path, 0, end)) {
      if (get === null) {
        const header = parseCsvLine(line);
        get = getterFor(header);
        wanted = keep?.(header) ?? wanted;
      } else if (line.length > 0 && wanted(line)) {
        yield get(parseCsvLine(line));
      }
    }
  }
}

async function headerOf(path: string): Promise<string[]> {
  for await (const line of linesOf(path)) {
    return parseCsvLine(line);
  }
  return [];
}

interface CachedDay {
  /** Sizes of the day's files when read; the plain `overview.csv` is read on from where it ended. */
  readonly signature: string;
  readonly plainSize: number;
  readonly rows: OverviewRecord[];
}

export interface CsvHistory {
  /** Stored IST days (`YYYYMMDD`) of an index, oldest first. */
  days(index: IndexSymbol): Promise<string[]>;
  /** Every overview row of a day, by time (then expiry); cached, and a growing day is read incrementally. */
  overviewDay(index: IndexSymbol, day: string): Promise<readonly OverviewRecord[]>;
  /**
   * The day's closing 30-day constant-maturity ATM IV (last snapshot of the day), for IV rank and
   * percentile; null when the day has no usable ATM IVs. Cached for days before `openDay`.
   */
  closingIv30(index: IndexSymbol, day: string, openDay: string): Promise<number | null>;
  /** Every contract row of a day, by time (for replay). */
  allContractsDay(index: IndexSymbol, day: string): Promise<readonly ContractRecord[]>;
  /** The contract rows of one stored snapshot (by its timestamp), without holding the rest of the day. */
  contractsAt(index: IndexSymbol, day: string, timestamp: Date): Promise<readonly ContractRecord[]>;
  /** Contract rows of one expiry (by date, or by the tag it carried when stored) at the given ATM offsets. */
  offsetRowsDay(index: IndexSymbol, day: string, select: OffsetSelection): Promise<readonly ContractRecord[]>;
  /** Rows of the requested contracts in a day, one scan of the day's files for all of them. */
  contractsDay(index: IndexSymbol, day: string, keys: readonly ContractKey[]): Promise<Map<string, ContractRecord[]>>;
}

/**
 * Reads back the CSV store (see src/sinks/csv-sink.ts for the layout). Files are parsed by their own
 * header, so days written by older builds (fewer columns, set aside as `*.legacy-N.csv`) read too.
 */
/** Which of a day folder's files the reader reads (a compacted day's CSV files not yet in Parquet). */
export type FileSelection = (dayDir: string, names: readonly string[]) => Promise<readonly string[]>;

export function createCsvHistory(options: {
  readonly dataDir: string;
  /** Days of overview rows kept decoded (default 400), and the rows they may hold together. */
  readonly maxCachedDays?: number;
  readonly maxCachedRows?: number;
  /** Every CSV file by default. */
  readonly selectFiles?: FileSelection;
}): CsvHistory {
  const root = join(options.dataDir, 'csv');
  const select: FileSelection = options.selectFiles ?? ((_dir, names) => Promise.resolve(names));
  const rowsOf = (
    dir: string,
    kind: 'options' | 'overview',
    keep?: (header: readonly string[]) => (line: string) => boolean,
  ) => rowsOfDay(dir, kind, keep, select);
  const cache = createBoundedCache<CachedDay>({
    maxEntries: options.maxCachedDays ?? 400,
    maxRows: options.maxCachedRows ?? DEFAULT_MAX_CACHED_ROWS,
    rowsOf: (day) => day.rows.length,
  });
  const closes = new Map<string, number | null>();

  async function readOverviewFile(
    path: string,
    start: number,
    end: number,
    header: string[] | null,
  ): Promise<OverviewRecord[]> {
    const rows: OverviewRecord[] = [];
    let get = header === null ? null : getterFor(header);
    for await (const line of linesOf(path, start, end)) {
      if (get === null) {
        get = getterFor(parseCsvLine(line));
        continue;
      }
      if (line.length === 0) {
        continue;
      }
      const row = toOverview(get(parseCsvLine(line)));
      if (row !== null) {
        rows.push(row);
      }
    }
    return rows;
  }

  return {
    async days(index) {
      const dir = join(root, index);
      if (!existsSync(dir)) {
        return [];
      }
      return (await readdir(dir)).filter((d) => /^\d{8}$/.test(d)).sort();
    },

    async overviewDay(index, day) {
      const dir = join(root, index, day);
      if (!existsSync(dir)) {
        return [];
      }
      const files = filesOf(await select(dir, await readdir(dir)), 'overview');
      const sizes = await Promise.all(files.map(async (f) => [f, (await stat(join(dir, f))).size] as const));
      const plainSize = files.includes('overview.csv') ? await completeLinesEnd(join(dir, 'overview.csv')) : 0;
      const signature = sizes
        .filter(([f]) => f !== 'overview.csv')
        .map(([f, s]) => `${f}:${s}`)
        .join('|');
      const key = `${index}/${day}`;
      const cached = cache.get(key);
      if (cached !== undefined && cached.signature === signature && cached.plainSize === plainSize) {
        return cached.rows;
      }
      let rows: OverviewRecord[];
      if (
        cached !== undefined &&
        cached.signature === signature &&
        plainSize > cached.plainSize &&
        cached.plainSize > 0
      ) {
        // The open day only grows by whole snapshots: read the new tail.
        const header = await headerOf(join(dir, 'overview.csv'));
        rows = [
          ...cached.rows,
          ...(await readOverviewFile(join(dir, 'overview.csv'), cached.plainSize, plainSize, header)),
        ];
      } else {
        rows = (
          await Promise.all(
            files.map((f) =>
              readOverviewFile(join(dir, f), 0, f === 'overview.csv' ? plainSize : Number.POSITIVE_INFINITY, null),
            ),
          )
        ).flat();
      }
      const seen = new Set<string>();
      rows = rows
        .sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime() || a.expiry.localeCompare(b.expiry))
        .filter((r) => {
          const id = `${r.timestamp.getTime()}|${r.expiry}`;
          if (seen.has(id)) {
            return false;
          }
          seen.add(id);
          return true;
        });
      cache.set(key, { signature, plainSize, rows });
      return rows;
    },

    async closingIv30(index, day, openDay) {
      const key = `${index}/${day}`;
      if (day < openDay && closes.has(key)) {
        return closes.get(key)!;
      }
      const rows: OverviewRecord[] = [];
      for await (const get of rowsOf(join(root, index, day), 'overview')) {
        const row = toOverview(get);
        if (row !== null) {
          rows.push(row);
        }
      }
      const lastMs = Math.max(...rows.map((r) => r.timestamp.getTime()));
      const close = constantMaturityIv(
        rows
          .filter((r) => r.timestamp.getTime() === lastMs && r.atmIv !== null)
          .map((r) => ({ timeToExpiryYears: r.timeToExpiryYears, iv: r.atmIv! })),
        IV30_YEARS,
      );
      if (day < openDay) {
        closes.set(key, close);
      }
      return close;
    },

    async allContractsDay(index, day) {
      const rows: ContractRecord[] = [];
      for await (const get of rowsOf(join(root, index, day), 'options')) {
        const row = toContract(get);
        if (row !== null) {
          rows.push(row);
        }
      }
      return rows.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
    },

    async contractsAt(index, day, timestamp) {
      const wantedMs = timestamp.getTime();
      // The timestamp column is tested before the full parse: a day holds thousands of snapshots.
      const keep = (header: readonly string[]) => {
        const column = header.indexOf('timestamp');
        return (line: string) => Date.parse(line.split(',', column + 1)[column] ?? '') === wantedMs;
      };
      const rows: ContractRecord[] = [];
      for await (const get of rowsOf(join(root, index, day), 'options', keep)) {
        const row = toContract(get);
        if (row !== null) {
          rows.push(row);
        }
      }
      return rows;
    },

    async offsetRowsDay(index, day, select) {
      const offsets = new Set(select.offsets);
      // The expiry is a leading field: rows of other expiries are skipped before the full parse.
      const keep =
        select.expiry === null
          ? undefined
          : (header: readonly string[]) => {
              const column = header.indexOf('expiry');
              return (line: string) => line.split(',', column + 1)[column] === select.expiry;
            };
      const rows: ContractRecord[] = [];
      for await (const get of rowsOf(join(root, index, day), 'options', keep)) {
        const row = toContract(get);
        if (
          row !== null &&
          row.offset !== null &&
          offsets.has(row.offset) &&
          (select.tag === null || row.expiryTags.includes(select.tag))
        ) {
          rows.push(row);
        }
      }
      return rows.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
    },

    async contractsDay(index, day, keys) {
      const found = new Map<string, ContractRecord[]>(keys.map((k) => [contractKeyId(k), []]));
      if (keys.length === 0) {
        return found;
      }
      const bySymbol = new Set(keys.flatMap((k) => ('tradingsymbol' in k ? [k.tradingsymbol] : [])));
      const byTerms = new Set(
        keys.flatMap((k) => ('tradingsymbol' in k ? [] : [`${k.expiry},${k.strike},${k.right}`])),
      );
      // Cheap test on the leading fields (never quoted) before a full parse.
      const keep = (header: readonly string[]) => {
        const [expiry, strike, right, symbol] = ['expiry', 'strike', 'option_type', 'tradingsymbol'].map((name) =>
          header.indexOf(name),
        ) as [number, number, number, number];
        const fields = Math.max(expiry, strike, right, symbol) + 1;
        return (line: string) => {
          const head = line.split(',', fields);
          return bySymbol.has(head[symbol]!) || byTerms.has(`${head[expiry]},${Number(head[strike])},${head[right]}`);
        };
      };
      for await (const get of rowsOf(join(root, index, day), 'options', keep)) {
        const row = toContract(get);
        if (row !== null) {
          found.get(`s:${row.tradingsymbol}`)?.push(row);
          found.get(`t:${row.expiry}:${row.strike}:${row.right}`)?.push(row);
        }
      }
      for (const rows of found.values()) {
        rows.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
      }
      return found;
    },
  };
}
