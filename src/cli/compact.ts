import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { type IndexSymbol, isIndexSymbol } from '../domain/indices.ts';
import { isIsoDate } from '../domain/ist-time.ts';
import { createDayCompactor } from '../history/day-compactor.ts';
import { createParquetEngine } from '../history/parquet-engine.ts';
import { createLogger } from '../logger.ts';
import { DataDirLockedError, lockDataDir } from '../sinks/data-dir-lock.ts';
import { createProgressFactory } from './progress.ts';

export const COMPACT_USAGE = `Usage: g6 compact [--index NIFTY,…] [--through YYYY-MM-DD]

Compacts the closed days of the store (before today, IST) into Parquet now, as the server does at start-up
and at each close: after an import, or for a store the server has not run on. Resumable; a day already
compacted is left as is. Takes the data directory's lock (exit 2 while a server holds it).

  --index    the indices (default: G6_INDICES)
  --through  the last day compacted (default: yesterday)

Settings: G6_DATA_DIR, G6_COMPACTION_KEEP_CSV.
`;

export interface CompactIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** `g6 compact`: exit 0 when every day compacted (or none needed it), 1 when one failed, 2 on bad input. */
export async function runCompact(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: CompactIo,
  options: { readonly now?: () => Date } = {},
): Promise<number> {
  const now = options.now ?? (() => new Date());
  let flags: { index?: string; through?: string; help?: boolean };
  try {
    flags = parseArgs({
      args: [...argv],
      options: { index: { type: 'string' }, through: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    io.stderr.write(`g6 compact: ${(error as Error).message}\n\n${COMPACT_USAGE}`);
    return 2;
  }
  if (flags.help === true) {
    io.stdout.write(COMPACT_USAGE);
    return 0;
  }
  if (flags.through !== undefined && !isIsoDate(flags.through)) {
    io.stderr.write(`g6 compact: --through ${JSON.stringify(flags.through)}: expected a date YYYY-MM-DD\n`);
    return 2;
  }
  const loaded = loadConfig(env, []);
  if (loaded.kind !== 'config') {
    const errors = loaded.kind === 'invalid' ? loaded.errors : [];
    io.stderr.write(`g6 compact: invalid configuration\n${errors.map((e) => `  ${e}\n`).join('')}`);
    return 2;
  }
  const { config } = loaded;
  const asked = flags.index?.split(',').map((s) => s.trim().toUpperCase()) ?? [...config.indices];
  const unknown = asked.filter((i) => !isIndexSymbol(i));
  if (unknown.length > 0) {
    io.stderr.write(`g6 compact: --index: unknown ${unknown.join(', ')}\n`);
    return 2;
  }
  const dataDir = resolve(config.dataDir);
  let lock: Awaited<ReturnType<typeof lockDataDir>>;
  try {
    lock = await lockDataDir(dataDir, { role: 'compact', startedAt: now(), onCompromised: () => undefined });
  } catch (error) {
    io.stderr.write(`g6 compact: ${(error as Error).message}\n`);
    return error instanceof DataDirLockedError ? 2 : 1;
  }
  const logger = createLogger({ logLevel: 'warn', logFormat: 'json' }, io.stderr);
  const engine = createParquetEngine();
  const compactor = createDayCompactor({
    dataDir,
    settings: { enabled: true, keepCsv: config.compaction.keepCsv },
    engine,
    now,
    logger,
    registry: null,
  });
  const progress = createProgressFactory({ stream: io.stderr, isTty: io.stderr.isTTY === true, now });
  let failed = false;
  try {
    for (const index of asked as IndexSymbol[]) {
      const bar = progress({ label: `compact ${index}`, total: null, unit: 'days' });
      const { compacted, failed: failedDays } = await compactor.compactClosed(index, () => false, {
        ...(flags.through === undefined ? {} : { throughDay: flags.through.replaceAll('-', '') }),
        onDay: (day, done) => bar.update(done, day),
      });
      bar.done(`${compacted.length} days`);
      if (failedDays.length > 0) {
        io.stderr.write(`g6 compact: ${index}: not compacted (see the log above): ${failedDays.join(', ')}\n`);
        failed = true;
      }
      io.stdout.write(
        `${index.padEnd(10)} ${String(compacted.length).padStart(4)} days compacted${compacted.length > 0 ? ` (${compacted[0]}…${compacted.at(-1)})` : ''}\n`,
      );
    }
  } catch (error) {
    io.stderr.write(`g6 compact: ${(error as Error).message}\n`);
    failed = true;
  } finally {
    await engine.close();
    await lock.release();
  }
  return failed ? 1 : 0;
}
