import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { runSelftest, type SelftestReport } from '../../src/cli/selftest.ts';
import { checkAnalytics, checkCsvReadBack } from '../../src/cli/selftest-checks.ts';
import { REFERENCE_OPTIONS } from '../../src/cli/selftest-reference.ts';
import { createCsvSink } from '../../src/sinks/csv-sink.ts';
import { runCli } from '../helpers/cli.ts';
import { ACCESS_TOKEN, API_KEY, startFakeKite } from '../helpers/fake-kite.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { simulatedSnapshots } from '../helpers/simulated-snapshots.ts';
import { mountTmpfs } from '../helpers/tmpfs.ts';
import { freePort, startVictoriaMetrics } from '../helpers/victoria-metrics.ts';

/**
 * `g6 selftest` through `runSelftest` (the function main() calls) with a clean environment per run, against
 * the simulated market, the fake Kite, a real redis-server and VictoriaMetrics (which takes Influx writes),
 * and closed ports. The market instant is a session: Wednesday 2 Dec 2026, 10:30 IST.
 */
const NOW = new Date('2026-12-02T05:00:00.000Z');
const now = () => NOW;

const cleanup: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) {
    await step();
  }
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'g6-st-test-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function selftest(args: string[], env: Record<string, string>): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk) => out.push(String(chunk)));
  stderr.on('data', (chunk) => err.push(String(chunk)));
  const code = await runSelftest(args, env, { stdout, stderr }, { now });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** A `--json` run: stdout must be exactly one JSON line. */
async function selftestJson(env: Record<string, string>, args: string[] = []): Promise<Run & SelftestReport> {
  const run = await selftest([...args, '--json'], env);
  const lines = run.stdout.split('\n');
  expect(lines, run.stdout).toHaveLength(2);
  expect(lines[1]).toBe('');
  return { ...run, ...(JSON.parse(lines[0]!) as SelftestReport) };
}

function byName(report: SelftestReport): Record<string, { result: string; detail: string }> {
  return Object.fromEntries(report.checks.map((c) => [c.name, { result: c.result, detail: c.detail }]));
}

const selftestTempDirs = () => readdirSync(tmpdir()).filter((n) => n.startsWith('g6-selftest-'));

