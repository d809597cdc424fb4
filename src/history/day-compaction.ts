/**
 * Compacts one closed day of the CSV store into Parquet, in the day's own folder:
 *
 *   csv/<INDEX>/<YYYYMMDD>/options.parquet    contract rows, sorted by (expiry, strike, option_type, timestamp)
 *   csv/<INDEX>/<YYYYMMDD>/overview.parquet   expiry rows, sorted by (timestamp, expiry)
 *   csv/<INDEX>/<YYYYMMDD>/compacted.json     the commit record (src/history/compaction-manifest.ts)
 *
 * (`options.N.parquet` for the N-th compaction of a day that a late snapshot reopened.) The day folder
 * stays where the CSV history lists days, and its CSV patterns match none of these names.
 *
 * Steps, each safe to crash in: (1) stale temp files and Parquet files no manifest names are removed;
 * (2) DuckDB reads every pending CSV file (plain ones up to their last complete line, legacy and gzip ones,
 * each by its own header) plus the day's earlier Parquet files, and writes `*.parquet.tmp`, fsynced;
 * (3) both files are read back and compared with the CSV read through `readStoredRecord` (row counts per
 * snapshot and a hash over every value), and a mismatch leaves the CSV as it was; (4) the temp files are
 * renamed and the directory fsynced; (5) the manifest is written: the commit point; (6) the CSV files it
 * covers are deleted or archived, and the manifest is marked `cleaned`. A run after a crash before (5)
 * starts afresh; after (5) it only finishes (6). The caller runs one compaction of a day at a time (the
 * process holding the data-dir lock).
 */
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { DuckDBConnection } from '@duckdb/node-api';
import { INDEX_SYMBOLS, type IndexSymbol } from '../domain/indices.ts';
import { syncDirectory } from '../sinks/file-tail.ts';
import {
  createDigest,
  csvHeaderOf,
  digestDifference,
  forEachCsvRecord,
  type TableDigest,
} from './compaction-digest.ts';
import {
  type CompactionManifest,
  compactionStateOf,
  MANIFEST_VERSION,
  type ManifestSource,
  type ManifestTable,
  writeManifest,
} from './compaction-manifest.ts';
import { completeLinesEnd } from './csv-history.ts';
import { createParquetEngine, type ParquetEngine } from './parquet-engine.ts';
import { forEachChunk, recordReader } from './parquet-records.ts';
import {
  csvCellSql,
  OVERVIEW_KEY_COLUMNS,
  PARQUET_COLUMNS,
  type ParquetColumn,
  SORT_COLUMNS,
  type StoredTable,
  sqlIdent,
  sqlString,
  TABLE_FIELDS,
} from './parquet-schema.ts';

export type CompactionStep =
  | 'stale-removed'
  | 'parquet-written'
  | 'verified'
  | 'parquet-renamed'
  | 'manifest-written'
  | 'source-removed'
  | 'cleaned';

export interface CompactDayOptions {
  /** G6_DATA_DIR: the day is `<dataDir>/csv/<index>/<day>/`. */
  readonly dataDir: string;
  readonly index: IndexSymbol;
  /** IST day, `YYYYMMDD`. */
  readonly day: string;
  /** Whether a day is over (no snapshot can still be written to it); an open day is refused. */
  readonly isClosed: (day: string) => boolean;
  /** A shared DuckDB; without one, the run opens its own and closes it at the end. */
  readonly engine?: ParquetEngine;
  /**
   * What becomes of the CSV files once the Parquet files are committed: deleted (default), or gzipped into
   * `archive/<generation>/` in the day folder, where no reader looks.
   */
  readonly keepCsv?: 'delete' | 'gzip-archive';
  /**
   * Rows per Parquet row group (default 16,384: a contract's ≈750 rows of a day sit in one or two, and a
   * NIFTY day has ≈40 groups to skip on statistics).
   */
  readonly rowGroupRows?: number;
  readonly now?: () => Date;
  /** Called after each step (tests throw here to stand for a crash). */
  readonly onStep?: (step: CompactionStep, detail?: string) => void | Promise<void>;
}

export interface CompactionResult {
  /**
   * `compacted`: CSV to Parquet; `merged`: late CSV rows added to an earlier compaction; `cleaned-up`: a
   * committed compaction whose CSV cleanup a crash interrupted was finished; `already-compacted`: nothing
   * to do; `empty`: the day has no stored rows at all.
   */
  readonly status: 'compacted' | 'merged' | 'cleaned-up' | 'already-compacted' | 'empty';
  readonly manifest: CompactionManifest | null;
  /** Bytes of the CSV files compacted by this run (0 when it compacted none). */
  readonly csvBytes: number;
  /** CSV files this run deleted or archived. */
  readonly removed: readonly string[];
}

