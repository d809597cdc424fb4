import { existsSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createCalendar } from '../app/market-calendar.ts';
import { type AnalysisSettings, buildIndexSnapshot, tradingDayOf } from '../collectors/collect-once.ts';
import { DayBaselines } from '../collectors/day-baselines.ts';
import { loadConfig } from '../config.ts';
import { INDEX_SYMBOLS, type IndexSymbol, isIndexSymbol } from '../domain/indices.ts';
import { isIsoDate } from '../domain/ist-time.ts';
import { createExchangeClock } from '../domain/market-clock.ts';
import type { IndexSnapshot } from '../domain/snapshot.ts';
import { createCsvHistory } from '../history/csv-history.ts';
import { groupG6PythonDay, provenExpiryTags, type SnapshotPlan, sourceKey } from '../history/g6-python-grouping.ts';
import { createIvComparison, type IvComparison, type IvComparisonReport } from '../history/g6-python-iv.ts';
import {
  type G6PythonFile,
  type G6PythonRow,
  parseG6PythonPath,
  parseG6PythonRow,
  readG6PythonHeader,
  SKIP_REASON_TEXT,
  SKIP_REASONS,
  type SkipReason,
} from '../history/g6-python-rows.ts';
import { parseCsvLine } from '../sinks/csv-format.ts';
import { renderSnapshot } from '../sinks/csv-rows.ts';
import { createCsvSink } from '../sinks/csv-sink.ts';
import { DataDirLockedError, lockDataDir } from '../sinks/data-dir-lock.ts';
import { createProgressFactory, type Progress } from './progress.ts';

export interface ImportIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { readonly isTTY?: boolean; readonly columns?: number };
}

export interface ImportOptions {
  /** The clock of the lock's start time, the progress line and the rate. */
  readonly now?: () => Date;
}

export const IMPORT_USAGE = `Usage: g6 import g6-python <dir> [--index NIFTY,...] [--from YYYY-MM-DD] [--to YYYY-MM-DD]
                           [--group-seconds N] [--json]

Imports the day files of the Python G6 (<dir>/<INDEX>/<expiry_tag>/<offset>/<YYYY-MM-DD>.csv) into
G6's CSV store (G6_DATA_DIR, as the server reads it). Each collection cycle becomes one snapshot analysed
by G6 itself (its IV, Greeks and summaries, under the configured conventions); the Python IVs are only
compared with G6's. Rows that cannot be mapped are counted by reason, never guessed. Importing the same
files again adds nothing. Refused (exit 2) while a server writes the data directory.

  --index          only these indices (comma-separated)
  --from, --to     only the days in this range (the files' dates, inclusive)
  --group-seconds  one snapshot per N-second window of timestamps (default 0: per exact timestamp);
                   rows of one window must agree on index_price
  --json           print one JSON object instead of the summary

Exit status: 0 when snapshots were imported (or were already there), 1 on an I/O error or when nothing
could be imported, 2 for bad arguments or a data directory in use.
`;

/** What `--json` prints. */
export interface ImportReport {
  readonly ok: boolean;
  readonly source: string;
  readonly dataDir: string;
  readonly groupSeconds: number;
  readonly files: { readonly read: number; readonly ignored: number; readonly ignoredExamples: readonly string[] };
  /** Each (index, day) with snapshots; `otherSnapshots`: ones already stored that this import did not make. */
  readonly days: ReadonlyArray<{
    readonly index: IndexSymbol;
    readonly date: string;
    readonly snapshots: number;
    readonly otherSnapshots: number;
  }>;
  readonly snapshots: { readonly written: number; readonly alreadyStored: number; readonly rejected: number };
  readonly rows: {
    readonly read: number;
    /** In snapshots written now. */
    readonly imported: number;
    /** In snapshots the store already had (an earlier import of the same files). */
    readonly alreadyStored: number;
    /** Of imported and alreadyStored: rows identical to another (one contract filed under two tags). */
    readonly merged: number;
    readonly skipped: Readonly<Record<SkipReason, number>>;
  };
  readonly iv: IvComparisonReport;
  /** Expiry tags G6 gave an expiry that the files do not prove (provenExpiryTags): not stored. */
  readonly tagsNotStored: number;
  /** The first reason of each snapshot the CSV checks rejected (at most 5). */
  readonly rejections: readonly string[];
  readonly elapsedMs: number;
  readonly rowsPerSecond: number | null;
  readonly error: string | null;
}

