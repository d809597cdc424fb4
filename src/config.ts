import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import {
  type ConfigFile,
  configFileFormatOf,
  INTERVAL_SECONDS_MAX,
  INTERVAL_SECONDS_MIN,
  type IndexCollectionSettings,
  parseConfigFile,
  resolveCollection,
  STRIKES_MAX,
} from './config-file.ts';
import { type CalendarOverride, parseCalendarOverride } from './domain/calendar/calendar-data.ts';
import { INDEX_SYMBOLS, type IndexSymbol, isIndexSymbol } from './domain/indices.ts';
import { isIsoDate } from './domain/ist-time.ts';
import type { PricingConventions } from './domain/snapshot.ts';
import { DEFAULT_DISK_MIN_FREE_PERCENT } from './health/health-model.ts';
import type { CompactionSettings } from './history/day-compactor.ts';
import type { ProfileSettings } from './history/profile-store.ts';
import type { RetentionSettings } from './history/retention-sweeper.ts';
import { type ApiKeyEntry, parseApiKeys } from './server/api-keys.ts';
import { DEFAULT_OPERATION_LIMITS, type OperationLimits } from './server/operation-limits.ts';

export type { IndexCollectionSettings } from './config-file.ts';

export type LogFormat = 'json' | 'pretty';

/** Strikes each side of ATM when nothing sets them. */
export const DEFAULT_STRIKES_AROUND_ATM = 30;

/** The whole runtime configuration, read once from the environment and the command line. */
export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  readonly logFormat: LogFormat;
  /** G6_LOG_FILE: also write the log to this file, rotated daily (null: stdout only). */
  readonly logFile: string | null;
  /** G6_LOG_RETENTION_DAYS: rotated log files older than this many days are deleted. */
  readonly logRetentionDays: number;
  readonly mockMode: boolean;
  /** G6_CONFIG_FILE: the collection file read (per-index settings), null when none. */
  readonly configFile: string | null;
  /** The enabled indices: G6_INDICES, else the file's enabled ones, else all five. */
  readonly indices: readonly IndexSymbol[];
  /** Each enabled index's strike window, expiries and interval, every level of configuration applied. */
  readonly collection: ReadonlyMap<IndexSymbol, IndexCollectionSettings>;
  /** The shortest of the per-index intervals (`collection`): the fastest any index is collected. */
  readonly collectionIntervalMs: number;
  readonly collectionTimeoutMs: number;
  readonly maxWorkers: number;
  /**
   * A window that holds every index's own (`collection`): the largest strikesBelowAtm/strikesAboveAtm of
   * any enabled index, or 0 (whole chains) when one of them keeps its whole chain.
   */
  readonly strikesAroundAtm: number;
  readonly seed: string;
  readonly riskFreeRate: number;
  readonly dividendYield: number;
  /** Server-default pricing conventions (rate and dividend yield above included); queries may override. */
  readonly conventions: PricingConventions;
  readonly staleQuoteMs: number;
  /** G6_MARKET_HOLIDAYS: replaces every segment's built-in holidays; null keeps the calendar's. */
  readonly marketHolidays: readonly string[] | null;
  /** G6_MARKET_CALENDAR_FILE, parsed: session times and years laid over the built-in calendar. */
  readonly calendarOverride: CalendarOverride | null;
  /** G6_SIM_CLOCK: the simulated market's own session clock (SESSION) or the exchanges' calendar (EXCHANGE). */
  readonly simulatedClock: 'SESSION' | 'EXCHANGE';
  /** G6_COLLECT_OUTSIDE_HOURS: live providers keep collecting while the market is closed. */
  readonly collectOutsideHours: boolean;
  readonly csvEnabled: boolean;
  /** Gzip each CSV day once it is closed. */
  readonly csvCompress: boolean;
  /** Snapshots held in memory for retry while CSV writes fail, at most this many bytes. */
  readonly csvBacklogMaxBytes: number;
  /** Null when the InfluxDB sink is off. */
  readonly influx: InfluxConfig | null;
  readonly healthIntervalMs: number;
  readonly metricsEnabled: boolean;
  readonly kite: KiteConfig;
  /** Snapshots published per index per second from live ticks; 0 turns tick publishing off. */
  readonly liveUpdatesPerSecond: number;
  readonly api: ApiLimits;
  /** G6_ROLE / --role: everything in one process, or one part of a scaled-out deployment. */
  readonly role: Role;
  /** G6_REDIS_URL and its settings; null runs without Redis (role ALL only). */
  readonly redis: RedisConfig | null;
  /** G6_SHUTDOWN_TIMEOUT: longest a SIGTERM/SIGINT shutdown may take before the process exits 1. */
  readonly shutdownTimeoutMs: number;
  /** When a component counts as degraded or down, and when that becomes an alert. */
  readonly health: HealthConfig;
  /** G6_ALERT_WEBHOOK_URLS and their delivery settings; null sends no webhooks. */
  readonly alertWebhooks: AlertWebhookConfig | null;
  /** How the weekday profiles are built (G6_PROFILE_*). */
  readonly profiles: ProfileSettings;
  /** G6_RETENTION_DAYS and what happens to older days; null keeps everything. */
  readonly retention: RetentionSettings | null;
  /** G6_COMPACTION: closed CSV days become Parquet files. */
  readonly compaction: CompactionSettings;
}