export class DayNotClosedError extends Error {
  constructor(index: string, day: string) {
    super(`${index} ${day} is not closed: only closed days are compacted`);
    this.name = 'DayNotClosedError';
  }
}

/** The Parquet files did not read back as the CSV: nothing was committed, and the CSV files are untouched. */
export class CompactionVerificationError extends Error {
  constructor(index: string, day: string, table: StoredTable, difference: string) {
    super(`${index} ${day} ${table}: Parquet does not match the CSV (${difference}); CSV kept`);
    this.name = 'CompactionVerificationError';
  }
}

/** A covered CSV file changed after it was compacted; its new rows are in neither place alone. */
export class CompactionConflictError extends Error {
  constructor(index: string, day: string, files: readonly string[]) {
    super(`${index} ${day}: ${files.join(', ')} changed after compaction; left as is for a person to look at`);
    this.name = 'CompactionConflictError';
  }
}

const DEFAULT_ROW_GROUP_ROWS = 16_384;
const TABLES: readonly StoredTable[] = ['options', 'overview'];

const parquetName = (table: StoredTable, generation: number) =>
  generation === 1 ? `${table}.parquet` : `${table}.${generation}.parquet`;

const PARQUET_PATTERN = /^(options|overview)(\.\d+)?\.parquet$/;
const STALE_PATTERN = /\.(parquet|json|prefix)\.tmp$/;

/** A table's rows, in the order the CSV history reads them (earlier Parquet first, then files by name). */
type Source =
  | { readonly type: 'parquet'; readonly path: string; readonly columns: ReadonlySet<string> }
  | { readonly type: 'csv'; readonly path: string; readonly header: readonly string[] };

async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const csvTableOf = (name: string): StoredTable => (name.startsWith('options') ? 'options' : 'overview');

/** The select of one source, in the table's columns, with the source's position for keep-first. */
function sourceSql(columns: readonly ParquetColumn[], source: Source, position: number): string {
  if (source.type === 'parquet') {
    const list = columns
      .map((c) => (source.columns.has(c.name) ? sqlIdent(c.name) : `NULL::${c.type} AS ${sqlIdent(c.name)}`))
      .join(', ');
    return `SELECT ${list}, ${position} AS __source FROM read_parquet(${sqlString(source.path)})`;
  }
  const header = new Set(source.header);
  const list = columns
    .map(
      (c) => `${header.has(c.name) ? csvCellSql(c.kind, sqlIdent(c.name)) : `NULL::${c.type}`} AS ${sqlIdent(c.name)}`,
    )
    .join(', ');
  const declared = [...header].map((name) => `${sqlString(name)}: 'VARCHAR'`).join(', ');
  const required = columns.filter((c) => c.missing === 'required').map((c) => `${sqlIdent(c.name)} IS NOT NULL`);
  const csv =
    `read_csv(${sqlString(source.path)}, header = true, auto_detect = false, delim = ',', quote = '"', ` +
    `escape = '"', null_padding = true, compression = ${source.path.endsWith('.gz') ? "'gzip'" : "'none'"}, ` +
    `columns = {${declared}})`;
  return (
    `SELECT *, ${position} AS __source FROM (SELECT ${list} FROM ${csv})` +
    (required.length > 0 ? ` WHERE ${required.join(' AND ')}` : '')
  );
}

async function writeParquet(
  connection: DuckDBConnection,
  table: StoredTable,
  sources: readonly Source[],
  target: string,
  rowGroupRows: number,
): Promise<void> {
  const columns = PARQUET_COLUMNS[table];
  const names = columns.map((c) => sqlIdent(c.name)).join(', ');
  const union =
    sources.length === 0
      ? `SELECT ${columns.map((c) => `NULL::${c.type} AS ${sqlIdent(c.name)}`).join(', ')}, 0 AS __source WHERE false`
      : sources.map((s, i) => sourceSql(columns, s, i)).join(' UNION ALL ');
  // A snapshot stored twice (re-delivered to a day reopened after compaction) is kept from its first
  // source only: overview rows by (time, expiry), as the CSV history reads them; contract rows by time.
  const keepFirst =
    table === 'overview'
      ? ` QUALIFY row_number() OVER (PARTITION BY ${OVERVIEW_KEY_COLUMNS.map(sqlIdent).join(', ')} ORDER BY __source) = 1`
      : ` QUALIFY __source = min(__source) OVER (PARTITION BY ${sqlIdent('timestamp')})`;
  const order = SORT_COLUMNS[table].map(sqlIdent).join(', ');
  await connection.run(
    `COPY (SELECT ${names} FROM (${union})${keepFirst} ORDER BY ${order}) TO ${sqlString(target)} ` +
      `(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${rowGroupRows}, PARQUET_VERSION V2)`,
  );
  await fsyncFile(target);
}