type ParsedArgs =
  | { readonly error: string }
  | { readonly help: true }
  | {
      readonly help: false;
      readonly dir: string;
      readonly indices: ReadonlySet<IndexSymbol> | null;
      readonly from: string | null;
      readonly to: string | null;
      readonly groupSeconds: number;
      readonly json: boolean;
    };

const MAX_GROUP_SECONDS = 3600;

const IMPORT_OPTIONS = {
  index: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  'group-seconds': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parseImportArgs(argv: readonly string[]): ParsedArgs {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof IMPORT_OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: IMPORT_OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    return { error: (error as Error).message };
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    return { help: true };
  }
  const [source, dir, ...extra] = positionals;
  if (source !== 'g6-python') {
    return { error: source === undefined ? 'name the source: g6-python' : `unknown source ${JSON.stringify(source)}` };
  }
  if (dir === undefined || extra.length > 0) {
    return { error: dir === undefined ? 'give the directory to import' : `unexpected argument ${extra[0]}` };
  }
  let indices: Set<IndexSymbol> | null = null;
  if (values.index !== undefined) {
    const names = values.index.split(',').map((s) => s.trim().toUpperCase());
    const unknown = names.filter((n) => !isIndexSymbol(n));
    if (unknown.length > 0 || names.length === 0) {
      return { error: `--index: unknown ${unknown.join(', ')} (known: ${INDEX_SYMBOLS.join(', ')})` };
    }
    indices = new Set(names as IndexSymbol[]);
  }
  for (const [name, value] of [
    ['--from', values.from],
    ['--to', values.to],
  ] as const) {
    if (value !== undefined && !isIsoDate(value)) {
      return { error: `${name} ${JSON.stringify(value)}: expected a date YYYY-MM-DD` };
    }
  }
  if (values.from !== undefined && values.to !== undefined && values.from > values.to) {
    return { error: `--from ${values.from} is after --to ${values.to}` };
  }
  const groupText = values['group-seconds'] ?? '0';
  const groupSeconds = /^\d+$/.test(groupText) ? Number(groupText) : Number.NaN;
  if (!(groupSeconds >= 0 && groupSeconds <= MAX_GROUP_SECONDS)) {
    return { error: `--group-seconds ${JSON.stringify(groupText)}: expected a whole number 0..${MAX_GROUP_SECONDS}` };
  }
  return {
    help: false,
    dir,
    indices,
    from: values.from ?? null,
    to: values.to ?? null,
    groupSeconds,
    json: values.json === true,
  };
}

/** Every file under `root`: those in the Python layout, and the rest (relative paths). */
async function discover(root: string): Promise<{ files: G6PythonFile[]; ignored: string[] }> {
  const files: G6PythonFile[] = [];
  const ignored: string[] = [];
  const walk = async (parts: string[]) => {
    const entries = await readdir(join(root, ...parts), { withFileTypes: true });
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const path = [...parts, entry.name];
      if (entry.isDirectory()) {
        await walk(path);
      } else {
        const file = entry.isFile() ? parseG6PythonPath(path) : null;
        if (file === null) {
          ignored.push(path.join('/'));
        } else {
          files.push(file);
        }
      }
    }
  };
  await walk([]);
  return { files, ignored };
}

function emptySkips(): Record<SkipReason, number> {
  return Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<SkipReason, number>;
}

function addIv(comparison: IvComparison, snapshot: IndexSnapshot, plan: SnapshotPlan): void {
  for (const chain of snapshot.chains) {
    for (const row of chain.strikes) {
      const source = plan.sources.get(sourceKey(chain.expiry, row.strike));
      if (source === undefined) {
        continue;
      }
      if (source.call !== null) {
        comparison.add(source.call.iv, row.call?.analytics.iv ?? null);
      }
      if (source.put !== null) {
        comparison.add(source.put.iv, row.put?.analytics.iv ?? null);
      }
    }
  }
}

const LAYOUT = '<INDEX>/<expiry_tag>/<offset>/<YYYY-MM-DD>.csv';