export interface HealthConfig {
  /** G6_HEALTH_STALE_INTERVALS: a collector whose last good snapshot is this many intervals old is DOWN. */
  readonly staleIntervals: number;
  readonly diskMinFreePercent: number;
  readonly eventLoopP99Ms: number;
  readonly maxRssBytes: number;
  /** G6_ALERT_FOR: how long a component stays unhealthy before its alert fires. */
  readonly alertForMs: number;
  /** G6_ALERT_KEEP_FIRING_FOR: how long it stays healthy before its alert resolves. */
  readonly keepFiringForMs: number;
}

export interface AlertWebhookConfig {
  readonly urls: readonly string[];
  readonly secret: string | null;
  readonly timeoutMs: number;
  readonly maxBackoffMs: number;
  readonly maxAttempts: number;
  readonly maxQueue: number;
}

export type Role = 'ALL' | 'COLLECTOR' | 'API';

export interface RedisConfig {
  readonly url: string;
  /** Key and channel prefix: deployments sharing one Redis use different prefixes. */
  readonly prefix: string;
  /** The collector lease's time to live: a standby takes over within about 4/3 of it. */
  readonly leaseTtlMs: number;
  /** How often the collector says it is alive; replicas call it gone after three missed. */
  readonly heartbeatMs: number;
}

/** What one client may ask of the API (README "API limits"). */
export interface ApiLimits {
  readonly operation: OperationLimits;
  /** Largest request body (refused with 413 before it is read) and WebSocket message. */
  readonly maxBodyBytes: number;
  /** Subscriptions one WebSocket may hold at once. */
  readonly wsMaxSubscriptions: number;
  /** WebSockets one client (API key, else IP address) may hold at once. */
  readonly wsMaxSocketsPerClient: number;
  /** A socket whose unsent bytes stay above this is closed (1013): the reader cannot keep up. */
  readonly wsMaxBufferedBytes: number;
  /** A socket must send connection_init within this (else graphql-ws closes it with 4408). */
  readonly wsInitTimeoutMs: number;
  /** GraphQL HTTP requests being answered at once; beyond it 503 with Retry-After at once. */
  readonly maxInFlight: number;
  /** G6_API_KEYS: when any, every GraphQL request and WebSocket needs one (README "API keys"). */
  readonly apiKeys: readonly ApiKeyEntry[];
  /** G6_CORS_ORIGINS: origins whose pages may call the API; none by default ('*' for any). */
  readonly corsOrigins: readonly string[];
  /**
   * G6_RESPONSE_CACHE_TTL: how long one executed answer is shared by identical requests while no newer
   * snapshot arrived (0 turns sharing off); bounds how late time-derived fields (`stale`, ages) can be.
   */
  readonly responseCacheTtlMs: number;
  /** G6_RESPONSE_CACHE_MAX_BYTES: the shared answers' total size; the oldest go first beyond it. */
  readonly responseCacheMaxBytes: number;
}

export interface KiteConfig {
  readonly apiKey?: string;
  readonly apiSecret?: string;
  readonly accessToken?: string;
  /** REST and ticker base URLs; undefined means Kite's own. */
  readonly root?: string;
  readonly tickerRoot?: string;
  /** Encrypted token vault written by `g6 login`. */
  readonly tokenFile: string;
  readonly passphrase?: string;
  readonly ticker: boolean;
  readonly requestTimeoutMs: number;
}

export interface InfluxConfig {
  readonly url: string;
  readonly token: string;
  readonly org: string;
  readonly bucket: string;
  /** The on-disk spool in front of InfluxDB is bounded by this. */
  readonly spoolMaxBytes: number;
  readonly requestTimeoutMs: number;
  /** Longest wait between retries of spooled points. */
  readonly retryMaxMs: number;
}

export type ConfigResult =
  | { readonly kind: 'config'; readonly config: Config }
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'invalid'; readonly errors: readonly string[] };

/** Collection period when running on the simulated market and none is configured. */
export const MOCK_COLLECTION_INTERVAL_SECONDS = 2;
export const LIVE_COLLECTION_INTERVAL_SECONDS = 30;

const bool = () =>
  z.stringbool({
    truthy: ['true', '1', 'yes', 'on'],
    falsy: ['false', '0', 'no', 'off'],
    case: 'insensitive',
    error: 'expected true or false (also 1/0, yes/no, on/off)',
  });
const number = (what: string) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d+)?$/, { error: `expected ${what}` })
    .transform(Number);
const integer = (min: number, max: number) =>
  number(`a whole number from ${min} to ${max}`).pipe(
    z
      .number()
      .int({ error: `expected a whole number from ${min} to ${max}` })
      .min(min, { error: `expected a whole number from ${min} to ${max}` })
      .max(max, { error: `expected a whole number from ${min} to ${max}` }),
  );
const seconds = (min: number, max: number) =>
  number(`seconds from ${min} to ${max}`).pipe(
    z
      .number()
      .min(min, { error: `expected seconds from ${min} to ${max}` })
      .max(max, { error: `expected seconds from ${min} to ${max}` }),
  );