/** The digest of a Parquet file as the Parquet history reads it. */
export async function digestParquet(
  connection: DuckDBConnection,
  table: StoredTable,
  path: string,
  present: ReadonlySet<string>,
  visit?: (record: Readonly<Record<string, unknown>>) => void,
): Promise<TableDigest> {
  const columns = PARQUET_COLUMNS[table];
  const digest = createDigest(columns);
  const reader = recordReader<Readonly<Record<string, unknown>>>(columns, present);
  await forEachChunk(connection, `SELECT ${reader.select} FROM read_parquet(${sqlString(path)})`, (chunk) => {
    const records: Array<Readonly<Record<string, unknown>>> = [];
    reader.decode(chunk, records);
    for (const record of records) {
      digest.add(record);
      visit?.(record);
    }
  });
  return digest.result();
}

const overviewKey = (record: Readonly<Record<string, unknown>>) =>
  OVERVIEW_KEY_COLUMNS.map((column) => {
    const key = PARQUET_COLUMNS.overview.find((c) => c.name === column)!.key;
    const value = record[key];
    return value instanceof Date ? value.getTime() : String(value);
  }).join('|');

/**
 * What the sources hold, read the way the CSV history reads them (the overview keeping the first of a key),
 * and each snapshot's contract rows from the first source holding that snapshot.
 */
async function expectedDigest(
  connection: DuckDBConnection,
  table: StoredTable,
  sources: readonly Source[],
): Promise<TableDigest> {
  const digest = createDigest(PARQUET_COLUMNS[table]);
  const seen = new Set<string>();
  // Contract rows: instants held by earlier sources, and by the source being read.
  const earlier = new Set<number>();
  let current = new Set<number>();
  const add = (record: Readonly<Record<string, unknown>>) => {
    if (table === 'options') {
      const at = (record.timestamp as Date).getTime();
      if (earlier.has(at)) {
        return;
      }
      current.add(at);
    } else {
      const key = overviewKey(record);
      if (seen.has(key)) {
        return;
      }
      seen.add(key);
    }
    digest.add(record);
  };
  for (const source of sources) {
    if (source.type === 'parquet') {
      await digestParquet(connection, table, source.path, source.columns, add);
    } else {
      await forEachCsvRecord(source.path, TABLE_FIELDS[table], add);
    }
    for (const at of current) {
      earlier.add(at);
    }
    current = new Set();
  }
  return digest.result();
}

async function gzipInto(source: string, target: string): Promise<void> {
  const temp = `${target}.tmp`;
  await pipeline(createReadStream(source), createGzip({ level: 6 }), createWriteStream(temp));
  await fsyncFile(temp);
  await rename(temp, target);
}

function checkArguments(options: CompactDayOptions): void {
  if (!(INDEX_SYMBOLS as readonly string[]).includes(options.index) || !/^\d{8}$/.test(options.day)) {
    throw new Error(`not a stored day: ${options.index} ${options.day}`);
  }
  if (!options.isClosed(options.day)) {
    throw new DayNotClosedError(options.index, options.day);
  }
}

export async function compactDay(options: CompactDayOptions): Promise<CompactionResult> {
  checkArguments(options);
  const engine = options.engine ?? createParquetEngine();
  try {
    return await engine.withConnection((connection) => compactWith(connection, options));
  } finally {
    if (options.engine === undefined) {
      await engine.close();
    }
  }
}

