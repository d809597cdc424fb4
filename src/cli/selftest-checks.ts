import { randomBytes, randomInt } from 'node:crypto';
import { constants, existsSync } from 'node:fs';
import { access, mkdir, open, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { HttpError, InfluxDB, setLogger } from '@influxdata/influxdb-client';
import type { Logger } from 'pino';
import { black76, blackScholes } from '../analytics/black-scholes.ts';
import { impliedVolatility } from '../analytics/implied-volatility.ts';
import { type CollectDependencies, collectOnce } from '../collectors/collect-once.ts';
import type { InfluxConfig, RedisConfig } from '../config.ts';
import type { IndexSymbol } from '../domain/indices.ts';
import { toIstCompactDate } from '../domain/ist-time.ts';
import type { IndexSnapshot } from '../domain/snapshot.ts';
import { readDiskSpace } from '../health/disk-space.ts';
import { createCsvHistory } from '../history/csv-history.ts';
import type { TokenState } from '../providers/kite/kite-credentials.ts';
import type { MarketDataProvider } from '../providers/market-data-provider.ts';
import { createRedisConnection } from '../scale/redis-connection.ts';
import { renderSnapshot } from '../sinks/csv-rows.ts';
import {
  REFERENCE_ABSOLUTE_TOLERANCE,
  REFERENCE_OPTIONS,
  REFERENCE_RELATIVE_TOLERANCE,
  type ReferenceOption,
} from './selftest-reference.ts';

export type CheckResult = 'PASS' | 'FAIL' | 'SKIP';

/** What one check found: SKIP only when the check does not apply to this configuration. */
export interface Verdict {
  readonly result: CheckResult;
  readonly detail: string;
}

export const pass = (detail: string): Verdict => ({ result: 'PASS', detail });
export const fail = (detail: string): Verdict => ({ result: 'FAIL', detail });
export const skip = (detail: string): Verdict => ({ result: 'SKIP', detail });

/** Below this share of the data directory's filesystem free, collection is about to stop: a failure. */

/** The measurement the InfluxDB check writes: no G6 dashboard or query reads it. */
export const SELFTEST_MEASUREMENT = 'g6_selftest';

/** How long a point the server acknowledged may take to become readable. */
const READ_BACK_MS = 5_000;

/** An error's code (when it has one) and message, for a check's detail. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.startsWith(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

/** A URL with any password replaced: what a detail may show of G6_REDIS_URL or INFLUXDB_URL. */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password === '') {
      return url.toString().replace(/\/$/, '');
    }
    // Set through a placeholder: the URL would percent-encode the brackets.
    url.password = 'REDACTED';
    return url.toString().replace(/\/$/, '').replace(':REDACTED@', ':[Redacted]@');
  } catch {
    return '[an invalid URL]';
  }
}

function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * Black-Scholes-Merton price and Greeks, the implied-volatility round trip and the Black-76 price (on the
 * forward S·e^((r−q)T), which prices the same option) of the reference options, against their exact values.
 */
export function checkAnalytics(references: readonly ReferenceOption[] = REFERENCE_OPTIONS): Verdict {
  const problems: string[] = [];
  let compared = 0;
  let largest = 0;
  for (const ref of references) {
    const compare = (what: string, actual: number, expected: number) => {
      compared += 1;
      const error = Math.abs(actual - expected);
      if (!(error <= REFERENCE_ABSOLUTE_TOLERANCE || error <= REFERENCE_RELATIVE_TOLERANCE * Math.abs(expected))) {
        problems.push(`row ${ref.row} ${what} ${actual} (reference ${expected})`);
      } else if (Math.abs(expected) * REFERENCE_RELATIVE_TOLERANCE > REFERENCE_ABSOLUTE_TOLERANCE) {
        // Where the relative tolerance is the one that applies.
        largest = Math.max(largest, error / Math.abs(expected));
      }
    };
    const input = {
      right: ref.right,
      spot: ref.spot,
      strike: ref.strike,
      timeToExpiryYears: ref.timeToExpiryYears,
      rate: ref.rate,
      dividendYield: ref.dividendYield,
      volatility: ref.volatility,
    };
    const greeks = blackScholes(input);
    compare('price', greeks.price, ref.price);
    compare('delta', greeks.delta, ref.delta);
    compare('gamma', greeks.gamma, ref.gamma);
    compare('vega', greeks.vegaPerVolPoint * 100, ref.vega);
    compare('theta', greeks.thetaPerDay * 365, ref.theta);
    compare('rho', greeks.rhoPerRatePoint * 100, ref.rho);
    const iv = impliedVolatility({ ...input, price: ref.price });
    if (iv.ok) {
      compare('implied volatility', iv.volatility, ref.volatility);
    } else {
      compared += 1;
      problems.push(`row ${ref.row} implied volatility not solved (${iv.reason})`);
    }
    const forward = ref.spot * Math.exp((ref.rate - ref.dividendYield) * ref.timeToExpiryYears);
    compare('Black-76 price', black76({ ...input, forward }).price, ref.price);
  }
  const what = `${compared} values of ${references.length} reference options (price, delta, gamma, vega, theta, rho, IV round trip, Black-76 price)`;
  if (problems.length > 0) {
    return fail(
      `${problems.length} of ${what} outside 1e-9 relative: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; …' : ''}`,
    );
  }
  return pass(`${what} within 1e-9 relative; largest relative error ${largest.toExponential(1)}`);
}