const decimal = (min: number, max: number, what: string) =>
  number(`${what} from ${min} to ${max}`).pipe(
    z
      .number()
      .min(min, { error: `expected ${what} from ${min} to ${max}` })
      .max(max, { error: `expected ${what} from ${min} to ${max}` }),
  );
const nonEmpty = z.string().trim().min(1, { error: 'must not be empty when set' });
function isUrlWith(text: string, schemes: readonly string[]): boolean {
  try {
    return schemes.includes(new URL(text).protocol);
  } catch {
    return false;
  }
}
/** A comma-separated list: items trimmed, then `normalise`d; empty items dropped. */
const commaList = (normalise: (item: string) => string = (item) => item) =>
  z.string().transform((text) =>
    text
      .split(',')
      .map((s) => normalise(s.trim()))
      .filter((s) => s.length > 0),
  );
const url = (schemes: readonly string[]) =>
  z
    .string()
    .trim()
    .refine((text) => isUrlWith(text, schemes), {
      error: `expected a URL starting ${schemes.map((p) => `${p}//`).join(' or ')}`,
    })
    // kiteconnect appends paths to the root itself.
    .transform((text) => text.replace(/\/+$/, ''));

const ENV_SCHEMA = z.object({
  G6_HOST: nonEmpty.optional(),
  G6_PORT: integer(0, 65535).optional(),
  G6_DATA_DIR: nonEmpty.optional(),
  G6_DEBUG: bool().optional(),
  G6_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace'], {
      error: 'expected one of fatal, error, warn, info, debug, trace',
    })
    .optional(),
  G6_LOG_FORMAT: z.enum(['json', 'pretty'], { error: 'expected json or pretty' }).optional(),
  // pino-roll refuses these characters in a file name (Windows path rules).
  G6_LOG_FILE: nonEmpty
    .refine((path) => !/[<>:"|?*]/.test(path), { error: 'expected a file path without < > : " | ? *' })
    .optional(),
  G6_LOG_RETENTION_DAYS: integer(1, 3650).optional(),
  G6_MOCK_MODE: bool().optional(),
  G6_CONFIG_FILE: nonEmpty.optional(),
  G6_INDICES: commaList((s) => s.toUpperCase())
    .refine((list) => list.length > 0, { error: `expected a comma-separated list of ${INDEX_SYMBOLS.join(', ')}` })
    .refine((list) => list.every(isIndexSymbol), {
      error: `expected a comma-separated list of ${INDEX_SYMBOLS.join(', ')}`,
    })
    .transform((list) => [...new Set(list)] as IndexSymbol[])
    .optional(),
  G6_COLLECTION_INTERVAL: seconds(INTERVAL_SECONDS_MIN, INTERVAL_SECONDS_MAX).optional(),
  G6_COLLECTION_TIMEOUT: seconds(0.05, 600).optional(),
  G6_MAX_WORKERS: integer(1, 64).optional(),
  G6_STRIKES_AROUND_ATM: integer(0, STRIKES_MAX).optional(),
  G6_SEED: nonEmpty.optional(),
  G6_RISK_FREE_RATE: decimal(-0.05, 0.5, 'a decimal annual rate').optional(),
  G6_DIVIDEND_YIELD: decimal(-0.05, 0.5, 'a decimal annual yield').optional(),
  G6_PRICING_MODEL: z.enum(['BLACK_76', 'BLACK_SCHOLES'], { error: 'expected BLACK_76 or BLACK_SCHOLES' }).optional(),
  G6_FORWARD_SOURCE: z
    .enum(['PUT_CALL_PARITY', 'FUTURES', 'SPOT_CARRY'], { error: 'expected PUT_CALL_PARITY, FUTURES or SPOT_CARRY' })
    .optional(),
  G6_TIME_BASIS: z.enum(['CALENDAR_365', 'TRADING_252'], { error: 'expected CALENDAR_365 or TRADING_252' }).optional(),
  G6_PRICE_RULE: z.enum(['MID_ELSE_LAST', 'LAST'], { error: 'expected MID_ELSE_LAST or LAST' }).optional(),
  G6_STALE_QUOTE_SECONDS: seconds(1, 86_400).optional(),
  G6_MARKET_HOLIDAYS: commaList()
    .refine((list) => list.every(isIsoDate), { error: 'expected comma-separated dates YYYY-MM-DD' })
    .optional(),
  G6_MARKET_CALENDAR_FILE: nonEmpty.optional(),
  G6_SIM_CLOCK: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['session', 'exchange'], { error: 'expected session or exchange' }))
    .optional(),
  G6_COLLECT_OUTSIDE_HOURS: bool().optional(),
  G6_ENABLE_CSV: bool().optional(),
  G6_ENABLE_INFLUXDB: bool().optional(),
  G6_CSV_COMPRESS: bool().optional(),
  G6_CSV_BACKLOG_MAX_BYTES: integer(1024 * 1024, 64 * 1024 ** 3).optional(),
  INFLUXDB_URL: url(['http:', 'https:']).optional(),
  INFLUXDB_TOKEN: nonEmpty.optional(),
  INFLUXDB_ORG: nonEmpty.optional(),
  INFLUXDB_BUCKET: nonEmpty.optional(),
  G6_SPOOL_MAX_BYTES: integer(1024 * 1024, 1024 ** 4).optional(),
  G6_INFLUXDB_TIMEOUT: seconds(0.1, 300).optional(),
  G6_INFLUXDB_RETRY_MAX: seconds(0.1, 3600).optional(),
  G6_HEALTH_INTERVAL: seconds(1, 86_400).optional(),
  G6_METRICS_ENABLED: bool().optional(),
  KITE_API_KEY: nonEmpty.optional(),
  KITE_API_SECRET: nonEmpty.optional(),
  KITE_ACCESS_TOKEN: nonEmpty.optional(),
  G6_KITE_ROOT: url(['http:', 'https:']).optional(),
  G6_KITE_TICKER_ROOT: url(['ws:', 'wss:']).optional(),
  G6_KITE_TICKER: bool().optional(),
  G6_KITE_TIMEOUT: seconds(0.5, 120).optional(),
  G6_TOKEN_PASSPHRASE: z.string().min(12, { error: 'must be at least 12 characters' }).optional(),
  G6_TOKEN_FILE: nonEmpty.optional(),
  G6_LIVE_UPDATES_PER_SECOND: decimal(0, 50, 'updates per second').optional(),
  G6_MAX_QUERY_DEPTH: integer(2, 100).optional(),
  G6_MAX_ALIASES: integer(1, 1000).optional(),
  G6_MAX_DIRECTIVES: integer(1, 1000).optional(),
  G6_MAX_TOKENS: integer(100, 1_000_000).optional(),
  G6_MAX_QUERY_COST: integer(100, 100_000_000).optional(),
  G6_RATE_LIMIT_COST_PER_MINUTE: integer(0, 1_000_000_000).optional(),
  G6_MAX_BODY_BYTES: integer(1024, 64 * 1024 * 1024).optional(),
  G6_WS_MAX_SUBSCRIPTIONS: integer(1, 100_000).optional(),
  G6_WS_MAX_SOCKETS_PER_CLIENT: integer(1, 100_000).optional(),
  G6_WS_MAX_BUFFERED_BYTES: integer(16 * 1024, 1024 ** 3).optional(),
  G6_WS_INIT_TIMEOUT: seconds(0.1, 60).optional(),
  G6_MAX_IN_FLIGHT: integer(1, 1_000_000).optional(),
  G6_RESPONSE_CACHE_TTL: seconds(0, 60).optional(),
  G6_RESPONSE_CACHE_MAX_BYTES: integer(0, 16 * 1024 ** 3).optional(),
  G6_API_KEYS: z.string().optional(),
  G6_ROLE: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['all', 'collector', 'api'], { error: 'expected all, collector or api' }))
    .optional(),
  G6_REDIS_URL: url(['redis:', 'rediss:']).optional(),
  G6_REDIS_PREFIX: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'expected 1 to 64 letters, digits, _ . or -' })
    .optional(),
  G6_REDIS_LEASE_TTL: seconds(0.3, 300).optional(),
  G6_REDIS_HEARTBEAT: seconds(0.1, 60).optional(),
  G6_SHUTDOWN_TIMEOUT: seconds(0.5, 600).optional(),
  G6_PROFILE_EMA_ALPHA: decimal(0.01, 1, 'an EMA weight').optional(),
  G6_PROFILE_BUCKET_SECONDS: integer(1, 3600).optional(),
  G6_PROFILE_MAX_OFFSET: integer(0, 50).optional(),
  G6_RETENTION_DAYS: integer(1, 36_500).optional(),
  G6_RETENTION_ACTION: z
    .string()
    .trim()
    .toUpperCase()
    .pipe(z.enum(['DELETE', 'ARCHIVE'], { error: 'expected delete or archive' }))
    .optional(),
  G6_ARCHIVE_DIR: nonEmpty.optional(),
  G6_COMPACTION: bool().optional(),
  G6_COMPACTION_KEEP_CSV: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['delete', 'archive'], { error: 'expected delete or archive' }))
    .optional(),
  G6_HEALTH_STALE_INTERVALS: decimal(1, 1000, 'intervals').optional(),
  G6_HEALTH_DISK_MIN_FREE_PERCENT: decimal(0, 100, 'a percentage').optional(),
  G6_HEALTH_EVENT_LOOP_P99_MS: integer(1, 60_000).optional(),
  G6_HEALTH_MAX_RSS_MB: integer(16, 1_048_576).optional(),
  G6_ALERT_FOR: seconds(0, 86_400).optional(),
  G6_ALERT_KEEP_FIRING_FOR: seconds(0, 86_400).optional(),
  G6_ALERT_WEBHOOK_URLS: commaList()
    .refine((list) => list.length > 0 && list.every((u) => isUrlWith(u, ['http:', 'https:'])), {
      error: 'expected comma-separated URLs starting http:// or https://',
    })
    .optional(),
  G6_ALERT_WEBHOOK_SECRET: nonEmpty.optional(),
  G6_ALERT_WEBHOOK_TIMEOUT: seconds(0.1, 120).optional(),
  G6_ALERT_WEBHOOK_RETRY_MAX: seconds(0.1, 3600).optional(),
  G6_ALERT_WEBHOOK_ATTEMPTS: integer(1, 100).optional(),
  G6_ALERT_WEBHOOK_QUEUE: integer(1, 100_000).optional(),
  G6_CORS_ORIGINS: commaList((s) => s.replace(/\/+$/, ''))
    .refine((list) => list.every((o) => o === '*' || /^https?:\/\/[^/\s]+$/.test(o)), {
      error: 'expected * or comma-separated origins like https://app.example.com',
    })
    .optional(),
});

