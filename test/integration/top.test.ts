import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { generateApiKey } from '../../src/server/api-keys.ts';
import { type CliRun, runCli } from '../helpers/cli.ts';
import { TEST_RUN_VARIABLE } from '../helpers/leftovers.ts';
import { runToEnd } from '../helpers/run-to-end.ts';
import { postGraphQL, subscribe } from '../helpers/test-app.ts';

const run = promisify(execFile);

/**
 * Our own tmux server (`tmux -S`, like `-L g6test-<random>` but in a directory of ours, so no socket file
 * outlives the run): never the user's, and killed with everything in it when the file ends.
 */
const SOCKET_DIR = mkdtempSync(join(tmpdir(), 'g6test-tmux-'));
const SOCKET = join(SOCKET_DIR, `g6test-${randomUUID().slice(0, 8)}`);
/** What every process started here carries: the suite's run marker, a UTF-8 locale, no colour switches. */
const CHILD_ENV = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? tmpdir(),
  LANG: 'C.UTF-8',
  [TEST_RUN_VARIABLE]: process.env[TEST_RUN_VARIABLE] ?? '',
};
/** Each pane's output is also piped to a file here (`pipe-pane`): a write to it is the event to re-read on. */
const paneOutputs = new Map<string, string>();

const dataDirs: string[] = [];
afterAll(async () => {
  await run('tmux', ['-S', SOCKET, 'kill-server']).catch(() => {});
  for (const dir of [SOCKET_DIR, ...dataDirs]) {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function tmux(...args: string[]): Promise<string> {
  const { stdout } = await run('tmux', ['-u', '-S', SOCKET, ...args], { env: CHILD_ENV });
  return stdout;
}

/**
 * `g6 top` in a 160×40 tmux pane. The shell prints a line before it and its exit status after it, then
 * keeps the pane open (`cat` waits on the pane's input), so the restored screen can be read.
 */
async function startTop(session: string, args: string[]): Promise<void> {
  const command = `echo before-top; node dist/main.js top ${args.join(' ')}; echo "top exited $?"; exec cat`;
  await tmux('new-session', '-d', '-s', session, '-x', '160', '-y', '40', 'sh', '-c', command);
  const output = join(SOCKET_DIR, `${session}.out`);
  writeFileSync(output, '');
  paneOutputs.set(session, output);
  await tmux('pipe-pane', '-t', session, '-o', `cat >> '${output}'`);
  onTestFinished(async () => {
    await tmux('kill-session', '-t', session).catch(() => {});
  });
}

const pane = (session: string) => tmux('capture-pane', '-p', '-t', session);

/**
 * Watches the pane's output from now on: `written` resolves at its next write (top redraws at least once
 * a second) or at `deadline`. Made before a read, so a write during the read is not missed.
 */
function watchPane(session: string, deadline: number): { written: Promise<void>; stop(): void } {
  const output = paneOutputs.get(session);
  if (output === undefined) {
    throw new Error(`no output file for ${session}`);
  }
  let stop: () => void = () => undefined;
  const written = new Promise<void>((resolve) => {
    const watcher = watch(output, () => stop());
    const bound = setTimeout(() => stop(), Math.max(0, deadline - Date.now()));
    stop = () => {
      watcher.close();
      clearTimeout(bound);
      resolve();
    };
  });
  return { written, stop };
}

/** Reads the pane until `accept` returns a value (not undefined), for at most `timeoutMs`. */
async function waitForPane<T>(
  session: string,
  accept: (text: string) => T | undefined,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    const watching = watchPane(session, deadline);
    text = await pane(session);
    const value = accept(text);
    if (value !== undefined) {
      watching.stop();
      return value;
    }
    await watching.written;
  }
  throw new Error(`pane never showed ${what}; last pane:\n${text}`);
}

/** The spot each index's row shows, when every one of `symbols` shows a number. */
function spotsIn(text: string, symbols: readonly string[]): Map<string, string> | undefined {
  const spots = new Map<string, string>();
  for (const symbol of symbols) {
    const match = new RegExp(`^${symbol} +(\\d+\\.\\d{2}) `, 'm').exec(text);
    if (match === null) {
      return undefined;
    }
    spots.set(symbol, match[1]!);
  }
  return spots;
}

async function paneFlags(session: string): Promise<{ alternate: boolean; cursor: boolean }> {
  const [alternate, cursor] = (await tmux('display', '-p', '-t', session, '#{alternate_on} #{cursor_flag}'))
    .trim()
    .split(' ');
  return { alternate: alternate === '1', cursor: cursor === '1' };
}

async function startServer(env: Record<string, string> = {}, port = '0'): Promise<{ run: CliRun; port: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'g6-top-'));
  dataDirs.push(dataDir);
  const server = runCli(['--mock', '--port', port], {
    G6_HOST: '127.0.0.1',
    G6_DATA_DIR: dataDir,
    G6_COLLECTION_INTERVAL: '2',
    G6_LOG_FORMAT: 'json',
    ...env,
  });
  const ready = await server.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('G6 server ready'));
  return { run: server, port: ready.port as number };
}

