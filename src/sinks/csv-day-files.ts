import { createReadStream, existsSync } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { readManifest } from '../history/compaction-manifest.ts';
import { OPTIONS_HEADER, OVERVIEW_HEADER, type RenderedSnapshot } from './csv-rows.ts';
import { createFileAtomically, cutTornTail, linesBackward, writeFully } from './file-tail.ts';

/** What opening a day found and repaired; every count is also a metric. */
export interface DayRecovery {
  /** Bytes of torn last lines cut off (crash or full disk mid-line). */
  readonly tornBytes: number;
  /** Rows of snapshots that were written but never committed (no complete overview rows). */
  readonly uncommittedRows: number;
  /** Files set aside because their header is not the current one (an older G6 build wrote them). */
  readonly legacyFiles: readonly string[];
}

export type AppendResult = { readonly written: true } | { readonly written: false; readonly reason: 'duplicate' };

/**
 * The two files of one index and one IST day. A snapshot is appended as one write per file, options
 * first, each followed by `datasync`; its overview rows are written last and are its commit record. On
 * opening, a torn line is cut, and contract rows whose snapshot has no complete set of overview rows
 * are removed, so after any crash the files hold whole committed snapshots only.
 */
export interface CsvDayFiles {
  readonly day: string;
  readonly recovery: DayRecovery;
  has(timestamp: string): boolean;
  append(rendered: RenderedSnapshot): Promise<AppendResult>;
  close(): Promise<void>;
}

const OPTIONS_FILE = 'options.csv';
const OVERVIEW_FILE = 'overview.csv';
/** `overview.csv.gz` and `overview.legacy-N.csv(.gz)`. */
const OTHER_OVERVIEW_FILE = /^overview(\.legacy-\d+\.csv(\.gz)?|\.csv\.gz)$/;

/** `timestamp` and `expiry` of a stored row: the first and the third field (neither is ever quoted). */
function keyOf(line: string, expiryField: number): { timestamp: string; expiry: string } {
  const fields = line.split(',', expiryField + 1);
  return { timestamp: fields[0] ?? '', expiry: fields[expiryField] ?? '' };
}

/** Whether the file at `path` exists and starts with a header other than `header`. */
async function hasOtherHeader(path: string, header: string): Promise<boolean> {
  if (!existsSync(path)) {
    return false;
  }
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(header.length);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return !(bytesRead === header.length && head.toString('latin1') === header);
  } finally {
    await handle.close();
  }
}

/** Renames a file written by a build with other columns to the first free `<stem>.legacy-N.csv`. */
async function setAside(path: string, legacy: string[]): Promise<void> {
  const dir = join(path, '..');
  const names = new Set(await readdir(dir));
  let n = 1;
  const stem = path.slice(path.lastIndexOf('/') + 1, -'.csv'.length);
  while (names.has(`${stem}.legacy-${n}.csv`) || names.has(`${stem}.legacy-${n}.csv.gz`)) {
    n += 1;
  }
  const aside = join(dir, `${stem}.legacy-${n}.csv`);
  await rename(path, aside);
  legacy.push(aside);
}

async function openWithHeader(path: string, header: string): Promise<FileHandle> {
  if (!existsSync(path)) {
    await createFileAtomically(path, header);
  }
  return open(path, 'r+');
}

/** Timestamps (with their expiries) of every snapshot in an overview file, in file order. */
async function readOverviewKeys(path: string, gzip: boolean): Promise<Array<{ timestamp: string; expiry: string }>> {
  const input = createReadStream(path);
  const lines = createInterface({ input: gzip ? input.pipe(createGunzip()) : input, crlfDelay: Infinity });
  const keys: Array<{ timestamp: string; expiry: string }> = [];
  let first = true;
  for await (const line of lines) {
    if (first) {
      first = false;
      continue;
    }
    if (line.length > 0) {
      keys.push(keyOf(line, 3));
    }
  }
  return keys;
}

