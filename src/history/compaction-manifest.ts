/**
 * `compacted.json`, the commit record of a compacted day: written last, atomically, once the day's
 * Parquet files have been verified against its CSV files. It names the Parquet files (the only ones a
 * reader may open) and the CSV files they hold, each by name, size, inode and mtime, so a CSV file that
 * outlived a crash during cleanup is known to be covered, while one written later (a late snapshot that
 * reopened the day) is not. Once cleanup has removed them all the manifest is rewritten with `cleaned`.
 */
import { open, readdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { syncDirectory, writeFully } from '../sinks/file-tail.ts';
import { PARQUET_TYPE_OF_KIND } from './parquet-schema.ts';

export const MANIFEST_FILE = 'compacted.json';
/** Bumped when the layout or the type mapping changes in a way older readers cannot read. */
export const MANIFEST_VERSION = 1;

const parquetTypes = [...new Set(Object.values(PARQUET_TYPE_OF_KIND))] as [string, ...string[]];

const tableSchema = z.object({
  file: z.string().regex(/^(options|overview)(\.\d+)?\.parquet$/),
  bytes: z.number().int().nonnegative(),
  rows: z.number().int().nonnegative(),
  snapshots: z.number().int().nonnegative(),
  hash: z.string().regex(/^[0-9a-f]{16}$/),
  columns: z.array(z.object({ name: z.string(), type: z.enum(parquetTypes) })),
});

const sourceSchema = z.object({
  name: z.string(),
  bytes: z.number().int().nonnegative(),
  ino: z.number(),
  mtimeMs: z.number(),
  /** 0 where the file system keeps no birth time. */
  birthtimeMs: z.number(),
});

const manifestSchema = z.object({
  version: z.literal(MANIFEST_VERSION),
  index: z.string(),
  day: z.string().regex(/^\d{8}$/),
  generation: z.number().int().positive(),
  compactedAt: z.string(),
  tables: z.object({ options: tableSchema, overview: tableSchema }),
  sources: z.array(sourceSchema),
  /** Every source was removed (or archived): any CSV file in the folder now is a new one. */
  cleaned: z.boolean(),
  /**
   * The instant (ISO, as the CSV rows spell it) of every snapshot the Parquet files hold, so the CSV sink
   * refuses a re-delivered snapshot of a compacted day as it does one of an open day. Absent in
   * manifests written before it was recorded: readers and the next merge drop such duplicates instead.
   */
  snapshotTimes: z.array(z.string()).optional(),
});

export type CompactionManifest = z.infer<typeof manifestSchema>;
export type ManifestTable = z.infer<typeof tableSchema>;
export type ManifestSource = z.infer<typeof sourceSchema>;

export class ManifestError extends Error {
  constructor(path: string, cause: unknown) {
    super(`unreadable compaction manifest ${path}`, { cause });
    this.name = 'ManifestError';
  }
}

/** The day's manifest, or null when the day was never compacted. */
export async function readManifest(dayDir: string): Promise<CompactionManifest | null> {
  const path = join(dayDir, MANIFEST_FILE);
  let text: string;
  try {
    const handle = await open(path, 'r');
    try {
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return null;
    }
    throw error;
  }
  try {
    return manifestSchema.parse(JSON.parse(text));
  } catch (error) {
    throw new ManifestError(path, error);
  }
}

/** Temp file, fsync, rename over the old manifest, fsync of the directory: the commit point. */
export async function writeManifest(dayDir: string, manifest: CompactionManifest): Promise<void> {
  const path = join(dayDir, MANIFEST_FILE);
  const temp = `${path}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await writeFully(handle, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  await syncDirectory(dayDir);
}

/** Names of the CSV store's files in a day folder (the CSV history reads exactly these). */
export const CSV_FILE_PATTERN = /^(options|overview)(\.legacy-\d+|\.\d+)?\.csv(\.gz)?$/;

export interface DayCompactionState {
  readonly manifest: CompactionManifest | null;
  /** CSV files the manifest's Parquet files hold: readers must skip them; cleanup removes them. */
  readonly covered: readonly string[];
  /** CSV files not yet compacted (all of them on a day never compacted). */
  readonly pending: readonly string[];
  /**
   * CSV files the manifest covers but that have changed since (appended to after compaction read them):
   * their covered rows are in Parquet and their new rows are not. Compaction refuses such a day.
   */
  readonly conflicts: readonly string[];
}

/** How the CSV files of a day folder stand against its manifest. */
export async function compactionStateOf(dayDir: string): Promise<DayCompactionState> {
  let names: string[];
  try {
    names = await readdir(dayDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { manifest: null, covered: [], pending: [], conflicts: [] };
    }
    throw error;
  }
  const manifest = await readManifest(dayDir);
  const sources = new Map(manifest === null || manifest.cleaned ? [] : manifest.sources.map((s) => [s.name, s]));
  const covered: string[] = [];
  const pending: string[] = [];
  const conflicts: string[] = [];
  for (const name of names.filter((n) => CSV_FILE_PATTERN.test(n)).sort()) {
    const source = sources.get(name);
    if (source === undefined) {
      pending.push(name);
      continue;
    }
    const now = await stat(join(dayDir, name));
    if (now.ino !== source.ino || now.birthtimeMs !== source.birthtimeMs) {
      // A new file under an old name: the old one was removed by cleanup.
      pending.push(name);
    } else if (now.size === source.bytes && now.mtimeMs === source.mtimeMs) {
      covered.push(name);
    } else {
      conflicts.push(name);
    }
  }
  return { manifest, covered, pending, conflicts };
}