describe('g6 selftest', () => {
  it('passes every applicable check on the simulated market, prints one JSON object and writes nothing to the data dir', async () => {
    const dataDir = tempDir();
    const tempsBefore = selftestTempDirs();

    const run = await selftestJson({ G6_DATA_DIR: dataDir, G6_MOCK_MODE: 'true' });

    expect(run.code).toBe(0);
    expect(run.ok).toBe(true);
    expect(run.checks.map((c) => c.name)).toEqual([
      'configuration',
      'analytics',
      'data directory',
      'provider',
      'collection NIFTY',
      'collection BANKNIFTY',
      'collection FINNIFTY',
      'collection MIDCPNIFTY',
      'collection SENSEX',
      'csv',
      'influx',
      'redis',
    ]);
    for (const check of run.checks) {
      expect(Object.keys(check).sort()).toEqual(['detail', 'durationMs', 'name', 'result']);
      expect(Number.isInteger(check.durationMs) && check.durationMs >= 0).toBe(true);
      expect(check.detail.length).toBeGreaterThan(0);
      expect(check.result, `${check.name}: ${check.detail}`).toBe(
        check.name === 'influx' || check.name === 'redis' ? 'SKIP' : 'PASS',
      );
    }
    const checks = byName(run);
    expect(checks.provider?.detail).toMatch(/answers every configured index: NIFTY \d+\.\d\d, BANKNIFTY .*SENSEX \d+/);
    expect(checks['collection NIFTY']?.detail).toMatch(
      /^seq 1, spot \d+\.\d\d, \d+ expiries, \d+ contracts.*written to csv$/,
    );
    expect(checks.csv?.detail).toMatch(/^5 snapshot\(s\) written to a temporary CSV store and read back: \d+ overview/);
    expect(checks.analytics?.detail).toMatch(/^64 values of 8 reference options/);
    expect(checks['data directory']?.detail).toMatch(
      new RegExp(`^${dataDir} writable; .* free of .* \\(\\d+\\.\\d %\\)$`),
    );
    expect(checks.influx?.detail).toMatch(/G6_ENABLE_INFLUXDB/);
    expect(checks.redis?.detail).toMatch(/G6_REDIS_URL/);
    expect(run.stderr).toBe('');
    // No CSV, lock or probe in the configured directory; the temporary store is gone.
    expect(readdirSync(dataDir)).toEqual([]);
    expect(selftestTempDirs()).toEqual(tempsBefore);
  });

  it('prints a table with a header, one row per check and the counts', async () => {
    const run = await selftest(['--mock'], { G6_DATA_DIR: tempDir(), G6_INDICES: 'NIFTY,BANKNIFTY' });

    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^check\s+result\s+time\s+detail$/);
    const names = [
      'configuration',
      'analytics',
      'data directory',
      'provider',
      'collection NIFTY',
      'collection BANKNIFTY',
      'csv',
      'influx',
      'redis',
    ];
    expect(lines).toHaveLength(names.length + 2);
    for (const [i, name] of names.entries()) {
      const skipped = name === 'influx' || name === 'redis';
      expect(lines[i + 1]).toMatch(new RegExp(`^${name}\\s+${skipped ? 'SKIP' : 'PASS'}\\s+\\d+ ms  \\S`));
    }
    expect(lines.at(-1)).toBe('selftest: 7 passed, 0 failed, 2 skipped');
    // Not a terminal: no colour codes.
    expect(run.stdout).not.toContain('\u001b[');
  });

  it('writes to and reads back from Redis and InfluxDB (VictoriaMetrics) when configured, leaving no key', async () => {
    const redis = await startRedis();
    cleanup.push(() => redis.stop());
    const vm = await startVictoriaMetrics();
    cleanup.push(() => vm.stop());
    const influxToken = 'selftest-influx-token-9f2c';

    const run = await selftestJson({
      G6_DATA_DIR: tempDir(),
      G6_MOCK_MODE: 'true',
      G6_INDICES: 'NIFTY',
      G6_ENABLE_INFLUXDB: 'true',
      INFLUXDB_URL: vm.url,
      INFLUXDB_TOKEN: influxToken,
      INFLUXDB_ORG: 'g6',
      INFLUXDB_BUCKET: 'g6',
      G6_REDIS_URL: redis.url,
      G6_REDIS_PREFIX: 'selftest-prefix',
    });

    expect(run.code, run.stdout).toBe(0);
    expect(run.checks.every((c) => c.result === 'PASS')).toBe(true);
    const checks = byName(run);
    expect(checks.influx?.detail).toMatch(/read it back \(VictoriaMetrics \/api\/v1\/export\)$/);
    expect(checks.redis?.detail).toMatch(
      /PING answered; SET, GET and DEL of selftest-prefix:selftest:\w+ round-tripped/,
    );
    // One probe point, at the injected instant, in its own measurement; nothing in the dashboards' series.
    const probe = await vm.exportSeries('g6_selftest_.*');
    expect(probe).toHaveLength(1);
    expect(probe[0]?.metric).toMatchObject({ __name__: 'g6_selftest_nonce', selftest: 'true' });
    expect(probe[0]?.timestamps).toEqual([NOW.getTime()]);
    expect(await vm.exportSeries('(options|market_overview)_.*')).toEqual([]);
    const client = new Redis(redis.url, { lazyConnect: true });
    await client.connect();
    expect(await client.keys('selftest-prefix:*')).toEqual([]);
    client.disconnect();
    expect(run.stdout).not.toContain(influxToken);
  });

  it('fails the InfluxDB and Redis checks on closed ports, exits 1 and still runs every other check', async () => {
    const [influxPort, redisPort] = [await freePort(), await freePort()];
    const run = await selftestJson({
      G6_DATA_DIR: tempDir(),
      G6_MOCK_MODE: 'true',
      G6_INDICES: 'NIFTY',
      G6_ENABLE_INFLUXDB: 'true',
      INFLUXDB_URL: `http://127.0.0.1:${influxPort}`,
      INFLUXDB_TOKEN: 'closed-port-influx-token',
      INFLUXDB_ORG: 'g6',
      INFLUXDB_BUCKET: 'g6',
      G6_REDIS_URL: `redis://:redis-secret-pass@127.0.0.1:${redisPort}`,
    });

    expect(run.code).toBe(1);
    expect(run.ok).toBe(false);
    const checks = byName(run);
    expect(checks.influx).toEqual({
      result: 'FAIL',
      detail: expect.stringMatching(
        new RegExp(`^writing to bucket "g6" .*127\\.0\\.0\\.1:${influxPort} failed: .*ECONNREFUSED`),
      ),
    });
    expect(checks.redis).toEqual({
      result: 'FAIL',
      detail: expect.stringMatching(
        new RegExp(`^cannot connect to redis://:\\[Redacted\\]@127\\.0\\.0\\.1:${redisPort}: .*ECONNREFUSED`),
      ),
    });
    for (const name of ['configuration', 'analytics', 'data directory', 'provider', 'collection NIFTY', 'csv']) {
      expect(checks[name]?.result, `${name}: ${checks[name]?.detail}`).toBe('PASS');
    }
    expect(run.stdout).not.toContain('redis-secret-pass');
    expect(run.stdout).not.toContain('closed-port-influx-token');
  });

  it('fails the configuration check naming a bad variable, exit 1, and still checks what it can', async () => {
    const run = await selftestJson({ G6_DATA_DIR: tempDir(), G6_COLLECTION_INTERVAL: 'abc' });

    expect(run.code).toBe(1);
    const checks = byName(run);
    expect(checks.configuration).toEqual({
      result: 'FAIL',
      detail: expect.stringContaining('G6_COLLECTION_INTERVAL="abc": expected seconds'),
    });
    expect(checks.analytics?.result).toBe('PASS');
    expect(checks['data directory']?.result).toBe('PASS');
    // What needs a configuration is not passed over in silence.
    for (const name of ['provider', 'collection', 'csv']) {
      expect(checks[name]).toEqual({
        result: 'FAIL',
        detail: expect.stringMatching(/^not checked: the configuration/),
      });
    }
    expect(checks.influx?.result).toBe('SKIP');
  });

  it('exits 2 on an unknown flag or a bad flag value with nothing on stdout, and 0 for --help', async () => {
    const unknown = await selftest(['--mock', '--verbose'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/^g6 selftest: Unknown option '--verbose'/);
    expect(unknown.stderr).toContain('Usage: g6 selftest');

    const badValue = await selftest(['--json', '--provider', 'kyte'], {});
    expect(badValue.code).toBe(2);
    expect(badValue.stdout).toBe('');
    expect(badValue.stderr).toContain('--provider "kyte": expected kite or simulated');

    const help = await selftest(['--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: g6 selftest/);
  });

  it('fails the data-directory check where the directory cannot be created (a path under a file, even for root)', async () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, 'not a directory');

    const run = await selftestJson({ G6_DATA_DIR: join(file, 'sub'), G6_MOCK_MODE: 'true', G6_INDICES: 'NIFTY' });

    expect(run.code).toBe(1);
    const checks = byName(run);
    expect(checks['data directory']).toEqual({
      result: 'FAIL',
      detail: `${join(file, 'sub')} does not exist and cannot be created: ENOTDIR: not a directory, mkdir '${join(file, 'sub')}'`,
    });
    // Collection and storage do not use the configured directory.
    expect(checks['collection NIFTY']?.result).toBe('PASS');
    expect(checks.csv?.result).toBe('PASS');
  });

  it('fails the data-directory check when its filesystem has less than 5 % free, and removes its probe', async () => {
    const fs = mountTmpfs(1024 * 1024);
    cleanup.push(() => fs.unmount());
    writeFileSync(join(fs.dir, 'filler'), Buffer.alloc(1000 * 1024));

    const run = await selftestJson({ G6_DATA_DIR: fs.dir, G6_MOCK_MODE: 'true', G6_INDICES: 'NIFTY' });

    expect(run.code).toBe(1);
    expect(byName(run)['data directory']).toEqual({
      result: 'FAIL',
      detail: expect.stringMatching(
        new RegExp(`^${fs.dir} writable but only \\d+\\.\\d KiB free of 1\\.0 MiB \\([0-4]\\.\\d %\\): below 5 %`),
      ),
    });
    expect(readdirSync(fs.dir)).toEqual(['filler']);
  });

  it('creates a missing data directory for the check and removes it again', async () => {
    const parent = tempDir();
    const dataDir = join(parent, 'not', 'yet');

    const run = await selftestJson({ G6_DATA_DIR: dataDir, G6_MOCK_MODE: 'true', G6_INDICES: 'NIFTY' });

    expect(run.code).toBe(0);
    expect(byName(run)['data directory']?.detail).toMatch(/writable \(created for the check, then removed\); /);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('on Kite (the fake) with a valid token: the token check, a collection and CSV pass; nothing lands in the data dir', async () => {
    const fake = await startFakeKite({ now });
    cleanup.push(() => fake.close());
    const dataDir = tempDir();

    const run = await selftestJson({
      G6_DATA_DIR: dataDir,
      KITE_API_KEY: API_KEY,
      KITE_ACCESS_TOKEN: ACCESS_TOKEN,
      G6_KITE_ROOT: fake.restUrl,
      G6_KITE_TICKER_ROOT: fake.tickerUrl,
      G6_INDICES: 'NIFTY',
      G6_STRIKES_AROUND_ATM: '5',
    });

    expect(run.code, run.stdout).toBe(0);
    const checks = byName(run);
    expect(checks.configuration?.detail).toMatch(new RegExp(`^Kite at ${fake.restUrl}; indices NIFTY;`));
    expect(checks.provider).toEqual({
      result: 'PASS',
      detail: `Kite at ${fake.restUrl} accepted the access token from KITE_ACCESS_TOKEN; it expires at 2026-12-03T00:30:00.000Z (06:00 IST)`,
    });
    expect(checks['collection NIFTY']?.result).toBe('PASS');
    expect(checks.csv?.detail).toMatch(/^1 snapshot\(s\) written/);
    expect(fake.stats.requests['/user/profile']).toBe(1);
    expect(fake.stats.tickerConnections).toBe(0);
    // The instruments cache went to the temporary directory.
    expect(readdirSync(dataDir)).toEqual([]);
    expect(run.stdout).not.toContain(ACCESS_TOKEN);
  });

  it('on Kite with a wrong token: the provider check fails saying to run g6 login; storage is still checked', async () => {
    const fake = await startFakeKite({ now });
    cleanup.push(() => fake.close());
    const wrongToken = 'wrongtoken0123456789abcdef0000';

    const run = await selftestJson({
      G6_DATA_DIR: tempDir(),
      KITE_API_KEY: API_KEY,
      KITE_ACCESS_TOKEN: wrongToken,
      G6_KITE_ROOT: fake.restUrl,
      G6_INDICES: 'NIFTY',
    });

    expect(run.code).toBe(1);
    const checks = byName(run);
    expect(checks.provider).toEqual({
      result: 'FAIL',
      detail: expect.stringMatching(/^Kite profile failed: TokenException: .*; run `g6 login`$/),
    });
    expect(checks['collection NIFTY']).toEqual({ result: 'FAIL', detail: expect.stringContaining('g6 login') });
    expect(checks.csv).toEqual({
      result: 'PASS',
      detail: expect.stringMatching(/read back: .* \(a simulated NIFTY snapshot: nothing was collected\)$/),
    });
    expect(run.stdout).not.toContain(wrongToken);
  });

  it('on Kite that does not answer: the provider check fails naming the address; storage is still checked', async () => {
    const port = await freePort();

    const run = await selftestJson({
      G6_DATA_DIR: tempDir(),
      KITE_API_KEY: API_KEY,
      KITE_ACCESS_TOKEN: ACCESS_TOKEN,
      G6_KITE_ROOT: `http://127.0.0.1:${port}`,
      G6_INDICES: 'NIFTY',
    });

    expect(run.code).toBe(1);
    const checks = byName(run);
    expect(checks.provider).toEqual({
      result: 'FAIL',
      detail: expect.stringMatching(
        new RegExp(`^Kite at http://127\\.0\\.0\\.1:${port} did not answer the token check \\(.*ECONNREFUSED\\)`),
      ),
    });
    expect(checks['collection NIFTY']?.result).toBe('FAIL');
    expect(checks.csv?.result).toBe('PASS');
  });

  it('fails a collection that outlasts G6_COLLECTION_TIMEOUT instead of waiting for it', async () => {
    const fake = await startFakeKite({ now });
    cleanup.push(() => fake.close());
    fake.failNext('quote', 'hang');

    const run = await selftestJson({
      G6_DATA_DIR: tempDir(),
      KITE_API_KEY: API_KEY,
      KITE_ACCESS_TOKEN: ACCESS_TOKEN,
      G6_KITE_ROOT: fake.restUrl,
      G6_INDICES: 'NIFTY',
      G6_COLLECTION_TIMEOUT: '1',
    });

    expect(run.code).toBe(1);
    const collection = run.checks.find((c) => c.name === 'collection NIFTY');
    expect(collection).toMatchObject({
      result: 'FAIL',
      detail: 'did not finish within 1 s (G6_COLLECTION_TIMEOUT, as a server tick)',
    });
    expect(collection?.durationMs).toBeGreaterThanOrEqual(1000);
    expect(collection?.durationMs).toBeLessThan(2000);
    expect(byName(run).provider?.result).toBe('PASS');
  });

  it('fails the analytics check naming the row and value when a result is off its reference', () => {
    const [first, second, ...rest] = REFERENCE_OPTIONS;
    const altered = [{ ...first!, price: first!.price * 1.000001 }, { ...second!, vega: second!.vega + 0.01 }, ...rest];

    const verdict = checkAnalytics(altered);

    expect(verdict.result).toBe('FAIL');
    // The altered price is also what the IV round trip and Black-76 are checked against.
    expect(verdict.detail).toMatch(
      /^4 of 64 values .* outside 1e-9 relative: row 9 price 78\.159\d+ \(reference 78\.159\d+\); /,
    );
    expect(verdict.detail).toContain('row 9 implied volatility');
    expect(checkAnalytics().result).toBe('PASS');
  });

  it('fails the CSV check for a snapshot the store does not hold as written', async () => {
    const dataDir = tempDir();
    const [a, b, unwritten] = simulatedSnapshots('NIFTY', 3, 2_000, 2);
    const csv = createCsvSink({ dataDir, now });
    await csv.write(a!);
    await csv.write(b!);
    await csv.close();

    const written = await checkCsvReadBack(dataDir, [a!, b!]);
    const missing = await checkCsvReadBack(dataDir, [a!, b!, unwritten!]);

    expect(written.result).toBe('PASS');
    expect(missing).toEqual({
      result: 'FAIL',
      detail: expect.stringMatching(
        /^NIFTY seq 3: 0 overview rows read back, \d+ written; NIFTY seq 3: 0 contract rows/,
      ),
    });
  });

  // Needs `selftest` wired into main() (src/main.ts): then it runs as users run it, and exits on its own.
  it('runs as `g6 selftest --json` and exits on its own with every handle closed', async () => {
    const run = runCli(
      ['selftest', '--mock', '--json'],
      { G6_DATA_DIR: tempDir(), G6_INDICES: 'NIFTY' },
      { fakeTime: NOW },
    );

    const exit = await run.exited;

    expect(exit).toEqual({ code: 0, signal: null, stderr: '' });
    expect(run.lines).toHaveLength(1);
    expect(run.lines[0]).toMatchObject({ ok: true });
    expect((run.lines[0] as unknown as SelftestReport).checks.map((c) => c.result)).toEqual([
      'PASS',
      'PASS',
      'PASS',
      'PASS',
      'PASS',
      'PASS',
      'SKIP',
      'SKIP',
    ]);
  });
});