/** The missing directories from `dir` up to the first that exists, deepest first. */
function missingDirectories(dir: string): string[] {
  const missing: string[] = [];
  let current = dir;
  while (!existsSync(current)) {
    missing.push(current);
    const parent = dirname(current);
    if (parent === current) {
      break;
    }
    current = parent;
  }
  return missing;
}

/**
 * The data directory exists or can be created, takes a file (created, written, fsynced and deleted) and
 * has room. Directories the check had to create are removed again: the server creates them at start.
 * An API replica (`writable` false) writes nothing there, so only readability is asked of it.
 */
export async function checkDataDirectory(
  path: string,
  options: { readonly writable: boolean; readonly minFreePercent: number },
): Promise<Verdict> {
  const dir = resolve(path);
  if (!options.writable) {
    if (!existsSync(dir)) {
      return pass(`${dir} absent: this API replica writes nothing (history needs the collector's directory here)`);
    }
    try {
      await access(dir, constants.R_OK | constants.X_OK);
    } catch (error) {
      return fail(`${dir} is not readable: ${describeError(error)}`);
    }
    return pass(`${dir} readable (an API replica writes nothing here)`);
  }
  const missing = missingDirectories(dir);
  try {
    if (missing.length > 0) {
      try {
        await mkdir(dir, { recursive: true });
      } catch (error) {
        return fail(`${dir} does not exist and cannot be created: ${describeError(error)}`);
      }
    } else if (!(await stat(dir)).isDirectory()) {
      return fail(`${dir} is not a directory`);
    }
    const probe = join(dir, `.g6-selftest-${process.pid}-${randomBytes(4).toString('hex')}.probe`);
    try {
      const handle = await open(probe, 'wx', 0o600);
      try {
        await handle.writeFile(Buffer.alloc(4096, 0x67));
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (error) {
      await unlink(probe).catch(() => undefined);
      return fail(`${dir} is not writable: ${describeError(error)}`);
    }
    await unlink(probe);
    const { freeBytes: free, totalBytes: total } = await readDiskSpace(dir);
    const fraction = total > 0 ? free / total : 0;
    const space = `${formatBytes(free)} free of ${formatBytes(total)} (${(fraction * 100).toFixed(1)} %)`;
    const created = missing.length > 0 ? ' (created for the check, then removed)' : '';
    if (fraction * 100 < options.minFreePercent) {
      return fail(
        `${dir} writable${created} but only ${space}: below ${options.minFreePercent} %, storage is about to fail`,
      );
    }
    return pass(`${dir} writable${created}; ${space}`);
  } finally {
    for (const created of missing) {
      await rmdir(created).catch(() => undefined);
    }
  }
}

/** The simulated market answers every configured index with a spot and at least one chain. */
export async function checkProviderAnswers(
  provider: MarketDataProvider,
  indices: readonly IndexSymbol[],
  label: string,
  signal: AbortSignal,
): Promise<Verdict> {
  const answers: string[] = [];
  const problems: string[] = [];
  for (const index of indices) {
    try {
      const data = await provider.fetchIndex(index, signal);
      const expiries = data.expiries.filter((e) => e.strikes.length > 0).length;
      if (Number.isFinite(data.spot) && data.spot > 0 && expiries > 0) {
        answers.push(`${index} ${data.spot.toFixed(2)}`);
      } else {
        problems.push(`${index}: no usable chain (spot ${data.spot}, ${expiries} expiries with strikes)`);
      }
    } catch (error) {
      problems.push(`${index}: ${describeError(error)}`);
    }
  }
  if (problems.length > 0) {
    return fail(`${label}: ${problems.join('; ')}`);
  }
  return pass(`${label} answers every configured index: ${answers.join(', ')}`);
}

const LOGIN_HINT = 'run `g6 login`';

/**
 * Kite's verdict after the provider started: its token check (`/user/profile`) is both the token's
 * validity and Kite's reachability. `unreachableBecause` is what the provider logged when Kite did not answer.
 */
export function kiteVerdict(
  state: TokenState,
  root: string,
  tokenFile: string,
  unreachableBecause: string | null,
): Verdict {
  if (state.status !== 'valid') {
    return fail(state.reason.includes('g6 login') ? state.reason : `${state.reason}; ${LOGIN_HINT}`);
  }
  if (!state.verified) {
    return fail(
      `Kite at ${root} did not answer the token check (${unreachableBecause ?? 'no answer'}): check the network and G6_KITE_ROOT`,
    );
  }
  const source = state.source === 'vault' ? `the vault ${tokenFile}` : 'KITE_ACCESS_TOKEN';
  return pass(
    `Kite at ${root} accepted the access token from ${source}; it expires at ${state.expiresAt.toISOString()} (06:00 IST)`,
  );
}

/** One full collection of `index`: provider, analytics, store, publish and every sink. */
export async function checkCollection(
  deps: CollectDependencies,
  index: IndexSymbol,
  signal: AbortSignal,
): Promise<{ readonly verdict: Verdict; readonly snapshot: IndexSnapshot | null }> {
  const result = await collectOnce(deps, index, signal);
  const { snapshot } = result;
  const contracts = snapshot.chains.reduce((n, c) => n + c.summary.contractCount, 0);
  const solved = snapshot.chains.reduce((n, c) => n + c.summary.ivSolvedCount, 0);
  const atmIv = snapshot.chains[0]?.summary.atmIv ?? null;
  const failed = result.sinkOutcomes.filter((o) => !o.ok);
  const written = result.sinkOutcomes.filter((o) => o.ok).map((o) => o.sink);
  const summary =
    `seq ${snapshot.seq}, spot ${snapshot.spot.toFixed(2)}, ${snapshot.chains.length} expiries, ${contracts} contracts ` +
    `(IV solved for ${solved}), nearest ATM IV ${atmIv === null ? 'none' : `${(atmIv * 100).toFixed(2)} %`}; ` +
    `fetch ${Math.round(result.fetchMs)} ms, analytics ${Math.round(result.analyzeMs)} ms`;
  if (snapshot.chains.length === 0) {
    return { verdict: fail(`the provider answered, but no expiry could be analysed (${summary})`), snapshot: null };
  }
  if (failed.length > 0) {
    const why = failed.map((o) => `${o.sink}: ${describeError(o.error)}`).join('; ');
    return { verdict: fail(`${summary}; sink write failed (${why})`), snapshot };
  }
  return {
    verdict: pass(`${summary}; ${written.length === 0 ? 'no sink configured' : `written to ${written.join(', ')}`}`),
    snapshot,
  };
}

/**
 * What the CSV sink wrote reads back through the history reader: the day is listed, and at each
 * snapshot's time the overview rows (one per expiry, with its index and seq) and the contract rows are
 * the ones rendered for it.
 */
export async function checkCsvReadBack(dataDir: string, snapshots: readonly IndexSnapshot[]): Promise<Verdict> {
  const history = createCsvHistory({ dataDir });
  const problems: string[] = [];
  let overviewRows = 0;
  let contractRows = 0;
  for (const snapshot of snapshots) {
    const expected = renderSnapshot(snapshot);
    const day = toIstCompactDate(snapshot.observedAt);
    const at = snapshot.observedAt.getTime();
    const where = `${snapshot.index} seq ${snapshot.seq}`;
    if (!(await history.days(snapshot.index)).includes(day)) {
      problems.push(`${where}: day ${day} not listed`);
      continue;
    }
    const overview = (await history.overviewDay(snapshot.index, day)).filter((r) => r.timestamp.getTime() === at);
    const contracts = await history.contractsAt(snapshot.index, day, snapshot.observedAt);
    if (overview.length !== expected.overviewRows) {
      problems.push(`${where}: ${overview.length} overview rows read back, ${expected.overviewRows} written`);
    }
    if (overview.some((r) => r.index !== snapshot.index || r.seq !== snapshot.seq)) {
      problems.push(`${where}: overview rows read back with another index or seq`);
    }
    if (contracts.length !== expected.optionsRows) {
      problems.push(`${where}: ${contracts.length} contract rows read back, ${expected.optionsRows} written`);
    }
    overviewRows += overview.length;
    contractRows += contracts.length;
  }
  if (problems.length > 0) {
    return fail(problems.join('; '));
  }
  return pass(
    `${snapshots.length} snapshot(s) written to a temporary CSV store and read back: ${overviewRows} overview and ` +
      `${contractRows} contract rows, index, seq and time as written`,
  );
}

function fluxString(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function describeInfluxError(error: unknown): string {
  if (error instanceof HttpError) {
    const message = typeof error.json?.message === 'string' ? error.json.message : (error.body ?? error.message);
    const hint =
      error.statusCode === 401 || error.statusCode === 403
        ? ' (check INFLUXDB_TOKEN)'
        : error.statusCode === 404
          ? ' (check INFLUXDB_ORG and INFLUXDB_BUCKET)'
          : '';
    return `HTTP ${error.statusCode}: ${String(message).slice(0, 200)}${hint}`;
  }
  return describeError(error);
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

type ReadBack =
  | { readonly kind: 'found'; readonly via: string }
  | { readonly kind: 'missing'; readonly via: string }
  | { readonly kind: 'unavailable'; readonly why: string };

/**
 * Looks the probe point up: InfluxDB 2 (and 1.8 with Flux) answer a Flux query at /api/v2/query;
 * VictoriaMetrics, which also takes Influx writes, exports at /api/v1/export. Polled until found or
 * READ_BACK_MS, since a store may make a write visible a moment after acknowledging it.
 */
async function readBackPoint(
  influx: InfluxConfig,
  nonce: number,
  timestampMs: number,
  signal: AbortSignal,
): Promise<ReadBack> {
  const base = influx.url.replace(/\/+$/, '');
  const auth = { Authorization: `Token ${influx.token}` };
  const flux =
    `from(bucket: ${fluxString(influx.bucket)})` +
    ` |> range(start: time(v: "${new Date(timestampMs - 1000).toISOString()}"), stop: time(v: "${new Date(timestampMs + 1000).toISOString()}"))` +
    ` |> filter(fn: (r) => r._measurement == "${SELFTEST_MEASUREMENT}" and r._field == "nonce" and r.selftest == "true")`;
  const queryFlux = async (): Promise<Response> =>
    fetch(`${base}/api/v2/query?org=${encodeURIComponent(influx.org)}`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json', Accept: 'application/csv' },
      body: JSON.stringify({ query: flux, type: 'flux', dialect: { header: true, annotations: [] } }),
      signal,
    });
  const fluxHolds = (csv: string) => {
    const lines = csv.split(/\r?\n/).filter((l) => l.length > 0);
    const header = lines[0]?.split(',') ?? [];
    const value = header.indexOf('_value');
    return value >= 0 && lines.slice(1).some((l) => Number(l.split(',')[value]) === nonce);
  };
  const exportQuery = new URLSearchParams({
    'match[]': `{__name__="${SELFTEST_MEASUREMENT}_nonce",selftest="true"}`,
    start: String(timestampMs / 1000 - 1),
    end: String(timestampMs / 1000 + 1),
  });
  const exportHolds = (text: string) =>
    text
      .split('\n')
      .filter((l) => l.trim().length > 0)
      .some((l) => {
        const series = JSON.parse(l) as { values?: number[]; timestamps?: number[] };
        return (series.timestamps ?? []).some((t, i) => t === timestampMs && series.values?.[i] === nonce);
      });

  const deadline = performance.now() + READ_BACK_MS;
  let response = await queryFlux();
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel();
    return {
      kind: 'unavailable',
      why: `the server refused the Flux read-back (HTTP ${response.status}: the token may only write)`,
    };
  }
  if (response.ok) {
    for (;;) {
      if (fluxHolds(await response.text())) {
        return { kind: 'found', via: 'Flux /api/v2/query' };
      }
      if (performance.now() >= deadline || signal.aborted) {
        return { kind: 'missing', via: 'Flux /api/v2/query' };
      }
      await wait(200, signal);
      response = await queryFlux();
    }
  }
  const fluxStatus = response.status;
  await response.body?.cancel();
  // VictoriaMetrics makes fresh rows searchable on a flush: ask for one (elsewhere a harmless 404).
  await fetch(`${base}/internal/force_flush`, { headers: auth, signal })
    .then((r) => r.body?.cancel())
    .catch(() => undefined);
  for (;;) {
    const exported = await fetch(`${base}/api/v1/export?${exportQuery}`, { headers: auth, signal });
    if (!exported.ok) {
      await exported.body?.cancel();
      return {
        kind: 'unavailable',
        why: `no read-back API (Flux /api/v2/query answered HTTP ${fluxStatus}, /api/v1/export HTTP ${exported.status})`,
      };
    }
    if (exportHolds(await exported.text())) {
      return { kind: 'found', via: 'VictoriaMetrics /api/v1/export' };
    }
    if (performance.now() >= deadline || signal.aborted) {
      return { kind: 'missing', via: 'VictoriaMetrics /api/v1/export' };
    }
    await wait(200, signal);
  }
}

/**
 * Writes one point with the sink's client and settings (same URL, token, org, bucket, timeout, ms
 * precision, no client-side retries) and reads it back. The point goes to its own measurement
 * (`g6_selftest`, tag `selftest=true`, one field `nonce`) at the `now` instant, never to the `options` or
 * `market_overview` series dashboards read.
 */
export async function checkInflux(
  influx: InfluxConfig,
  options: { readonly now: () => Date; readonly logger: Logger; readonly signal: AbortSignal },
): Promise<Verdict> {
  const target = `bucket "${influx.bucket}" (org "${influx.org}") at ${redactUrl(influx.url)}`;
  const nonce = randomInt(1, 2 ** 31 - 1);
  const timestampMs = options.now().getTime();
  // The client prints failed writes to the console itself; this check reports them in its detail.
  setLogger({
    error: (message: string) => options.logger.debug({ component: 'influxdb-client' }, message),
    warn: (message: string) => options.logger.debug({ component: 'influxdb-client' }, message),
  });
  const writeApi = new InfluxDB({ url: influx.url, token: influx.token, timeout: influx.requestTimeoutMs }).getWriteApi(
    influx.org,
    influx.bucket,
    'ms',
    { batchSize: 2, flushInterval: 0, maxRetries: 0, maxBufferLines: 2 },
  );
  try {
    writeApi.writeRecord(`${SELFTEST_MEASUREMENT},selftest=true nonce=${nonce}i ${timestampMs}`);
    await writeApi.flush();
  } catch (error) {
    return fail(`writing to ${target} failed: ${describeInfluxError(error)}`);
  } finally {
    await writeApi.close().catch(() => undefined);
  }
  const written = `wrote one point (measurement ${SELFTEST_MEASUREMENT}, tag selftest=true) to ${target}`;
  let found: ReadBack;
  try {
    found = await readBackPoint(influx, nonce, timestampMs, options.signal);
  } catch (error) {
    return fail(`${written}, but reading it back failed: ${describeError(error)}`);
  }
  if (found.kind === 'unavailable') {
    return pass(`${written}; the server acknowledged it (2xx); not read back: ${found.why}`);
  }
  if (found.kind === 'missing') {
    return fail(
      `${written}; the server acknowledged it but ${found.via} did not return it within ${READ_BACK_MS / 1000} s ` +
        '(a timestamp outside the retention period is dropped silently)',
    );
  }
  return pass(`${written} and read it back (${found.via})`);
}

/** PING, then SET (with a one-minute expiry, should the check die), GET and DEL of a key under the prefix. */
export async function checkRedis(
  redis: RedisConfig,
  options: { readonly now: () => Date; readonly logger: Logger },
): Promise<Verdict> {
  const shown = redactUrl(redis.url);
  const connection = createRedisConnection({
    url: redis.url,
    name: 'g6-selftest',
    logger: options.logger.child({ component: 'redis' }),
    now: options.now,
  });
  let lastError: unknown = null;
  connection.on('error', (error: Error) => {
    lastError = error;
  });
  try {
    try {
      await connection.connect();
    } catch (error) {
      return fail(`cannot connect to ${shown}: ${describeError(lastError ?? error)}`);
    }
    const key = `${redis.prefix}:selftest:${randomBytes(6).toString('hex')}`;
    const value = randomBytes(12).toString('hex');
    let pong: string;
    let read: string | null;
    let deleted: number;
    try {
      pong = await connection.ping();
      await connection.set(key, value, 'PX', 60_000);
      read = await connection.get(key);
      deleted = await connection.del(key);
    } catch (error) {
      return fail(`${shown} connected, but a command failed: ${describeError(error)}`);
    }
    if (pong !== 'PONG' || read !== value || deleted !== 1) {
      return fail(
        `${shown}: PING answered ${JSON.stringify(pong)}; SET then GET of ${key} gave ${read === value ? 'the value' : JSON.stringify(read)}, DEL removed ${deleted}`,
      );
    }
    return pass(`${shown}: PING answered; SET, GET and DEL of ${key} round-tripped (prefix ${redis.prefix})`);
  } finally {
    connection.disconnect();
  }
}