async function compactWith(connection: DuckDBConnection, options: CompactDayOptions): Promise<CompactionResult> {
  const { index, day } = options;
  const dir = join(options.dataDir, 'csv', index, day);
  const step = async (name: CompactionStep, detail?: string) => options.onStep?.(name, detail);

  if (!existsSync(dir)) {
    return { status: 'empty', manifest: null, csvBytes: 0, removed: [] };
  }
  let state = await compactionStateOf(dir);
  if (state.conflicts.length > 0) {
    throw new CompactionConflictError(index, day, state.conflicts);
  }
  await removeStale(dir, state.manifest);
  await step('stale-removed');

  const previous = state.manifest;
  if (state.pending.length === 0) {
    if (previous === null) {
      return { status: 'empty', manifest: null, csvBytes: 0, removed: [] };
    }
    if (state.covered.length === 0 && previous.cleaned) {
      return { status: 'already-compacted', manifest: previous, csvBytes: 0, removed: [] };
    }
    const { manifest, removed } = await cleanUp(dir, previous, state.covered, options, step);
    return { status: 'cleaned-up', manifest, csvBytes: 0, removed };
  }
  if (previous !== null && state.covered.length > 0) {
    // Finish the earlier compaction's cleanup first, so the covered files are not read twice.
    await cleanUp(dir, previous, state.covered, options, step);
    state = await compactionStateOf(dir);
  }

  const generation = (previous?.generation ?? 0) + 1;
  const pending = await Promise.all(state.pending.map(async (name) => ({ name, stat: await stat(join(dir, name)) })));
  const prefixes: string[] = [];
  const tables = {} as Record<StoredTable, ManifestTable>;
  const temps: Record<StoredTable, string> = {
    options: join(dir, `${parquetName('options', generation)}.tmp`),
    overview: join(dir, `${parquetName('overview', generation)}.tmp`),
  };
  // A snapshot written to the day meanwhile (it was not closed after all) would be in neither place.
  const throwIfChanged = async () => {
    const changed = (
      await Promise.all(pending.map(async (p) => ((await changedSince(dir, p)) ? [p.name] : [])))
    ).flat();
    if (changed.length > 0) {
      await Promise.all(TABLES.map((t) => rm(temps[t], { force: true })));
      throw new CompactionConflictError(index, day, changed);
    }
  };
  let snapshotTimes: string[] = [];
  try {
    const sources = await sourcesOf(dir, previous, pending, prefixes);
    for (const table of TABLES) {
      await writeParquet(
        connection,
        table,
        sources[table],
        temps[table],
        options.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS,
      );
    }
    await step('parquet-written');
    for (const table of TABLES) {
      const columns = PARQUET_COLUMNS[table];
      const expected = await expectedDigest(connection, table, sources[table]);
      const actual = await digestParquet(connection, table, temps[table], new Set(columns.map((c) => c.name)));
      const difference = digestDifference(expected, actual);
      await throwIfChanged();
      if (difference !== null) {
        await Promise.all(TABLES.map((t) => rm(temps[t], { force: true })));
        throw new CompactionVerificationError(index, day, table, difference);
      }
      if (table === 'overview') {
        snapshotTimes = [...actual.perSnapshot.keys()].sort((a, b) => a - b).map((ms) => new Date(ms).toISOString());
      }
      tables[table] = {
        file: parquetName(table, generation),
        bytes: (await stat(temps[table])).size,
        rows: actual.rows,
        snapshots: actual.perSnapshot.size,
        hash: actual.hash,
        columns: columns.map((c) => ({ name: c.name, type: c.type })),
      };
    }
    await throwIfChanged();
    await step('verified');
    for (const table of TABLES) {
      await rename(temps[table], join(dir, tables[table].file));
    }
    await syncDirectory(dir);
    await step('parquet-renamed');
  } finally {
    await Promise.all(prefixes.map((p) => rm(p, { force: true })));
  }

  const sources: ManifestSource[] = pending.map(({ name, stat: s }) => ({
    name,
    bytes: s.size,
    ino: s.ino,
    mtimeMs: s.mtimeMs,
    birthtimeMs: s.birthtimeMs,
  }));
  const manifest: CompactionManifest = {
    version: MANIFEST_VERSION,
    index,
    day,
    generation,
    compactedAt: (options.now?.() ?? new Date()).toISOString(),
    tables,
    sources,
    cleaned: false,
    snapshotTimes,
  };
  await writeManifest(dir, manifest);
  await step('manifest-written');
  const csvBytes = sources.reduce((sum, s) => sum + s.bytes, 0);
  const cleaned = await cleanUp(
    dir,
    manifest,
    sources.map((s) => s.name),
    options,
    step,
  );
  return {
    status: previous === null ? 'compacted' : 'merged',
    manifest: cleaned.manifest,
    csvBytes,
    removed: cleaned.removed,
  };
}

/** Whether a CSV file grew or was rewritten since it was listed. */
async function changedSince(
  dir: string,
  listed: { readonly name: string; readonly stat: { readonly size: number; readonly mtimeMs: number } },
): Promise<boolean> {
  const now = await stat(join(dir, listed.name));
  return now.size !== listed.stat.size || now.mtimeMs !== listed.stat.mtimeMs;
}