/** Never echoed back in an error message. */
const SECRET_VARIABLES = new Set([
  'KITE_API_SECRET',
  'KITE_ACCESS_TOKEN',
  'G6_TOKEN_PASSPHRASE',
  'INFLUXDB_TOKEN',
  // May carry a password (redis://:secret@host).
  'G6_REDIS_URL',
  // Receivers often take their token in the path or query (Slack, PagerDuty, ntfy).
  'G6_ALERT_WEBHOOK_URLS',
  'G6_ALERT_WEBHOOK_SECRET',
]);

export const HELP_TEXT = `g6 — options-analytics GraphQL server for Indian index options

Usage: npm start -- [options]      (or: node dist/main.js [options])

Usage: g6 login [request_token]    store a Kite access token (encrypted with G6_TOKEN_PASSPHRASE)
Usage: g6 selftest [--json]        check configuration, storage, provider and one collection per index
Usage: g6 replay --from <day> --to <day> [--speed N]   serve stored CSV days as if live
Usage: g6 top [--url <url>]        live terminal view of a running server (g6 top --help)
Usage: g6 profiles rebuild|update  build the weekday profiles from the stored days (g6 profiles --help)
Usage: g6 import g6-python <dir>   import the Python G6's day files into the store (g6 import --help)
Usage: g6 compact [--index …]      compact the closed days into Parquet now (g6 compact --help)

Options:
  --mock         use the simulated market (the default when no Kite credentials are set)
  --provider <p> simulated or kite (kite needs KITE_API_KEY and KITE_ACCESS_TOKEN or a stored token)
  --debug        debug logging (same as G6_DEBUG=true)
  --port <n>     HTTP port (same as G6_PORT; 0 picks a free port)
  --role <r>     all (default), collector or api (same as G6_ROLE; collector and api need G6_REDIS_URL)
  --version      print the version
  --help         show this text

Configuration, the first that sets a value winning: these flags; the environment (a .env file in the
working directory is read first and never replaces a variable already set); the G6_CONFIG_FILE file
(JSON: per index enabled, strikesBelowAtm/strikesAboveAtm or strikesAroundAtm, expiries, intervalSeconds;
indices.<INDEX> over defaults); the built-in defaults. G6_INDICES replaces the file's enabled indices;
G6_STRIKES_AROUND_ATM and G6_COLLECTION_INTERVAL replace every index's values. See the README's
configuration section and g6.config.example.json.
GraphiQL: http://localhost:<port>/graphql   health: /health   readiness: /ready   metrics: /metrics
`;

