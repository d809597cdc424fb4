import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { type IndexSymbol, isIndexSymbol } from '../domain/indices.ts';
import { addDays, isIsoDate, toIstDateString } from '../domain/ist-time.ts';
import { createProfileStore } from '../history/profile-store.ts';
import { createStoredHistory } from '../history/stored-history.ts';
import { createProgressFactory } from './progress.ts';

export const PROFILES_USAGE = `Usage: g6 profiles rebuild|update [--index NIFTY,…] [--through YYYY-MM-DD] [--json]

  rebuild   drop the weekday profiles and fold every stored day again (after an import, or new settings)
  update    fold the stored days the profiles do not hold yet (what the server does at each close)

  --index    the indices (default: G6_INDICES)
  --through  the last day folded (default: yesterday, IST); a day still being collected should not be
  --json     print the result as JSON

Settings: G6_PROFILE_BUCKET_SECONDS, G6_PROFILE_EMA_ALPHA, G6_PROFILE_MAX_OFFSET; the store is G6_DATA_DIR's.
`;

export interface ProfilesIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

/** `g6 profiles rebuild|update`: exit 0 when done, 1 when a day could not be read, 2 on bad arguments. */
export async function runProfiles(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: ProfilesIo,
  options: { readonly now?: () => Date } = {},
): Promise<number> {
  const now = options.now ?? (() => new Date());
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h') {
    io.stdout.write(PROFILES_USAGE);
    return 0;
  }
  if (command !== 'rebuild' && command !== 'update') {
    io.stderr.write(
      `g6 profiles: expected rebuild or update, got ${JSON.stringify(command ?? '')}\n\n${PROFILES_USAGE}`,
    );
    return 2;
  }
  let flags: { index?: string; through?: string; json?: boolean };
  try {
    flags = parseArgs({
      args: [...rest],
      options: { index: { type: 'string' }, through: { type: 'string' }, json: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    io.stderr.write(`g6 profiles: ${(error as Error).message}\n\n${PROFILES_USAGE}`);
    return 2;
  }
  if (flags.through !== undefined && !isIsoDate(flags.through)) {
    io.stderr.write(`g6 profiles: --through ${JSON.stringify(flags.through)}: expected a date YYYY-MM-DD\n`);
    return 2;
  }
  const loaded = loadConfig(env, []);
  if (loaded.kind !== 'config') {
    const errors = loaded.kind === 'invalid' ? loaded.errors : [];
    io.stderr.write(`g6 profiles: invalid configuration\n${errors.map((e) => `  ${e}\n`).join('')}`);
    return 2;
  }
  const { config } = loaded;
  const asked = flags.index?.split(',').map((s) => s.trim().toUpperCase()) ?? [...config.indices];
  const unknown = asked.filter((i) => !isIndexSymbol(i));
  if (unknown.length > 0) {
    io.stderr.write(`g6 profiles: --index: unknown ${unknown.join(', ')}\n`);
    return 2;
  }
  const indices = asked as IndexSymbol[];
  const through = (flags.through ?? addDays(toIstDateString(now()), -1)).replaceAll('-', '');
  const dataDir = resolve(config.dataDir);
  const history = createStoredHistory({ dataDir });
  const store = createProfileStore({ dataDir, source: history, settings: config.profiles });
  const progress = createProgressFactory({ stream: io.stderr, isTty: io.stderr.isTTY === true, now });
  const results: Array<{
    index: IndexSymbol;
    folded: number;
    first: string | null;
    last: string | null;
    rebuilt: readonly string[];
    ms: number;
  }> = [];
  try {
    for (const index of indices) {
      const startedMs = performance.now();
      const bar = progress({ label: `${command} ${index} profiles`, total: null, unit: 'days' });
      try {
        const run = command === 'rebuild' ? store.rebuild : store.update;
        const update = await run(index, through, (day, done) => bar.update(done, day));
        bar.done(`${update.folded.length} days`);
        results.push({
          index,
          folded: update.folded.length,
          first: update.folded[0] ?? null,
          last: update.folded.at(-1) ?? null,
          rebuilt: update.rebuilt,
          ms: Math.round(performance.now() - startedMs),
        });
      } catch (error) {
        bar.fail((error as Error).message);
        io.stderr.write(`g6 profiles: ${index}: ${(error as Error).message}\n`);
        return 1;
      }
    }
  } finally {
    await history.close();
  }
  if (flags.json === true) {
    io.stdout.write(`${JSON.stringify({ command, through, settings: config.profiles, indices: results }, null, 2)}\n`);
  } else {
    for (const r of results) {
      const span = r.first === null ? 'nothing new' : `${r.first}…${r.last}`;
      io.stdout.write(`${r.index.padEnd(10)} ${String(r.folded).padStart(4)} days folded (${span}) in ${r.ms} ms\n`);
    }
    io.stdout.write(`profiles in ${resolve(dataDir, 'profiles')} through ${through}\n`);
  }
  return 0;
}
