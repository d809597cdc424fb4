import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Client, createClient } from 'graphql-ws';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startBlackHoleProxy } from '../helpers/black-hole-proxy.ts';
import { runCli } from '../helpers/cli.ts';
import { checkCsvDay } from '../helpers/csv-check.ts';
import { ACCESS_TOKEN, API_KEY, startFakeKite } from '../helpers/fake-kite.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) {
    rmSync(dir, { recursive: true, force: true });
  }
});

function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'g6-shutdown-'));
  dirs.push(dir);
  return dir;
}

const SOCKETS = 10;
const SUBSCRIPTIONS_PER_SOCKET = 50;
const INDICES = ['NIFTY', 'BANKNIFTY'] as const;

/** A port nothing listens on (bound, read, released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('shutdown', () => {
  it('drains 500 subscribers and a query load on SIGTERM: every snapshot anyone saw is stored, exit 0 within the deadline', async () => {
    const dataDir = tempDataDir();
    const run = runCli(['--mock', '--port', '0'], {
      G6_HOST: '127.0.0.1',
      G6_DATA_DIR: dataDir,
      G6_INDICES: INDICES.join(','),
      G6_COLLECTION_INTERVAL: '0.25',
      G6_LOG_FORMAT: 'json',
      G6_SHUTDOWN_TIMEOUT: '10',
      G6_WS_MAX_SUBSCRIPTIONS: String(SUBSCRIPTIONS_PER_SOCKET),
    });
    const ready = await run.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('G6 server ready'));
    const port = ready.port as number;
    const httpUrl = `http://127.0.0.1:${port}/graphql`;

    // What clients were told, by index: every one of these must be in the CSV store after exit.
    const seen = new Map<string, Set<string>>(INDICES.map((i) => [i, new Set<string>()]));
    const closeCodes: number[] = [];
    const clients: Client[] = [];
    const eventsPerSubscription: number[] = [];
    let established = 0;
    let onEstablished: () => void = () => undefined;
    const allEstablished = new Promise<void>((resolve) => {
      onEstablished = resolve;
    });
    for (let s = 0; s < SOCKETS; s += 1) {
      const client = createClient({
        url: `ws://127.0.0.1:${port}/graphql`,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
      });
      client.on('closed', (event) => closeCodes.push((event as { code: number }).code));
      clients.push(client);
      for (let k = 0; k < SUBSCRIPTIONS_PER_SOCKET; k += 1) {
        const id = eventsPerSubscription.push(0) - 1;
        const index = INDICES[(s + k) % INDICES.length] as string;
        client.subscribe<{ overviewUpdated: { timestamp: string } }>(
          { query: `subscription { overviewUpdated(index: ${index}) { timestamp } }` },
          {
            next: (result) => {
              const timestamp = result.data?.overviewUpdated.timestamp;
              if (timestamp !== undefined) {
                seen.get(index)?.add(timestamp);
              }
              eventsPerSubscription[id] = (eventsPerSubscription[id] ?? 0) + 1;
              // Two events: subscribed, and receiving live updates, not only the first answer.
              if (eventsPerSubscription[id] === 2) {
                established += 1;
                if (established === SOCKETS * SUBSCRIPTIONS_PER_SOCKET) {
                  onEstablished();
                }
              }
            },
            error: () => undefined,
            complete: () => undefined,
          },
        );
      }
    }
    await allEstablished;

    // Queries in flight while the signal arrives: each answer that came back is acknowledged data too.
    let querying = true;
    const answered: Array<{ index: string; timestamp: string }> = [];
    let onLoadRunning: () => void = () => undefined;
    const loadRunning = new Promise<void>((resolve) => {
      onLoadRunning = resolve;
    });
    const refusals: string[] = [];
    const queryLoop = async (index: string) => {
      while (querying) {
        try {
          const response = await fetch(httpUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query: `{ overview(index: ${index}) { timestamp } }` }),
          });
          const body = (await response.json()) as { data?: { overview?: { timestamp: string } } };
          if (body.data?.overview?.timestamp !== undefined) {
            if (answered.push({ index, timestamp: body.data.overview.timestamp }) === 20) {
              onLoadRunning();
            }
          }
        } catch (error) {
          // Refused once the listener has closed: the end of the drain, not a failure.
          refusals.push(String((error as Error).cause ?? error));
          return;
        }
      }
    };
    const loops = [...INDICES, ...INDICES].map((index) => queryLoop(index));
    await loadRunning;

    run.child.kill('SIGTERM');
    const exit = await run.exited;
    querying = false;
    await Promise.all(loops);
    for (const client of clients) {
      await client.dispose();
    }

    expect(exit.code).toBe(0);
    expect(run.lines.some((l) => l.msg === 'stopped')).toBe(true);
    expect(run.lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('shutdown did not finish'))).toEqual(
      [],
    );
    // Every socket was told the server is going away.
    expect(closeCodes).toHaveLength(SOCKETS);
    expect(new Set(closeCodes)).toEqual(new Set([1001]));
    expect(refusals.every((r) => /ECONNREFUSED|ECONNRESET|other side closed|fetch failed/.test(r))).toBe(true);

    for (const { index, timestamp } of answered) {
      seen.get(index)?.add(timestamp);
    }
    for (const index of INDICES) {
      const days = readdirSync(join(dataDir, 'csv', index));
      const stored = new Set(days.flatMap((day) => checkCsvDay(dataDir, index, day).snapshots));
      const told = [...(seen.get(index) ?? [])];
      expect(told.length).toBeGreaterThan(1);
      expect(told.filter((t) => !stored.has(t))).toEqual([]);
    }
  });

  it('exits 1 naming the part still stopping when a flush outlasts G6_SHUTDOWN_TIMEOUT; a second signal exits at once', async () => {
    const proxy = await startBlackHoleProxy(await closedPort());
    proxy.swallow();
    try {
      const env = (dataDir: string) => ({
        G6_HOST: '127.0.0.1',
        G6_DATA_DIR: dataDir,
        G6_INDICES: 'NIFTY',
        G6_COLLECTION_INTERVAL: '0.25',
        G6_LOG_FORMAT: 'json',
        G6_SHUTDOWN_TIMEOUT: '1',
        G6_ENABLE_INFLUXDB: 'true',
        INFLUXDB_URL: proxy.url,
        INFLUXDB_TOKEN: 'token-for-a-black-hole',
        INFLUXDB_ORG: 'g6',
        INFLUXDB_BUCKET: 'options',
        G6_INFLUXDB_TIMEOUT: '60',
      });
      const deadline = runCli(['--mock', '--port', '0', '--debug'], env(tempDataDir()));
      await deadline.waitForLog((l) => l.msg === 'collected');
      deadline.child.kill('SIGTERM');
      const overdue = await deadline.exited;
      expect(overdue.code).toBe(1);
      const said = deadline.lines.find(
        (l) => typeof l.msg === 'string' && l.msg.startsWith('shutdown did not finish within G6_SHUTDOWN_TIMEOUT'),
      );
      expect(said).toBeDefined();
      expect(String(said?.msg)).toMatch(/still stopping sink influx/);
      expect(said?.notStopped).toEqual(expect.arrayContaining(['data directory lock']));

      const impatient = runCli(['--mock', '--port', '0', '--debug'], {
        ...env(tempDataDir()),
        G6_SHUTDOWN_TIMEOUT: '60',
      });
      await impatient.waitForLog((l) => l.msg === 'collected');
      impatient.child.kill('SIGTERM');
      await impatient.waitForLog((l) => l.msg === 'shutting down');
      impatient.child.kill('SIGTERM');
      const second = await impatient.exited;
      expect(second.code).toBe(1);
      expect(impatient.lines.find((l) => l.msg === 'second signal: exiting now')).toMatchObject({
        signal: 'SIGTERM',
      });
    } finally {
      await proxy.close();
    }
  });

  it('undoes start-up on SIGTERM while the Kite token check hangs: exit 0, lock released, nothing collected', async () => {
    const fake = await startFakeKite();
    try {
      fake.failNext('profile', 'hang', 10);
      const checking = fake.whenRequested('profile');
      const dataDir = tempDataDir();
      const run = runCli(['--port', '0'], {
        G6_HOST: '127.0.0.1',
        G6_DATA_DIR: dataDir,
        G6_INDICES: 'NIFTY',
        G6_LOG_FORMAT: 'json',
        KITE_API_KEY: API_KEY,
        KITE_ACCESS_TOKEN: ACCESS_TOKEN,
        G6_KITE_ROOT: fake.restUrl,
        G6_KITE_TICKER: 'false',
        G6_KITE_TIMEOUT: '60',
      });
      await checking;
      run.child.kill('SIGTERM');
      const exit = await run.exited;
      expect(exit.code).toBe(0);
      expect(run.lines.find((l) => l.msg === 'stopped during start-up')).toMatchObject({
        during: expect.stringMatching(/^start-up called off while starting provider kite/),
      });
      expect(run.lines.some((l) => typeof l.msg === 'string' && l.msg.startsWith('G6 server ready'))).toBe(false);
      // Undone: the lock is released (the next start takes it cleanly) and nothing was written.
      expect(existsSync(join(dataDir, '.g6.lock'))).toBe(false);
      expect(existsSync(join(dataDir, 'csv'))).toBe(false);
    } finally {
      await fake.close();
    }
  });
});