/**
 * Reads and validates the configuration. Pure: the caller passes the environment, the arguments and
 * whether stdout is a terminal. Every invalid value is reported with its variable (or flag) name.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  argv: readonly string[],
  stdoutIsTty = false,
  readTextFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): ConfigResult {
  let flags: { mock?: boolean; debug?: boolean; port?: string; help?: boolean; provider?: string; role?: string };
  try {
    flags = parseArgs({
      args: [...argv],
      options: {
        mock: { type: 'boolean' },
        debug: { type: 'boolean' },
        port: { type: 'string' },
        provider: { type: 'string' },
        role: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    return { kind: 'invalid', errors: [`command line: ${(error as Error).message}`] };
  }
  if (flags.help) {
    return { kind: 'help', text: HELP_TEXT };
  }

  // Empty variables count as unset, the way shells and .env files usually mean them.
  const present = Object.fromEntries(
    Object.keys(ENV_SCHEMA.shape).flatMap((name) => {
      const value = env[name];
      return value === undefined || value.trim() === '' ? [] : [[name, value]];
    }),
  );
  const errors: string[] = [];
  const parsed = ENV_SCHEMA.safeParse(present);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0]);
      const shown = SECRET_VARIABLES.has(name) ? '[Redacted]' : JSON.stringify(present[name]);
      errors.push(`${name}=${shown}: ${issue.message}`);
    }
  }
  let port: number | undefined;
  if (flags.port !== undefined) {
    const flagPort = integer(0, 65535).safeParse(flags.port);
    if (flagPort.success) {
      port = flagPort.data;
    } else {
      errors.push(`--port ${JSON.stringify(flags.port)}: expected a whole number from 0 to 65535`);
    }
  }
  if (!parsed.success || errors.length > 0) {
    return { kind: 'invalid', errors };
  }
  const e = parsed.data;

  if (flags.provider !== undefined && flags.provider !== 'kite' && flags.provider !== 'simulated') {
    return { kind: 'invalid', errors: [`--provider ${JSON.stringify(flags.provider)}: expected kite or simulated`] };
  }
  if (flags.mock === true && flags.provider === 'kite') {
    return { kind: 'invalid', errors: ['--mock and --provider kite contradict each other; pass one'] };
  }
  const hasKiteToken = e.KITE_ACCESS_TOKEN !== undefined || e.G6_TOKEN_PASSPHRASE !== undefined;
  const hasKiteCredentials = e.KITE_API_KEY !== undefined && hasKiteToken;
  const mockMode =
    flags.mock === true ||
    flags.provider === 'simulated' ||
    (flags.provider !== 'kite' && (e.G6_MOCK_MODE ?? !hasKiteCredentials));
  if (!mockMode) {
    const why = flags.provider === 'kite' ? '--provider kite' : 'G6_MOCK_MODE=false';
    if (e.KITE_API_KEY === undefined) {
      errors.push(`KITE_API_KEY: required by ${why} (your Kite Connect app's API key)`);
    }
    if (!hasKiteToken) {
      errors.push(
        `KITE_ACCESS_TOKEN or G6_TOKEN_PASSPHRASE: ${why} needs a token, given directly or stored by \`g6 login\``,
      );
    }
  }
  if (e.G6_ENABLE_INFLUXDB === true) {
    for (const [name, what] of [
      ['INFLUXDB_URL', 'the server, e.g. http://localhost:8086'],
      ['INFLUXDB_TOKEN', 'an API token with write access to the bucket'],
      ['INFLUXDB_ORG', 'the organisation'],
      ['INFLUXDB_BUCKET', 'the bucket (InfluxDB 1.8: database/retention-policy)'],
    ] as const) {
      if (e[name] === undefined) {
        errors.push(`${name}: required by G6_ENABLE_INFLUXDB=true (${what})`);
      }
    }
  }
  let apiKeys: ApiKeyEntry[] = [];
  if (e.G6_API_KEYS !== undefined) {
    // `@path` reads the entries from a file (a mounted secret), one or more per line.
    let text: string | null = e.G6_API_KEYS;
    if (text.startsWith('@')) {
      try {
        text = readTextFile(text.slice(1)).replaceAll('\n', ',');
      } catch (error) {
        errors.push(`G6_API_KEYS: cannot read ${text.slice(1)} (${(error as Error).message})`);
        text = null;
      }
    }
    if (text !== null) {
      const parsed = parseApiKeys(text);
      if (parsed.ok) {
        apiKeys = parsed.keys;
      } else {
        errors.push(...parsed.errors.map((problem) => `G6_API_KEYS: ${problem}`));
      }
    }
  }
  let calendarOverride: CalendarOverride | null = null;
  if (e.G6_MARKET_CALENDAR_FILE !== undefined) {
    const path = e.G6_MARKET_CALENDAR_FILE;
    let text: string | null = null;
    try {
      text = readTextFile(path);
    } catch (error) {
      errors.push(`G6_MARKET_CALENDAR_FILE=${JSON.stringify(path)}: cannot read it (${(error as Error).message})`);
    }
    if (text !== null) {
      const parsed = parseCalendarOverride(text);
      if (parsed.ok) {
        calendarOverride = parsed.value;
      } else {
        errors.push(...parsed.errors.map((problem) => `G6_MARKET_CALENDAR_FILE=${JSON.stringify(path)}: ${problem}`));
      }
    }
  }
  const roleText = flags.role?.trim().toLowerCase() ?? e.G6_ROLE ?? 'all';
  let role: Role = 'ALL';
  if (roleText === 'collector' || roleText === 'api' || roleText === 'all') {
    role = roleText.toUpperCase() as Role;
  } else {
    errors.push(`--role ${JSON.stringify(flags.role)}: expected all, collector or api`);
  }
  if (role !== 'ALL' && e.G6_REDIS_URL === undefined) {
    errors.push(
      `G6_REDIS_URL: required by ${flags.role === undefined ? 'G6_ROLE' : '--role'}=${roleText} (the Redis the collector publishes to, e.g. redis://localhost:6379)`,
    );
  }
  let file: ConfigFile | null = null;
  if (e.G6_CONFIG_FILE !== undefined) {
    const read = readConfigFile(e.G6_CONFIG_FILE, readTextFile);
    if (read.ok) {
      file = read.value;
    } else {
      errors.push(...read.errors);
    }
  }
  const resolved = resolveCollection(
    file,
    {
      ...(e.G6_INDICES === undefined ? {} : { indices: e.G6_INDICES }),
      ...(e.G6_STRIKES_AROUND_ATM === undefined ? {} : { strikesAroundAtm: e.G6_STRIKES_AROUND_ATM }),
      ...(e.G6_COLLECTION_INTERVAL === undefined ? {} : { intervalSeconds: e.G6_COLLECTION_INTERVAL }),
    },
    {
      strikesAroundAtm: DEFAULT_STRIKES_AROUND_ATM,
      intervalSeconds: mockMode ? MOCK_COLLECTION_INTERVAL_SECONDS : LIVE_COLLECTION_INTERVAL_SECONDS,
    },
  );
  if (!resolved.ok) {
    errors.push(...resolved.errors.map((problem) => `G6_CONFIG_FILE=${JSON.stringify(e.G6_CONFIG_FILE)}: ${problem}`));
  }
  if (errors.length > 0 || !resolved.ok) {
    return { kind: 'invalid', errors };
  }
  const perIndex = [...resolved.collection.values()];
  const collectionIntervalMs = Math.min(...perIndex.map((s) => s.intervalMs));
  const timeoutSeconds = e.G6_COLLECTION_TIMEOUT ?? Math.max(10, collectionIntervalMs / 1000);
  const strikesAroundAtm = perIndex.some((s) => s.strikesBelowAtm === 0 && s.strikesAboveAtm === 0)
    ? 0
    : Math.max(...perIndex.map((s) => Math.max(s.strikesBelowAtm, s.strikesAboveAtm)));

  const debug = flags.debug === true || e.G6_DEBUG === true;
  return {
    kind: 'config',
    config: Object.freeze({
      host: e.G6_HOST ?? '0.0.0.0',
      port: port ?? e.G6_PORT ?? 4000,
      dataDir: e.G6_DATA_DIR ?? 'data',
      logLevel: e.G6_LOG_LEVEL ?? (debug ? 'debug' : 'info'),
      logFormat: e.G6_LOG_FORMAT ?? (stdoutIsTty ? 'pretty' : 'json'),
      logFile: e.G6_LOG_FILE ?? null,
      logRetentionDays: e.G6_LOG_RETENTION_DAYS ?? 14,
      mockMode,
      configFile: e.G6_CONFIG_FILE ?? null,
      indices: resolved.indices,
      collection: resolved.collection,
      collectionIntervalMs,
      collectionTimeoutMs: Math.round(timeoutSeconds * 1000),
      maxWorkers: e.G6_MAX_WORKERS ?? 4,
      strikesAroundAtm,
      seed: e.G6_SEED ?? 'g6',
      riskFreeRate: e.G6_RISK_FREE_RATE ?? 0.065,
      dividendYield: e.G6_DIVIDEND_YIELD ?? 0,
      conventions: Object.freeze({
        model: e.G6_PRICING_MODEL ?? 'BLACK_76',
        forwardSource: e.G6_FORWARD_SOURCE ?? 'PUT_CALL_PARITY',
        rate: e.G6_RISK_FREE_RATE ?? 0.065,
        dividendYield: e.G6_DIVIDEND_YIELD ?? 0,
        timeBasis: e.G6_TIME_BASIS ?? 'CALENDAR_365',
        priceRule: e.G6_PRICE_RULE ?? 'MID_ELSE_LAST',
      }),
      staleQuoteMs: Math.round((e.G6_STALE_QUOTE_SECONDS ?? 600) * 1000),
      marketHolidays: e.G6_MARKET_HOLIDAYS === undefined ? null : Object.freeze([...e.G6_MARKET_HOLIDAYS]),
      calendarOverride,
      simulatedClock: e.G6_SIM_CLOCK === 'exchange' ? 'EXCHANGE' : 'SESSION',
      collectOutsideHours: e.G6_COLLECT_OUTSIDE_HOURS ?? false,
      csvEnabled: e.G6_ENABLE_CSV ?? true,
      csvCompress: e.G6_CSV_COMPRESS ?? false,
      csvBacklogMaxBytes: e.G6_CSV_BACKLOG_MAX_BYTES ?? 256 * 1024 * 1024,
      influx:
        e.G6_ENABLE_INFLUXDB === true
          ? Object.freeze({
              url: e.INFLUXDB_URL as string,
              token: e.INFLUXDB_TOKEN as string,
              org: e.INFLUXDB_ORG as string,
              bucket: e.INFLUXDB_BUCKET as string,
              spoolMaxBytes: e.G6_SPOOL_MAX_BYTES ?? 1024 ** 3,
              requestTimeoutMs: Math.round((e.G6_INFLUXDB_TIMEOUT ?? 10) * 1000),
              retryMaxMs: Math.round((e.G6_INFLUXDB_RETRY_MAX ?? 60) * 1000),
            })
          : null,
      healthIntervalMs: Math.round((e.G6_HEALTH_INTERVAL ?? 60) * 1000),
      metricsEnabled: e.G6_METRICS_ENABLED ?? true,
      kite: Object.freeze({
        apiKey: e.KITE_API_KEY,
        apiSecret: e.KITE_API_SECRET,
        accessToken: e.KITE_ACCESS_TOKEN,
        root: e.G6_KITE_ROOT,
        tickerRoot: e.G6_KITE_TICKER_ROOT,
        tokenFile: e.G6_TOKEN_FILE ?? join(e.G6_DATA_DIR ?? 'data', 'kite', 'access-token.enc'),
        passphrase: e.G6_TOKEN_PASSPHRASE,
        ticker: e.G6_KITE_TICKER ?? true,
        requestTimeoutMs: Math.round((e.G6_KITE_TIMEOUT ?? 7) * 1000),
      }),
      liveUpdatesPerSecond: e.G6_LIVE_UPDATES_PER_SECOND ?? 4,
      api: Object.freeze({
        operation: Object.freeze({
          maxDepth: e.G6_MAX_QUERY_DEPTH ?? DEFAULT_OPERATION_LIMITS.maxDepth,
          maxAliases: e.G6_MAX_ALIASES ?? DEFAULT_OPERATION_LIMITS.maxAliases,
          maxDirectives: e.G6_MAX_DIRECTIVES ?? DEFAULT_OPERATION_LIMITS.maxDirectives,
          maxTokens: e.G6_MAX_TOKENS ?? DEFAULT_OPERATION_LIMITS.maxTokens,
          maxCost: e.G6_MAX_QUERY_COST ?? DEFAULT_OPERATION_LIMITS.maxCost,
          costPerMinute: e.G6_RATE_LIMIT_COST_PER_MINUTE ?? DEFAULT_OPERATION_LIMITS.costPerMinute,
        }),
        maxBodyBytes: e.G6_MAX_BODY_BYTES ?? 256 * 1024,
        wsMaxSubscriptions: e.G6_WS_MAX_SUBSCRIPTIONS ?? 100,
        wsMaxSocketsPerClient: e.G6_WS_MAX_SOCKETS_PER_CLIENT ?? 50,
        wsMaxBufferedBytes: e.G6_WS_MAX_BUFFERED_BYTES ?? 4 * 1024 * 1024,
        wsInitTimeoutMs: Math.round((e.G6_WS_INIT_TIMEOUT ?? 3) * 1000),
        maxInFlight: e.G6_MAX_IN_FLIGHT ?? 256,
        apiKeys: Object.freeze(apiKeys),
        corsOrigins: Object.freeze(e.G6_CORS_ORIGINS ?? []),
        responseCacheTtlMs: Math.round((e.G6_RESPONSE_CACHE_TTL ?? 1) * 1000),
        responseCacheMaxBytes: e.G6_RESPONSE_CACHE_MAX_BYTES ?? 64 * 1024 * 1024,
      }),
      role,
      shutdownTimeoutMs: Math.round((e.G6_SHUTDOWN_TIMEOUT ?? 10) * 1000),
      profiles: Object.freeze({
        alpha: e.G6_PROFILE_EMA_ALPHA ?? 0.5,
        // The collection grid by default: one observation per collection and bucket.
        bucketSeconds: e.G6_PROFILE_BUCKET_SECONDS ?? Math.max(1, Math.round(collectionIntervalMs / 1000)),
        maxOffset: e.G6_PROFILE_MAX_OFFSET ?? 10,
      }),
      compaction: Object.freeze({
        enabled: e.G6_COMPACTION ?? true,
        keepCsv: e.G6_COMPACTION_KEEP_CSV === 'archive' ? ('gzip-archive' as const) : ('delete' as const),
      }),
      retention:
        e.G6_RETENTION_DAYS === undefined
          ? null
          : Object.freeze({
              days: e.G6_RETENTION_DAYS,
              action: e.G6_RETENTION_ACTION ?? 'DELETE',
              archiveDir: e.G6_ARCHIVE_DIR ?? join(e.G6_DATA_DIR ?? 'data', 'archive'),
            }),
      health: Object.freeze({
        staleIntervals: e.G6_HEALTH_STALE_INTERVALS ?? 3,
        diskMinFreePercent: e.G6_HEALTH_DISK_MIN_FREE_PERCENT ?? DEFAULT_DISK_MIN_FREE_PERCENT,
        eventLoopP99Ms: e.G6_HEALTH_EVENT_LOOP_P99_MS ?? 200,
        maxRssBytes: (e.G6_HEALTH_MAX_RSS_MB ?? 2048) * 1_048_576,
        alertForMs: Math.round((e.G6_ALERT_FOR ?? 30) * 1000),
        keepFiringForMs: Math.round((e.G6_ALERT_KEEP_FIRING_FOR ?? 60) * 1000),
      }),
      alertWebhooks:
        e.G6_ALERT_WEBHOOK_URLS === undefined
          ? null
          : Object.freeze({
              urls: Object.freeze([...e.G6_ALERT_WEBHOOK_URLS]),
              secret: e.G6_ALERT_WEBHOOK_SECRET ?? null,
              timeoutMs: Math.round((e.G6_ALERT_WEBHOOK_TIMEOUT ?? 5) * 1000),
              maxBackoffMs: Math.round((e.G6_ALERT_WEBHOOK_RETRY_MAX ?? 60) * 1000),
              maxAttempts: e.G6_ALERT_WEBHOOK_ATTEMPTS ?? 8,
              maxQueue: e.G6_ALERT_WEBHOOK_QUEUE ?? 100,
            }),
      redis:
        e.G6_REDIS_URL === undefined
          ? null
          : Object.freeze({
              url: e.G6_REDIS_URL,
              prefix: e.G6_REDIS_PREFIX ?? 'g6',
              leaseTtlMs: Math.round((e.G6_REDIS_LEASE_TTL ?? 5) * 1000),
              heartbeatMs: Math.round((e.G6_REDIS_HEARTBEAT ?? 1) * 1000),
            }),
    }),
  };
}

/** G6_CONFIG_FILE read and validated; every problem names the variable and the path. */
function readConfigFile(
  path: string,
  readTextFile: (path: string) => string,
): { ok: true; value: ConfigFile } | { ok: false; errors: string[] } {
  const where = `G6_CONFIG_FILE=${JSON.stringify(path)}`;
  let text: string;
  try {
    text = readTextFile(path);
  } catch (error) {
    return { ok: false, errors: [`${where}: cannot read it (${(error as Error).message})`] };
  }
  const parsed = parseConfigFile(text, configFileFormatOf(path));
  return parsed.ok ? parsed : { ok: false, errors: parsed.errors.map((problem) => `${where}: ${problem}`) };
}