/** Temp files of a crashed run, and Parquet files the committed manifest does not name. */
async function removeStale(dir: string, manifest: CompactionManifest | null): Promise<void> {
  const keep = new Set(manifest === null ? [] : [manifest.tables.options.file, manifest.tables.overview.file]);
  let removed = false;
  for (const name of await readdir(dir)) {
    if (STALE_PATTERN.test(name) || (PARQUET_PATTERN.test(name) && !keep.has(name))) {
      await rm(join(dir, name), { force: true });
      removed = true;
    }
  }
  const archive = join(dir, 'archive');
  for (const generation of await readdir(archive).catch(() => [] as string[])) {
    for (const name of await readdir(join(archive, generation)).catch(() => [] as string[])) {
      if (name.endsWith('.tmp')) {
        await rm(join(archive, generation, name), { force: true });
      }
    }
  }
  if (removed) {
    await syncDirectory(dir);
  }
}

async function sourcesOf(
  dir: string,
  previous: CompactionManifest | null,
  pending: ReadonlyArray<{ name: string; stat: { size: number } }>,
  prefixes: string[],
): Promise<Record<StoredTable, Source[]>> {
  const sources: Record<StoredTable, Source[]> = { options: [], overview: [] };
  if (previous !== null) {
    for (const table of TABLES) {
      const entry = previous.tables[table];
      sources[table].push({
        type: 'parquet',
        path: join(dir, entry.file),
        columns: new Set(entry.columns.map((c) => c.name)),
      });
    }
  }
  for (const { name, stat: s } of pending) {
    const path = join(dir, name);
    let readPath = path;
    if (!name.endsWith('.gz')) {
      const end = await completeLinesEnd(path);
      if (end === 0) {
        continue;
      }
      if (end < s.size) {
        // A torn last line (a crash the day never recovered from): DuckDB reads the complete lines only.
        readPath = join(dir, `.${name}.prefix.tmp`);
        prefixes.push(readPath);
        await pipeline(createReadStream(path, { end: end - 1 }), createWriteStream(readPath));
      }
    }
    const header = await csvHeaderOf(path);
    if (header.length === 0) {
      continue;
    }
    sources[csvTableOf(name)].push({ type: 'csv', path: readPath, header });
  }
  return sources;
}

/**
 * The archive name of a plain CSV file: gzipped beside the day's gzip sources, which keep their names, so
 * `options.csv` becomes `options.plain.csv.gz` when `options.csv.gz` is archived too. Fixed by the
 * manifest, so a rerun after a crash overwrites its own half-done copy.
 */
function archivedName(name: string, sources: readonly ManifestSource[]): string {
  return sources.some((s) => s.name === `${name}.gz`) ? name.replace(/\.csv$/, '.plain.csv.gz') : `${name}.gz`;
}

/** Removes (or archives) the covered CSV files and old Parquet files; then marks the manifest cleaned. */
async function cleanUp(
  dir: string,
  manifest: CompactionManifest,
  covered: readonly string[],
  options: CompactDayOptions,
  step: (name: CompactionStep, detail?: string) => Promise<void>,
): Promise<{ manifest: CompactionManifest; removed: string[] }> {
  const removed: string[] = [];
  const archive = join(dir, 'archive', String(manifest.generation));
  const sources = new Map(manifest.sources.map((s) => [s.name, s]));
  for (const name of covered) {
    const path = join(dir, name);
    const source = sources.get(name);
    if (
      source === undefined ||
      (await changedSince(dir, { name, stat: { size: source.bytes, mtimeMs: source.mtimeMs } }))
    ) {
      throw new CompactionConflictError(manifest.index, manifest.day, [name]);
    }
    if (options.keepCsv === 'gzip-archive') {
      await mkdir(archive, { recursive: true });
      if (name.endsWith('.gz')) {
        await rename(path, join(archive, name));
      } else {
        await gzipInto(path, join(archive, archivedName(name, manifest.sources)));
        await unlink(path);
      }
      await syncDirectory(archive);
    } else {
      await unlink(path);
    }
    await syncDirectory(dir);
    removed.push(name);
    await step('source-removed', name);
  }
  const keep = new Set([manifest.tables.options.file, manifest.tables.overview.file]);
  for (const name of await readdir(dir)) {
    if (PARQUET_PATTERN.test(name) && !keep.has(name)) {
      await rm(join(dir, name), { force: true });
    }
  }
  const cleaned = { ...manifest, cleaned: true };
  await writeManifest(dir, cleaned);
  await step('cleaned');
  return { manifest: cleaned, removed };
}
