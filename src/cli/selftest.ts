import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createCalendar, createMarketClock } from '../app/market-calendar.ts';
import { createProvider } from '../app/provider-factory.ts';
import { createSinks } from '../app/sink-factory.ts';
import { type AnalysisSettings, buildIndexSnapshot } from '../collectors/collect-once.ts';
import { createCollectionActivity } from '../collectors/collection-activity.ts';
import { DayBaselines } from '../collectors/day-baselines.ts';
import { type Config, loadConfig } from '../config.ts';
import type { IndexSnapshot } from '../domain/snapshot.ts';
import { DEFAULT_DISK_MIN_FREE_PERCENT } from '../health/health-model.ts';
import { createLogger } from '../logger.ts';
import type { KiteProvider } from '../providers/kite/kite-provider.ts';
import type { MarketDataProvider } from '../providers/market-data-provider.ts';
import { createSimulatedProvider } from '../providers/simulated/simulated-provider.ts';
import { createFanOutSink } from '../sinks/fan-out-sink.ts';
import type { SnapshotSink } from '../sinks/snapshot-sink.ts';
import { createSnapshotPubSub } from '../store/snapshot-pubsub.ts';
import { createSnapshotStore } from '../store/snapshot-store.ts';
import {
  type CheckResult,
  checkAnalytics,
  checkCollection,
  checkCsvReadBack,
  checkDataDirectory,
  checkInflux,
  checkProviderAnswers,
  checkRedis,
  describeError,
  fail,
  kiteVerdict,
  pass,
  redactUrl,
  skip,
  type Verdict,
} from './selftest-checks.ts';

export interface SelftestIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream;
}

export interface SelftestOptions {
  /** The clock the market, the provider and the probe point's timestamp run on. */
  readonly now?: () => Date;
}

/** One row of the report. */
export interface CheckOutcome {
  readonly name: string;
  readonly result: CheckResult;
  readonly durationMs: number;
  readonly detail: string;
}

/** What `--json` prints: `ok` is false when any check failed. */
export interface SelftestReport {
  readonly ok: boolean;
  readonly checks: readonly CheckOutcome[];
}

export const SELFTEST_USAGE = `Usage: g6 selftest [--json] [--mock | --provider kite|simulated] [--role all|collector|api] [--debug]

Checks the configuration, the analytics, the data directory, the provider, one collection per index, CSV
and InfluxDB storage and Redis, and prints one row per check: PASS, FAIL, or SKIP where a check does not
apply. Storage is exercised in a temporary directory, never in the data directory's store.

  --json   print one JSON object instead: { ok, checks: [{ name, result, durationMs, detail }] }
  --debug  also log to stderr

Exit status: 0 when no check failed, 1 when one did, 2 for bad arguments.
`;

/** Longest any one check may take (a collection: G6_COLLECTION_TIMEOUT, as in the server). */
const CHECK_TIMEOUT_MS = 15_000;
/** Longest one release step (provider, sink, directory) may take at the end. */
const CLEANUP_TIMEOUT_MS = 5_000;
const KITE_DEFAULT_ROOT = 'https://api.kite.trade';
const NOT_CHECKED = 'not checked: the configuration is invalid (see configuration)';
const INFLUX_OFF = 'not configured (G6_ENABLE_INFLUXDB is not true)';
const REDIS_OFF = 'not configured (G6_REDIS_URL is not set)';
/** Values whose every occurrence in a detail is replaced; the Redis and Influx URLs' passwords are added. */
const SECRET_VARIABLES = [
  'KITE_API_KEY',
  'KITE_API_SECRET',
  'KITE_ACCESS_TOKEN',
  'G6_TOKEN_PASSPHRASE',
  'INFLUXDB_TOKEN',
  'G6_ALERT_WEBHOOK_SECRET',
  'G6_API_KEYS',
];

type ParsedArgs =
  | { readonly error: string }
  | { readonly json: boolean; readonly help: boolean; readonly configArgv: readonly string[] };