/** `node dist/main.js top …` with pipes (not a terminal); killed if the test ends first. */
function runTopPiped(args: string[], env: Record<string, string> = {}) {
  const { child, finished } = runToEnd(process.execPath, ['dist/main.js', 'top', ...args], {
    env: { ...CHILD_ENV, ...env },
  });
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await finished.catch(() => undefined);
    }
  });
  return finished;
}

async function indicesOf(httpUrl: string): Promise<Array<{ symbol: string; marketStatus: { state: string } }>> {
  const answer = await postGraphQL(httpUrl, '{ indices { symbol marketStatus { state } } }');
  return answer.data!.indices as Array<{ symbol: string; marketStatus: { state: string } }>;
}

/** Until the pane shows the spot the server answers for `symbol` (they move every collection). */
async function expectPaneSpotMatchesServer(session: string, httpUrl: string, symbol: string): Promise<void> {
  const seen: string[] = [];
  for (let attempt = 0; attempt < 50; attempt++) {
    const answer = await postGraphQL(httpUrl, `{ overview(index: ${symbol}) { seq spot } }`);
    const server = answer.data!.overview as { seq: number; spot: number };
    const watching = watchPane(session, Date.now() + 5_000);
    const shown = spotsIn(await pane(session), [symbol])?.get(symbol);
    if (shown === server.spot.toFixed(2)) {
      watching.stop();
      return;
    }
    seen.push(`seq ${server.seq}: server ${server.spot.toFixed(2)}, pane ${shown}`);
    await watching.written;
  }
  throw new Error(`the pane never showed the server's ${symbol} spot:\n${seen.join('\n')}`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The pid of the program the pane's shell is running (its only child). */
function childOf(pid: number): number {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
  expect(children).toHaveLength(1);
  return Number(children[0]);
}

describe('g6 top (driven in tmux against a running G6)', () => {
  it('shows every index with the server’s spot, market and health, and q restores the screen', async () => {
    const { port } = await startServer();
    const httpUrl = `http://127.0.0.1:${port}`;
    const indices = await indicesOf(httpUrl);
    const symbols = indices.map((i) => i.symbol);
    expect(symbols.length).toBeGreaterThan(1);
    const session = 'view';

    await startTop(session, ['--url', `${httpUrl}/graphql`]);
    // spot, change, change %, IV %, PCR, max pain, age and session, all filled in.
    const rowPattern = (symbol: string, market: string) =>
      new RegExp(
        `^${symbol} +\\d+\\.\\d{2} +[-+]?\\d+\\.\\d{2} +[-+]?\\d+\\.\\d{2}%[ *~]? +\\d+\\.\\d{2}% +\\d+\\.\\d{2} +\\d+ +\\d+s +${market}$`,
        'm',
      );
    const first = await waitForPane(
      session,
      (text) => (indices.every((i) => rowPattern(i.symbol, i.marketStatus.state).test(text)) ? text : undefined),
      'a full row for every index',
    );

    expect(first).toContain(`g6 top  ${httpUrl}/graphql  g6 `);
    expect(first).toMatch(/^connected/m);
    expect(first).toMatch(/^INDEX +SPOT +CHG +CHG% +ATM IV +PCR\(OI\) +MAX PAIN +AGE +MARKET$/m);
    expect(first.split('\n').filter((line) => /^[A-Z]+ +\d/.test(line))).toHaveLength(symbols.length);
    for (const symbol of symbols) {
      await expectPaneSpotMatchesServer(session, httpUrl, symbol);
    }
    const health = await postGraphQL(httpUrl, '{ health { status components { name status } } }');
    expect(health.errors).toBeUndefined();
    const answer = health.data!.health as { status: string; components: Array<{ name: string; status: string }> };
    const shown = answer.components.filter((c) => c.name === 'provider' || c.name.startsWith('sink/'));
    expect(shown.map((c) => c.name)).toEqual(['provider', 'sink/csv']);
    const componentRow = (c: { name: string; status: string }) =>
      new RegExp(`^ {2}${c.name} +${c.status} +for \\d+s$`, 'm');
    const text = await waitForPane(
      session,
      (t) => (shown.every((c) => componentRow(c).test(t)) ? t : undefined),
      'the provider and sink rows as the server reports them',
    );
    // The overall status follows the event loop too, which may flap on a loaded machine.
    expect(text).toMatch(/^health: (HEALTHY|DEGRADED|DOWN) \((ready|not ready[^)]*)\)$/m);
    expect(text).toMatch(/^alerts: (none|\d+) firing$/m);
    expect(await paneFlags(session)).toEqual({ alternate: true, cursor: false });

    await tmux('send-keys', '-t', session, 'q');
    const after = await waitForPane(session, (t) => (t.includes('top exited') ? t : undefined), 'top exiting');

    expect(after).toContain('top exited 0');
    expect(after).toContain('before-top');
    expect(after).not.toContain('INDEX');
    expect(await paneFlags(session)).toEqual({ alternate: false, cursor: true });
  }, 60_000);

  it('shows "disconnected, retrying…" when the server dies, reconnects when it is back, and ends on SIGTERM', async () => {
    const { run: first, port } = await startServer();
    const httpUrl = `http://127.0.0.1:${port}`;
    const symbols = (await indicesOf(httpUrl)).map((i) => i.symbol);
    const session = 'reconnect';
    await startTop(session, ['--url', `${httpUrl}/graphql`]);
    await waitForPane(session, (text) => spotsIn(text, symbols), 'every spot');

    first.child.kill('SIGKILL');
    await first.exited;
    const down = await waitForPane(
      session,
      (text) => (text.includes('disconnected, retrying…') ? text : undefined),
      'the disconnected line',
    );

    expect(down).toMatch(/^disconnected, retrying… next attempt in \d+s \(.+; down for \d+s\)$/m);
    // The last data stays on screen while it is down.
    expect(spotsIn(down, symbols)).toBeDefined();

    await startServer({}, String(port));
    await waitForPane(session, (text) => (/^connected/m.test(text) ? text : undefined), 'the reconnection');
    await expectPaneSpotMatchesServer(session, httpUrl, symbols[0]!);

    const shell = Number((await tmux('display', '-p', '-t', session, '#{pane_pid}')).trim());
    process.kill(childOf(shell), 'SIGTERM');
    const after = await waitForPane(session, (t) => (t.includes('top exited') ? t : undefined), 'top exiting');

    expect(after).toContain('top exited 0');
    expect(after).not.toContain('INDEX');
    expect(await paneFlags(session)).toEqual({ alternate: false, cursor: true });
  }, 60_000);
});

describe('g6 top (not on a terminal)', () => {
  it('--once prints one plain frame with every index and exits 0, sending the API key and never printing it', async () => {
    // No history scope: CHG falls back to the first update seen, and says so.
    const { key, entry } = generateApiKey('top', ['read', 'subscribe']);
    const { port } = await startServer({ G6_API_KEYS: entry });
    const url = `http://127.0.0.1:${port}/graphql`;

    const result = await runTopPiped(['--once', '--url', url], { G6_API_KEY: key });

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('\x1b');
    expect(result.stdout).not.toContain('q: quit');
    for (const symbol of ['NIFTY', 'BANKNIFTY', 'FINNIFTY', 'MIDCPNIFTY', 'SENSEX']) {
      expect(result.stdout).toMatch(
        new RegExp(`^${symbol} +\\d+\\.\\d{2} +[-+]?\\d+\\.\\d{2} +[-+]?\\d+\\.\\d{2}%~ `, 'm'),
      );
    }
    expect(result.stdout).toContain('~ the first update seen (no stored history)');
    expect(result.stdout).toMatch(/^health: /m);
    expect(result.stdout + result.stderr).not.toContain(key);

    const refused = await runTopPiped(['--once', '--url', url], { G6_API_KEY: `${key}x` });

    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`g6 top: cannot connect to ${url}: refused by the server (4403 Forbidden)`);
    expect(refused.stdout + refused.stderr).not.toContain(key);
  }, 60_000);

  it('--once lists a firing alert with its component DOWN, as the server reports them', async () => {
    // An InfluxDB sink pointed where nothing listens goes DOWN at its first write; G6_ALERT_FOR=0 fires at once.
    const { port } = await startServer({
      G6_ENABLE_INFLUXDB: 'true',
      INFLUXDB_URL: `http://127.0.0.1:${await freePort()}`,
      INFLUXDB_TOKEN: 'test-token',
      INFLUXDB_ORG: 'g6',
      INFLUXDB_BUCKET: 'g6',
      G6_ALERT_FOR: '0',
    });
    const httpUrl = `http://127.0.0.1:${port}`;
    // The server's own stream says when the Influx alert fires; then health lists what is firing.
    const raised = subscribe<{ alertRaised: { component: string } }>(
      `ws://127.0.0.1:${port}/graphql`,
      'subscription { alertRaised { component } }',
    );
    onTestFinished(() => raised.close());
    while ((await raised.next()).data?.alertRaised.component !== 'sink/influx') {
      // another component's alert (the event loop on a loaded machine): wait for the next one
    }
    const answer = await postGraphQL(httpUrl, '{ health { alerts { component severity } } }');
    const firing = (answer.data!.health as { alerts: Array<{ component: string; severity: string }> }).alerts;
    // On a loaded machine the event loop may be firing too (it is DEGRADED past 200 ms of delay).
    expect(firing).toContainEqual({ component: 'sink/influx', severity: 'CRITICAL' });

    const result = await runTopPiped(['--once', '--url', `${httpUrl}/graphql`]);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^health: DOWN /m);
    expect(result.stdout).toMatch(/^ {2}sink\/influx +DOWN +for \d+s +influx sink unreachable/m);
    expect(result.stdout).toMatch(/^alerts: [1-9]\d* firing$/m);
    expect(result.stdout).toMatch(/^ {2}\d+s ago +CRITICAL +sink\/influx +influx sink unreachable/m);
  }, 60_000);

  it('exits 1 naming the URL when nothing listens there, and 2 for bad flags or a live view into a pipe', async () => {
    const url = `http://127.0.0.1:${await freePort()}/graphql`;

    const [refused, badFlag, badUrl, live] = await Promise.all([
      runTopPiped(['--once'], { G6_TOP_URL: url }),
      runTopPiped(['--refresh', '5']),
      runTopPiped(['--url', 'ftp://example.invalid/graphql']),
      runTopPiped(['--url', url]),
    ]);

    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`^g6 top: cannot connect to ${url}: .*ECONNREFUSED`));
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain("Unknown option '--refresh'");
    expect(badFlag.stderr).toContain('Usage: g6 top');
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('--url: expected http(s):// or ws(s)://, got ftp:');
    expect(live.code).toBe(2);
    expect(live.stderr).toContain('standard output is not a terminal');
    expect(live.stdout).toBe('');
  });
});