export async function openCsvDay(dayDir: string, day: string): Promise<CsvDayFiles> {
  // A compacted day reopened by a late snapshot: the snapshots its Parquet files hold are stored too.
  // (An unreadable manifest is the readers' error to report; the snapshot is still stored.)
  const manifest = await readManifest(dayDir).catch(() => null);
  const stored: ReadonlySet<string> = new Set(manifest?.snapshotTimes ?? []);
  if (manifest !== null && !existsSync(join(dayDir, OPTIONS_FILE)) && !existsSync(join(dayDir, OVERVIEW_FILE))) {
    // No CSV files until a snapshot is written: empty ones would reopen the day for readers and compaction.
    return deferredDayFiles(day, stored, () => openDayFiles(dayDir, day, stored));
  }
  return openDayFiles(dayDir, day, stored);
}

const NOTHING_RECOVERED: DayRecovery = { tornBytes: 0, uncommittedRows: 0, legacyFiles: [] };

/** A compacted day's files, created by the first snapshot its Parquet files do not hold. */
function deferredDayFiles(day: string, stored: ReadonlySet<string>, open: () => Promise<CsvDayFiles>): CsvDayFiles {
  let files: CsvDayFiles | null = null;
  return {
    day,
    recovery: NOTHING_RECOVERED,
    has: (timestamp) => (files === null ? stored.has(timestamp) : files.has(timestamp)),
    async append(rendered) {
      if (files === null) {
        if (stored.has(rendered.timestamp)) {
          return { written: false, reason: 'duplicate' };
        }
        files = await open();
      }
      return files.append(rendered);
    },
    async close() {
      await files?.close();
    },
  };
}

async function openDayFiles(dayDir: string, day: string, stored: ReadonlySet<string>): Promise<CsvDayFiles> {
  await mkdir(dayDir, { recursive: true });
  const legacy: string[] = [];
  const optionsPath = join(dayDir, OPTIONS_FILE);
  const overviewPath = join(dayDir, OVERVIEW_FILE);
  // Written by a build with other columns: kept readable under its own header, and the two files are
  // set aside together, since the overview rows are the commit record of the contract rows beside them
  // (with the overview file alone set aside, every contract row would read as uncommitted and be cut).
  if ((await hasOtherHeader(optionsPath, OPTIONS_HEADER)) || (await hasOtherHeader(overviewPath, OVERVIEW_HEADER))) {
    for (const path of [optionsPath, overviewPath]) {
      if (existsSync(path)) {
        await setAside(path, legacy);
      }
    }
  }
  const options = await openWithHeader(optionsPath, OPTIONS_HEADER);
  let overview: FileHandle;
  try {
    overview = await openWithHeader(overviewPath, OVERVIEW_HEADER);
  } catch (error) {
    await options.close();
    throw error;
  }
  try {
    const tornBytes =
      (await cutTornTail(options, join(dayDir, OPTIONS_FILE), OPTIONS_HEADER.length)) +
      (await cutTornTail(overview, join(dayDir, OVERVIEW_FILE), OVERVIEW_HEADER.length));
    const committed = new Set<string>();
    for (const key of await readOverviewKeys(join(dayDir, OVERVIEW_FILE), false)) {
      committed.add(key.timestamp);
    }
    const uncommittedRows = await dropUncommitted(options, overview, committed);
    // Snapshots stored in the day's other overview files: compressed earlier (a late snapshot reopened
    // the day), or set aside by an upgrade that changed the columns.
    for (const name of (await readdir(dayDir)).filter((n) => OTHER_OVERVIEW_FILE.test(n)).sort()) {
      for (const key of await readOverviewKeys(join(dayDir, name), name.endsWith('.gz'))) {
        committed.add(key.timestamp);
      }
    }
    for (const timestamp of stored) {
      committed.add(timestamp);
    }
    return dayFiles(day, options, overview, committed, { tornBytes, uncommittedRows, legacyFiles: legacy });
  } catch (error) {
    await Promise.allSettled([options.close(), overview.close()]);
    throw error;
  }
}

/**
 * Removes contract rows not covered by a complete commit. Writes are serialised per index and each
 * snapshot's options rows are synced before its overview rows, so only the tail can be uncommitted:
 * contract rows whose snapshot has no overview rows, or a last snapshot whose overview rows stop short
 * of the expiries its contract rows name. Returns the number of rows removed; `committed` loses a
 * snapshot dropped that way.
 */