/** `--json` and `--help` are the self-test's own; every other flag is the server's, passed to loadConfig. */
function parseSelftestArgs(argv: readonly string[]): ParsedArgs {
  try {
    const { values, tokens } = parseArgs({
      args: [...argv],
      options: {
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        mock: { type: 'boolean' },
        debug: { type: 'boolean' },
        port: { type: 'string' },
        provider: { type: 'string' },
        role: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
      tokens: true,
    });
    const configArgv = tokens.flatMap((token) =>
      token.kind !== 'option' || token.name === 'json' || token.name === 'help'
        ? []
        : token.value === undefined
          ? [`--${token.name}`]
          : [`--${token.name}`, token.value],
    );
    return { json: values.json === true, help: values.help === true, configArgv };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** loadConfig's messages about flags (rather than variables): bad arguments, exit 2. */
const isArgumentError = (message: string) => message.startsWith('--') || message.startsWith('command line:');

function secretValues(env: NodeJS.ProcessEnv): string[] {
  const values = SECRET_VARIABLES.map((name) => env[name]?.trim() ?? '');
  for (const name of ['G6_REDIS_URL', 'INFLUXDB_URL']) {
    try {
      const password = new URL(env[name]?.trim() ?? '').password;
      values.push(password, decodeURIComponent(password));
    } catch {
      // Not a URL: loadConfig reports it, without its value.
    }
  }
  // Webhook URLs carry their tokens in the path or query: each one whole, and each API key alone.
  for (const name of ['G6_ALERT_WEBHOOK_URLS', 'G6_API_KEYS']) {
    values.push(...(env[name] ?? '').split(',').map((item) => item.trim()));
  }
  // Short values would blank ordinary words.
  return [...new Set(values.filter((v) => v.length >= 4))].sort((a, b) => b.length - a.length);
}

function scrub(text: string, secrets: readonly string[]): string {
  return secrets.reduce((out, secret) => out.replaceAll(secret, '[Redacted]'), text);
}

/**
 * Where the checks' logs go: kept (a check's detail quotes what a component logged), and forwarded to
 * stderr only when debug logging was asked for. Never stdout: `--json` owns it.
 */
function createLogCapture(forward: NodeJS.WritableStream | null) {
  const recent: Array<Record<string, unknown>> = [];
  return {
    write(line: string) {
      forward?.write(line);
      try {
        recent.push(JSON.parse(line) as Record<string, unknown>);
        if (recent.length > 200) {
          recent.shift();
        }
      } catch {
        // Not one JSON line: nothing to quote.
      }
    },
    latest(predicate: (line: Record<string, unknown>) => boolean): Record<string, unknown> | undefined {
      return recent.findLast(predicate);
    },
  };
}

function describeConfig(config: Config): string {
  const provider =
    config.role === 'API'
      ? 'no provider (API replica)'
      : config.mockMode
        ? `simulated market (seed "${config.seed}")`
        : `Kite at ${config.kite.root ?? KITE_DEFAULT_ROOT}`;
  return [
    provider,
    `indices ${config.indices.join(', ')}`,
    ...(config.configFile === null ? [] : [`config file ${resolve(config.configFile)}`]),
    `role ${config.role.toLowerCase()}`,
    `data dir ${resolve(config.dataDir)}`,
    `CSV ${config.csvEnabled ? 'on' : 'off'}`,
    `InfluxDB ${config.influx === null ? 'off' : redactUrl(config.influx.url)}`,
    `Redis ${config.redis === null ? 'off' : redactUrl(config.redis.url)}`,
  ].join('; ');
}

const isTruthy = (text: string | undefined) => ['true', '1', 'yes', 'on'].includes(text?.trim().toLowerCase() ?? '');

/** Resolves with `work` or, after `ms`, with undefined; the timer never outlives it. */
async function within<T>(ms: number, work: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<undefined>((done) => {
        timer = setTimeout(() => done(undefined), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every check in order; each is bounded in time, and a failing one never stops the next. */
async function runChecks(
  loaded: { kind: 'config'; config: Config } | { kind: 'invalid'; errors: readonly string[] },
  configMs: number,
  env: NodeJS.ProcessEnv,
  now: () => Date,
  stderr: NodeJS.WritableStream,
): Promise<CheckOutcome[]> {
  const secrets = secretValues(env);
  const checks: CheckOutcome[] = [];
  const record = (name: string, verdict: Verdict, durationMs: number) => {
    checks.push({
      name,
      result: verdict.result,
      durationMs: Math.round(durationMs),
      detail: scrub(verdict.detail, secrets),
    });
  };
  const check = async (
    name: string,
    body: (signal: AbortSignal) => Verdict | Promise<Verdict>,
    limit: { readonly ms: number; readonly what?: string } = { ms: CHECK_TIMEOUT_MS },
  ) => {
    const started = performance.now();
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let verdict: Verdict;
    try {
      verdict = await Promise.race([
        Promise.resolve().then(() => body(controller.signal)),
        new Promise<Verdict>((done) => {
          timer = setTimeout(() => {
            controller.abort(new Error('time limit'));
            done(
              fail(`did not finish within ${limit.ms / 1000} s${limit.what === undefined ? '' : ` (${limit.what})`}`),
            );
          }, limit.ms);
        }),
      ]);
    } catch (error) {
      verdict = fail(describeError(error));
    } finally {
      clearTimeout(timer);
    }
    record(name, verdict, performance.now() - started);
  };

  const debug = loaded.kind === 'config' && (loaded.config.logLevel === 'debug' || loaded.config.logLevel === 'trace');
  const capture = createLogCapture(debug ? stderr : null);
  const logger = createLogger(
    { logLevel: loaded.kind === 'config' && debug ? loaded.config.logLevel : 'warn', logFormat: 'json' },
    capture,
  );

  if (loaded.kind === 'invalid') {
    record('configuration', fail(loaded.errors.join('; ')), configMs);
    await check('analytics', () => checkAnalytics());
    if (loaded.errors.some((e) => e.startsWith('G6_DATA_DIR'))) {
      record('data directory', fail(NOT_CHECKED), 0);
    } else {
      // The directory's own setting is fine: it can be checked whatever else is wrong.
      await check('data directory', () =>
        checkDataDirectory(env.G6_DATA_DIR?.trim() || 'data', {
          writable: env.G6_ROLE?.trim().toLowerCase() !== 'api',
          minFreePercent: DEFAULT_DISK_MIN_FREE_PERCENT,
        }),
      );
    }
    for (const name of ['provider', 'collection', 'csv']) {
      record(name, fail(NOT_CHECKED), 0);
    }
    record('influx', isTruthy(env.G6_ENABLE_INFLUXDB) ? fail(NOT_CHECKED) : skip(INFLUX_OFF), 0);
    record('redis', (env.G6_REDIS_URL?.trim() ?? '') !== '' ? fail(NOT_CHECKED) : skip(REDIS_OFF), 0);
    return checks;
  }

  const { config } = loaded;
  const collects = config.role !== 'API';
  record('configuration', pass(describeConfig(config)), configMs);
  await check('analytics', () => checkAnalytics());
  await check('data directory', () =>
    checkDataDirectory(config.dataDir, { writable: collects, minFreePercent: config.health.diskMinFreePercent }),
  );

  // Redis needs no temporary directory: checked (or skipped) whichever way the rest went.
  const checkRedisIfConfigured = async () => {
    const redis = config.redis;
    if (redis === null) {
      record('redis', skip(REDIS_OFF), 0);
    } else {
      await check('redis', () => checkRedis(redis, { now, logger }));
    }
  };

  // Released in reverse order at the end, whatever happened.
  const cleanup: Array<() => Promise<unknown>> = [];
  try {
    let tempDir: string;
    try {
      tempDir = await mkdtemp(join(tmpdir(), 'g6-selftest-'));
    } catch (error) {
      const why = `not checked: no temporary directory under ${tmpdir()} (${describeError(error)})`;
      for (const name of ['provider', 'collection', 'csv']) {
        record(name, fail(why), 0);
      }
      record('influx', config.influx === null ? skip(INFLUX_OFF) : fail(why), 0);
      await checkRedisIfConfigured();
      return checks;
    }
    const dir = tempDir;
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const calendar = createCalendar(config);
    const clock = createMarketClock(config, calendar);
    const settings: AnalysisSettings = {
      conventions: config.conventions,
      strikesAroundAtm: config.strikesAroundAtm,
      // Each index's own window and expiries, as the server collects them.
      collection: config.collection,
      clock,
      staleAfterMs: config.staleQuoteMs,
    };
    // Never the configured directory: the live store stays untouched and its lock with the server.
    // Kite's instruments cache goes there too; its token vault is only read. The ticker is not started.
    const selftestConfig: Config = { ...config, dataDir: dir, kite: { ...config.kite, ticker: false } };
    const parts: { provider: MarketDataProvider | null } = { provider: null };

    if (!collects) {
      record('provider', skip('an API replica never calls a provider (role api)'), 0);
    } else {
      await check('provider', async (signal) => {
        const provider = await createProvider(selftestConfig, logger, null, now, clock);
        parts.provider = provider;
        cleanup.push(() => provider.close());
        await provider.start?.();
        if ('credentials' in provider) {
          const { credentials } = provider as KiteProvider;
          const unreachable = capture.latest(
            (l) => typeof l.msg === 'string' && l.msg.startsWith('could not validate the Kite access token'),
          );
          return kiteVerdict(
            credentials.current(),
            config.kite.root ?? KITE_DEFAULT_ROOT,
            resolve(config.kite.tokenFile),
            typeof unreachable?.error === 'string' ? unreachable.error : null,
          );
        }
        return checkProviderAnswers(
          provider,
          config.indices,
          `simulated market (seed "${config.seed}", ${clock.mode === 'EXCHANGE' ? "the exchanges' calendar" : 'its own session clock'})`,
          signal,
        );
      });
    }

    // The CSV sink as the server builds it, on the temporary directory; InfluxDB has its own check.
    const sinks: SnapshotSink[] = createSinks({ ...selftestConfig, influx: null }, logger, null, now);
    for (const sink of sinks) {
      cleanup.push(() => sink.close());
      await sink.start?.();
    }
    const store = createSnapshotStore();
    const pubsub = createSnapshotPubSub();
    cleanup.push(async () => pubsub.close());
    const sink = createFanOutSink(sinks);
    const baselines = new DayBaselines();
    const activity = createCollectionActivity();
    const collected: IndexSnapshot[] = [];
    if (!collects) {
      record('collection', skip('an API replica collects nothing (role api)'), 0);
    } else {
      for (const index of config.indices) {
        await check(
          `collection ${index}`,
          async (signal) => {
            const provider = parts.provider;
            if (provider === null) {
              return fail('no provider to collect from (see provider)');
            }
            const deps = { provider, store, pubsub, sink, settings, baselines, activity };
            const outcome = await checkCollection(
              { ...deps, sinkTimeoutMs: config.collectionTimeoutMs },
              index,
              signal,
            );
            if (outcome.snapshot !== null) {
              collected.push(outcome.snapshot);
            }
            return outcome.verdict;
          },
          { ms: config.collectionTimeoutMs, what: 'G6_COLLECTION_TIMEOUT, as a server tick' },
        );
      }
    }

    const csv = sinks.find((s) => s.name === 'csv');
    if (csv === undefined) {
      record('csv', skip('not configured (G6_ENABLE_CSV=false)'), 0);
    } else {
      await check('csv', async (signal) => {
        if (collected.length > 0) {
          return checkCsvReadBack(dir, collected);
        }
        // Nothing collected (the provider failed, or a replica): storage is still checked, on a simulated snapshot.
        const simulated = createSimulatedProvider({
          seed: config.seed,
          clock,
          rate: config.riskFreeRate,
          dividendYield: config.dividendYield,
          now,
        });
        const index = config.indices[0] ?? 'NIFTY';
        const snapshot = buildIndexSnapshot(await simulated.fetchIndex(index, signal), 1, settings);
        await simulated.close();
        await csv.write(snapshot);
        const verdict = await checkCsvReadBack(dir, [snapshot]);
        const why = collects ? 'nothing was collected' : 'an API replica collects nothing';
        return { ...verdict, detail: `${verdict.detail} (a simulated ${index} snapshot: ${why})` };
      });
    }

    if (config.influx === null) {
      record('influx', skip(INFLUX_OFF), 0);
    } else if (!collects) {
      record('influx', skip('an API replica writes no snapshots (role api)'), 0);
    } else {
      const influx = config.influx;
      await check('influx', (signal) => checkInflux(influx, { now, logger, signal }));
    }
    await checkRedisIfConfigured();
    return checks;
  } finally {
    for (const release of cleanup.reverse()) {
      await within(
        CLEANUP_TIMEOUT_MS,
        release().catch(() => undefined),
      );
    }
  }
}

const PAINT: Record<CheckResult, string> = { PASS: '\u001b[32m', FAIL: '\u001b[31m', SKIP: '\u001b[33m' };

/** The report as a table: check, result, time, detail; then the counts. */
export function renderTable(checks: readonly CheckOutcome[], colour: boolean): string {
  const header = ['check', 'result', 'time', 'detail'] as const;
  const rows = checks.map((c) => [c.name, c.result, `${c.durationMs} ms`, c.detail] as const);
  const width = [0, 1, 2].map((i) => Math.max(header[i]!.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[], result?: CheckResult) => {
    const status = (cells[1] ?? '').padEnd(width[1]!);
    return [
      (cells[0] ?? '').padEnd(width[0]!),
      colour && result !== undefined ? `${PAINT[result]}${status}\u001b[0m` : status,
      (cells[2] ?? '').padStart(width[2]!),
      cells[3] ?? '',
    ]
      .join('  ')
      .trimEnd();
  };
  const count = (result: CheckResult) => checks.filter((c) => c.result === result).length;
  return [
    line(header),
    ...rows.map((row, i) => line(row, checks[i]!.result)),
    `selftest: ${count('PASS')} passed, ${count('FAIL')} failed, ${count('SKIP')} skipped`,
    '',
  ].join('\n');
}

/**
 * `g6 selftest`: checks that this configuration can run (README "Self-test"), prints the table (or
 * `--json`) and returns the exit code: 0 nothing failed, 1 a check failed, 2 bad arguments.
 */
export async function runSelftest(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: SelftestIo,
  options: SelftestOptions = {},
): Promise<number> {
  const now = options.now ?? (() => new Date());
  const args = parseSelftestArgs(argv);
  if ('error' in args) {
    io.stderr.write(`g6 selftest: ${args.error}\n\n${SELFTEST_USAGE}`);
    return 2;
  }
  if (args.help) {
    io.stdout.write(SELFTEST_USAGE);
    return 0;
  }
  const started = performance.now();
  const loaded = loadConfig(env, args.configArgv, io.stdout.isTTY === true);
  const configMs = performance.now() - started;
  if (loaded.kind === 'help') {
    io.stdout.write(SELFTEST_USAGE);
    return 0;
  }
  if (loaded.kind === 'invalid' && loaded.errors.some(isArgumentError)) {
    io.stderr.write(
      `g6 selftest: invalid arguments\n${loaded.errors
        .filter(isArgumentError)
        .map((e) => `  ${e}\n`)
        .join('')}\n${SELFTEST_USAGE}`,
    );
    return 2;
  }
  const checks = await runChecks(loaded, configMs, env, now, io.stderr);
  const report: SelftestReport = { ok: checks.every((c) => c.result !== 'FAIL'), checks };
  io.stdout.write(
    args.json
      ? `${JSON.stringify(report)}\n`
      : renderTable(checks, io.stdout.isTTY === true && (env.NO_COLOR ?? '') === ''),
  );
  return report.ok ? 0 : 1;
}