export function renderImportSummary(report: ImportReport): string {
  const lines: string[] = [];
  const { rows, snapshots, iv } = report;
  lines.push(`g6 import g6-python: ${report.source} -> ${report.dataDir}`);
  const ignored =
    report.files.ignored === 0
      ? ''
      : `, ${report.files.ignored} ignored (not ${LAYOUT}: ${report.files.ignoredExamples.join(', ')}${
          report.files.ignored > report.files.ignoredExamples.length ? ', ...' : ''
        })`;
  lines.push(`files      ${report.files.read} read${ignored}`);
  if (report.days.length > 0) {
    lines.push(
      `days       ${report.days
        .map(
          (d) =>
            `${d.index} ${d.date} (${d.snapshots} snapshots${d.otherSnapshots > 0 ? `, ${d.otherSnapshots} stored by something else` : ''})`,
        )
        .join('; ')}`,
    );
  }
  lines.push(
    `snapshots  ${snapshots.written} written, ${snapshots.alreadyStored} already stored, ${snapshots.rejected} rejected` +
      (report.groupSeconds > 0 ? ` (grouped by ${report.groupSeconds} s)` : ''),
  );
  const skippedTotal = Object.values(rows.skipped).reduce((a, b) => a + b, 0);
  lines.push(
    `rows       ${rows.read} read: ${rows.imported} imported, ${rows.alreadyStored} already stored, ${skippedTotal} skipped` +
      (rows.merged > 0 ? ` (${rows.merged} of those kept were the same contract filed under a second tag)` : ''),
  );
  if (skippedTotal > 0) {
    const reasons = SKIP_REASONS.filter((r) => rows.skipped[r] > 0);
    const width = Math.max('reason'.length, ...reasons.map((r) => r.length));
    const countWidth = Math.max('rows'.length, ...reasons.map((r) => String(rows.skipped[r]).length));
    lines.push('skipped rows by reason:');
    lines.push(`  ${'reason'.padEnd(width)}  ${'rows'.padStart(countWidth)}  meaning`);
    for (const reason of reasons) {
      lines.push(
        `  ${reason.padEnd(width)}  ${String(rows.skipped[reason]).padStart(countWidth)}  ${SKIP_REASON_TEXT[reason]}`,
      );
    }
  }
  if (iv.pythonUnit === null) {
    lines.push('IV         the files carry no Python IVs to compare');
  } else {
    const share = Math.round((iv.pythonAbove2Share ?? 0) * 100);
    const diff =
      iv.compared === 0
        ? 'nothing to compare'
        : `median |Python - G6| ${iv.medianAbsDiffVolPoints?.toFixed(3)} vol points, ${iv.overOneVolPoint} over 1 vol point`;
    lines.push(
      `IV         Python IVs read as ${iv.pythonUnit} (${share}% above 2); ${iv.compared} legs compared: ${diff}; ` +
        `${iv.pythonOnly} with a Python IV only, ${iv.g6Only} with a G6 IV only`,
    );
  }
  if (report.tagsNotStored > 0) {
    lines.push(
      `tags       ${report.tagsNotStored} expiry tags G6 gave were not stored: the files do not prove them (they lack expiries)`,
    );
  }
  if (report.rejections.length > 0) {
    lines.push(`rejected   ${report.rejections.join('; ')}`);
  }
  const rate = report.rowsPerSecond === null ? '' : ` (${Math.round(report.rowsPerSecond)} rows/s)`;
  lines.push(`time       ${(report.elapsedMs / 1000).toFixed(1)} s${rate}`);
  if (report.error !== null) {
    lines.push(`error      ${report.error}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `g6 import g6-python <dir>`: the Python G6's day files into G6's CSV store (README "Migrating from the
 * Python G6"). Returns the exit code: 0 imported (or already stored), 1 I/O error or nothing importable,
 * 2 bad arguments or the data directory in use.
 */
export async function runImport(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: ImportIo,
  options: ImportOptions = {},
): Promise<number> {
  const now = options.now ?? (() => new Date());
  const args = parseImportArgs(argv);
  if ('error' in args) {
    io.stderr.write(`g6 import: ${args.error}\n\n${IMPORT_USAGE}`);
    return 2;
  }
  if (args.help) {
    io.stdout.write(IMPORT_USAGE);
    return 0;
  }
  const loaded = loadConfig(env, []);
  if (loaded.kind !== 'config') {
    const errors = loaded.kind === 'invalid' ? loaded.errors : [];
    io.stderr.write(`g6 import: invalid configuration\n${errors.map((e) => `  ${e}\n`).join('')}`);
    return 2;
  }
  const { config } = loaded;
  const source = resolve(args.dir);
  if (!existsSync(source) || !statSync(source).isDirectory()) {
    io.stderr.write(`g6 import: ${source} is not a directory\n\n${IMPORT_USAGE}`);
    return 2;
  }
  const dataDir = resolve(config.dataDir);

  const startedAt = now();
  let lost: Error | null = null;
  let lock: Awaited<ReturnType<typeof lockDataDir>>;
  try {
    lock = await lockDataDir(dataDir, {
      role: 'import',
      startedAt,
      onCompromised: (error) => {
        lost = error;
      },
    });
  } catch (error) {
    if (error instanceof DataDirLockedError) {
      io.stderr.write(`g6 import: ${error.message}\n`);
      return 2;
    }
    io.stderr.write(`g6 import: cannot lock ${dataDir}: ${(error as Error).message}\n`);
    return 1;
  }

  const calendar = createCalendar(config);
  // Imported data is exchange data, whatever clock the simulated market would run on.
  const settings: AnalysisSettings = {
    conventions: config.conventions,
    // Every strike the files have: the server's window would drop imported rows unseen.
    strikesAroundAtm: 0,
    clock: createExchangeClock(calendar),
    staleAfterMs: config.staleQuoteMs,
  };
  const skipped = emptySkips();
  const skip = (reason: SkipReason, count: number) => {
    skipped[reason] += count;
  };
  const comparison = createIvComparison();
  const days: Array<ImportReport['days'][number]> = [];
  const rejections: string[] = [];
  const counts = {
    filesRead: 0,
    rowsRead: 0,
    rowsImported: 0,
    rowsAlreadyStored: 0,
    merged: 0,
    written: 0,
    alreadyStored: 0,
    rejected: 0,
    tagsNotStored: 0,
  };
  let duplicates = 0;
  let ignored: string[] = [];
  let error: string | null = null;
  let progress: Progress | null = null;
  const sink = createCsvSink({
    dataDir,
    now,
    events: {
      onDuplicate: () => {
        duplicates += 1;
      },
    },
  });
  const history = createCsvHistory({ dataDir });

  const importPlans = async (index: IndexSymbol, date: string, plans: readonly SnapshotPlan[]) => {
    const existing = await history.overviewDay(index, date.replaceAll('-', ''));
    const planned = new Set(plans.map((p) => p.data.observedAt.getTime()));
    const other = new Set(existing.map((r) => r.timestamp.getTime()).filter((t) => !planned.has(t)));
    const baselines = new DayBaselines();
    let snapshots = 0;
    for (const [i, plan] of plans.entries()) {
      if (lost !== null) {
        throw new Error(`the data directory lock was lost: ${(lost as Error).message}`);
      }
      progress?.update(counts.filesRead, `${index} ${date}: snapshot ${i + 1}/${plans.length}`);
      let snapshot: IndexSnapshot;
      try {
        snapshot = buildIndexSnapshot(
          plan.data,
          i + 1,
          settings,
          baselines.observe(plan.data, tradingDayOf(settings, plan.data)),
        );
      } catch {
        skip('analysis-failed', plan.rows);
        continue;
      }
      let rows = plan.rows;
      const built = new Set(snapshot.chains.map((c) => c.expiry));
      for (const [expiry, count] of plan.rowsByExpiry) {
        if (!built.has(expiry)) {
          skip('analysis-failed', count);
          rows -= count;
        }
      }
      // G6's tags are over the expiries it sees; where the files miss some, it could name the wrong ones.
      const proven = provenExpiryTags(
        snapshot.observedAt,
        new Map(snapshot.chains.map((c) => [c.expiry, c.expiryTags])),
        plan.pythonTags,
      );
      snapshot = {
        ...snapshot,
        chains: snapshot.chains.map((chain) => {
          const expiryTags = proven.get(chain.expiry) ?? [];
          counts.tagsNotStored += chain.expiryTags.length - expiryTags.length;
          return { ...chain, expiryTags };
        }),
      };
      if (snapshot.chains.length === 0) {
        continue;
      }
      const rendered = renderSnapshot(snapshot);
      if (rendered.rejected.length > 0) {
        skip('sink-rejected', rows);
        counts.rejected += 1;
        if (rejections.length < 5) {
          rejections.push(`${snapshot.observedAt.toISOString()}: ${rendered.rejected[0]!.reason}`);
        }
        continue;
      }
      const before = duplicates;
      await sink.write(snapshot);
      if (duplicates > before) {
        counts.alreadyStored += 1;
        counts.rowsAlreadyStored += rows;
      } else {
        counts.written += 1;
        counts.rowsImported += rows;
      }
      counts.merged += plan.merged;
      snapshots += 1;
      addIv(comparison, snapshot, plan);
    }
    if (snapshots > 0) {
      days.push({ index, date, snapshots, otherSnapshots: other.size });
    }
  };

  try {
    const found = await discover(source);
    ignored = found.ignored;
    const wanted = found.files.filter(
      (f) =>
        (args.indices === null || args.indices.has(f.index as IndexSymbol)) &&
        (args.from === null || f.date >= args.from) &&
        (args.to === null || f.date <= args.to),
    );
    const byDay = new Map<string, G6PythonFile[]>();
    for (const file of wanted) {
      const key = `${file.index}\u0000${file.date}`;
      byDay.set(key, [...(byDay.get(key) ?? []), file]);
    }
    const makeProgress = createProgressFactory({
      stream: io.stderr,
      isTty: io.stderr.isTTY === true,
      now,
    });
    progress = makeProgress({ label: 'import', total: wanted.length, unit: 'files' });
    // By index then day: the sink keeps one day open per index, and each day's baselines start afresh.
    for (const key of [...byDay.keys()].sort()) {
      const files = byDay.get(key)!;
      const { index, date } = files[0]!;
      const rows: G6PythonRow[] = [];
      for (const file of files) {
        const text = await readFile(join(source, ...file.path.split('/')), 'utf8');
        const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
        const header = readG6PythonHeader(parseCsvLine(lines[0] ?? ''));
        for (const line of lines.slice(1)) {
          if (line.trim() === '') {
            continue;
          }
          counts.rowsRead += 1;
          if ('missing' in header) {
            skip('missing-columns', 1);
            continue;
          }
          const parsed = parseG6PythonRow(parseCsvLine(line), header.columns, file, calendar);
          if ('reason' in parsed) {
            skip(parsed.reason, 1);
          } else {
            rows.push(parsed.row);
          }
        }
        counts.filesRead += 1;
        progress.update(counts.filesRead, `${index} ${date}: ${counts.rowsRead} rows`);
      }
      if (isIndexSymbol(index) && rows.length > 0) {
        const grouped = groupG6PythonDay(index, rows, { groupSeconds: args.groupSeconds, calendar });
        for (const [reason, count] of grouped.skipped) {
          skip(reason, count);
        }
        await importPlans(index, date, grouped.plans);
      }
    }
  } catch (caught) {
    const code = (caught as NodeJS.ErrnoException).code;
    const message = (caught as Error).message ?? String(caught);
    error = code !== undefined && !message.startsWith(code) ? `${code}: ${message}` : message;
  } finally {
    await sink.close();
    await lock.release().catch(() => undefined);
  }

  const stored = counts.written + counts.alreadyStored;
  if (error === null && stored === 0) {
    error =
      counts.rowsRead === 0
        ? `no Python G6 day files (${LAYOUT}) with rows under ${source}`
        : 'nothing imported: no row could be mapped (see the reasons)';
  }
  if (error === null) {
    progress?.done(`${counts.rowsImported} rows imported`);
  } else {
    progress?.fail(error);
  }
  const elapsedMs = Math.max(0, now().getTime() - startedAt.getTime());
  const rowsDone = counts.rowsImported + counts.rowsAlreadyStored;
  const report: ImportReport = {
    ok: error === null,
    source,
    dataDir: join(dataDir, 'csv'),
    groupSeconds: args.groupSeconds,
    files: { read: counts.filesRead, ignored: ignored.length, ignoredExamples: ignored.slice(0, 5) },
    days,
    snapshots: { written: counts.written, alreadyStored: counts.alreadyStored, rejected: counts.rejected },
    rows: {
      read: counts.rowsRead,
      imported: counts.rowsImported,
      alreadyStored: counts.rowsAlreadyStored,
      merged: counts.merged,
      skipped,
    },
    iv: comparison.report(),
    tagsNotStored: counts.tagsNotStored,
    rejections,
    elapsedMs,
    rowsPerSecond: elapsedMs > 0 && rowsDone > 0 ? Number(((rowsDone * 1000) / elapsedMs).toFixed(1)) : null,
    error,
  };
  io.stdout.write(args.json ? `${JSON.stringify(report)}\n` : renderImportSummary(report));
  if (error !== null && !args.json) {
    io.stderr.write(`g6 import: ${error}\n`);
  }
  return error === null ? 0 : 1;
}