async function dropUncommitted(options: FileHandle, overview: FileHandle, committed: Set<string>): Promise<number> {
  const overviewSize = (await overview.stat()).size;
  const optionsSize = (await options.stat()).size;
  let lastTimestamp: string | null = null;
  let lastSnapshotStart = overviewSize;
  const lastExpiries = new Set<string>();
  for await (const line of linesBackward(overview, OVERVIEW_HEADER.length, overviewSize)) {
    const key = keyOf(line.text, 3);
    lastTimestamp ??= key.timestamp;
    if (key.timestamp !== lastTimestamp) {
      break;
    }
    lastExpiries.add(key.expiry);
    lastSnapshotStart = line.start;
  }

  let removed = 0;
  let keepOptions = optionsSize;
  let lastBlockStart = optionsSize;
  let complete = true;
  for await (const line of linesBackward(options, OPTIONS_HEADER.length, optionsSize)) {
    const key = keyOf(line.text, 2);
    if (keepOptions === lastBlockStart && !committed.has(key.timestamp)) {
      removed += 1;
      keepOptions = line.start;
      lastBlockStart = line.start;
      continue;
    }
    if (key.timestamp !== lastTimestamp) {
      break;
    }
    lastBlockStart = line.start;
    if (!lastExpiries.has(key.expiry)) {
      complete = false;
    }
  }
  if (!complete && lastTimestamp !== null) {
    // The last snapshot's overview write was cut short: drop the whole snapshot from both files.
    for await (const _ of linesBackward(options, lastBlockStart, keepOptions)) {
      removed += 1;
    }
    for await (const _ of linesBackward(overview, lastSnapshotStart, overviewSize)) {
      removed += 1;
    }
    keepOptions = lastBlockStart;
    committed.delete(lastTimestamp);
    await overview.truncate(lastSnapshotStart);
    await overview.datasync();
  }
  if (keepOptions !== optionsSize) {
    await options.truncate(keepOptions);
    await options.datasync();
  }
  return removed;
}

function dayFiles(
  day: string,
  options: FileHandle,
  overview: FileHandle,
  committed: Set<string>,
  recovery: DayRecovery,
): CsvDayFiles {
  let sizes: Promise<{ options: number; overview: number }> = Promise.all([options.stat(), overview.stat()]).then(
    ([o, v]) => ({ options: o.size, overview: v.size }),
  );
  let broken: Error | null = null;
  return {
    day,
    recovery,
    has: (timestamp) => committed.has(timestamp),
    async append(rendered) {
      if (broken !== null) {
        throw broken;
      }
      if (committed.has(rendered.timestamp)) {
        return { written: false, reason: 'duplicate' };
      }
      const before = await sizes;
      const optionsBytes = Buffer.from(rendered.options);
      const overviewBytes = Buffer.from(rendered.overview);
      try {
        await writeFully(options, optionsBytes, before.options);
        await options.datasync();
        await writeFully(overview, overviewBytes, before.overview);
        await overview.datasync();
      } catch (error) {
        // Undo the partial append so the files end on the last commit; if even that fails the day must
        // be reopened (and recovered) before anything else is written to it.
        try {
          await options.truncate(before.options);
          await overview.truncate(before.overview);
          await Promise.all([options.datasync(), overview.datasync()]);
        } catch {
          broken = new DayFilesBrokenError(error);
        }
        throw error;
      }
      sizes = Promise.resolve({
        options: before.options + optionsBytes.length,
        overview: before.overview + overviewBytes.length,
      });
      committed.add(rendered.timestamp);
      return { written: true };
    },
    async close() {
      await Promise.allSettled([options.close(), overview.close()]);
    },
  };
}

/** A failed append could not be rolled back: the day must be reopened (and recovered) before more writes. */
export class DayFilesBrokenError extends Error {
  constructor(cause: unknown) {
    super('CSV day files could not be rolled back after a failed write; reopen to recover', { cause });
    this.name = 'DayFilesBrokenError';
  }
}
