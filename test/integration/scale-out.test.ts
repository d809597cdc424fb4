import { mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createClient } from 'graphql-ws';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type CliRun, runCli } from '../helpers/cli.ts';
import { checkCsvDay } from '../helpers/csv-check.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { postGraphQL } from '../helpers/test-app.ts';

/**
 * One collector and API replicas as separate `node dist/main.js` processes over a real redis-server
 * (Debian's, on a free loopback port): roles, the late replica, the collector lease and its takeover,
 * Redis stopped and killed under subscribers, a replica killed under its clients, and the data-directory
 * lock. Heartbeat 0.2 s and lease TTL 1 s keep the waits short; every wait is on an event or a condition.
 */
const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) {
    rmSync(dir, { recursive: true, force: true });
  }
});

let redis: RedisServer;
beforeEach(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  await redis.stop();
});

const isReady = (l: Record<string, unknown>) => typeof l.msg === 'string' && l.msg.startsWith('G6 server ready');

interface Started {
  readonly run: CliRun;
  readonly port: number;
  readonly http: string;
  readonly ws: string;
}

async function start(role: 'all' | 'collector' | 'api', env: Record<string, string> = {}): Promise<Started> {
  const run = runCli(['--role', role, '--port', '0'], {
    G6_HOST: '127.0.0.1',
    G6_MOCK_MODE: 'true',
    G6_INDICES: 'NIFTY',
    G6_COLLECTION_INTERVAL: '0.4',
    G6_LOG_FORMAT: 'json',
    G6_REDIS_URL: redis.url,
    G6_REDIS_HEARTBEAT: '0.2',
    G6_REDIS_LEASE_TTL: '1',
    G6_DATA_DIR: tempDir(`g6-scale-${role}-`),
    ...env,
  });
  const ready = await run.waitForLog(isReady);
  const port = ready.port as number;
  return { run, port, http: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}/graphql` };
}

async function seqOf(http: string): Promise<number> {
  const answer = await postGraphQL(http, '{ overview(index: NIFTY) { seq } }');
  return (answer.data?.overview as { seq: number }).seq;
}

/** Polls `check` until it returns a value (not undefined), at most `withinMs`. */
async function until<T>(check: () => Promise<T | undefined>, withinMs: number, what: string): Promise<T> {
  const deadline = performance.now() + withinMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) {
      return value;
    }
    if (performance.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await delay(50);
  }
}

async function readiness(http: string): Promise<{ status: number; body: { ready: boolean; problems: string[] } }> {
  const response = await fetch(`${http}/ready`);
  const text = await response.text();
  // Ready is a bare 200; not ready carries the reasons.
  return { status: response.status, body: text === '' ? { ready: true, problems: [] } : JSON.parse(text) };
}

/** Every overviewUpdated seq a client receives, with a promise per awaited condition. */
function watchSeqs(urls: string | (() => string)) {
  const seqs: number[] = [];
  const waiters: Array<{ test: () => boolean; resolve: () => void }> = [];
  const client = createClient({
    url: urls,
    webSocketImpl: WebSocket,
    retryAttempts: 20,
    shouldRetry: () => true,
    retryWait: async () => {
      await delay(100);
    },
  });
  const stop = client.subscribe<{ overviewUpdated: { seq: number } }>(
    { query: 'subscription { overviewUpdated(index: NIFTY) { seq } }' },
    {
      next: (result) => {
        const seq = result.data?.overviewUpdated.seq;
        if (typeof seq === 'number') {
          seqs.push(seq);
          for (const waiter of [...waiters]) {
            if (waiter.test()) {
              waiters.splice(waiters.indexOf(waiter), 1);
              waiter.resolve();
            }
          }
        }
      },
      error: () => undefined,
      complete: () => undefined,
    },
  );
  return {
    seqs,
    /** Resolves once `test` holds over the seqs received. */
    when(test: (seqs: number[]) => boolean): Promise<void> {
      if (test(seqs)) {
        return Promise.resolve();
      }
      return new Promise((resolve) => waiters.push({ test: () => test(seqs), resolve }));
    },
    async close() {
      stop();
      await client.dispose();
    },
  };
}

const gapsIn = (seqs: readonly number[]) => seqs.slice(1).filter((seq, i) => seq !== (seqs[i] as number) + 1).length;
const increasing = (seqs: readonly number[]) => seqs.every((seq, i) => i === 0 || seq > (seqs[i - 1] as number));

describe('scale-out over Redis: one collector, API replicas', () => {
  it('a late API replica answers its first query with the collector’s current seq, and never collects', async () => {
    const collector = await start('collector');
    await until(async () => ((await seqOf(collector.http)) >= 3 ? true : undefined), 20_000, 'three collections');
    const spawned = performance.now();
    const api = await start('api');
    const startToReadyMs = performance.now() - spawned;
    const apiSeq = await seqOf(api.http);
    const collectorSeq = await seqOf(collector.http);
    expect(apiSeq).toBeGreaterThanOrEqual(3);
    // The collector may have collected once between the two queries.
    expect(collectorSeq - apiSeq).toBeGreaterThanOrEqual(0);
    expect(collectorSeq - apiSeq).toBeLessThanOrEqual(1);
    expect((await readiness(api.http)).status).toBe(200);
    // An API replica writes nothing: no CSV, no lock, no spool.
    const apiDir = api.run.lines.find(isReady)?.csv;
    expect(apiDir).toBeDefined();
    expect(readdirSync(join(String(apiDir), '..'))).toEqual([]);
    const history = await postGraphQL(
      api.http,
      '{ history(index: NIFTY, from: "2026-01-01T00:00:00Z", to: "2030-01-01T00:00:00Z") { totalCount } }',
    );
    expect(history.errors?.[0]?.extensions?.code).toBe('HISTORY_UNAVAILABLE');
    expect(history.errors?.[0]?.message).toMatch(/API replica has none/);
    const metrics = await (await fetch(`${api.http}/metrics`)).text();
    expect(metrics).toMatch(/g6_relay_snapshots_received_total\{index="NIFTY",outcome="applied"\} [1-9]/);
    expect(metrics).toContain('g6_role{role="api"} 1');
    console.info(`late API replica: start to ready ${Math.round(startToReadyMs)} ms`);
  });

  it('a standby collector takes over when the holder is SIGKILLed, and seq goes on without a gap', async () => {
    const first = await start('collector');
    await first.run.waitForLog((l) => l.msg === 'collector lease acquired: collecting');
    const second = await start('collector');
    await second.run.waitForLog((l) => l.msg === 'collector lease held by another collector: standing by');
    const api = await start('api');
    const watch = watchSeqs(api.ws);
    await watch.when((s) => s.length >= 3);

    first.run.child.kill('SIGKILL');
    const killedAt = performance.now();
    await second.run.waitForLog((l) => l.msg === 'collector lease acquired: collecting');
    const lastBefore = watch.seqs.at(-1) as number;
    await watch.when((s) => (s.at(-1) as number) >= lastBefore + 3);
    const takeoverMs = performance.now() - killedAt;
    await watch.close();

    // The standby's store held the holder's last snapshot, so collection went on from the next seq.
    expect(gapsIn(watch.seqs)).toBe(0);
    expect(new Set(watch.seqs).size).toBe(watch.seqs.length);
    expect((await readiness(api.http)).status).toBe(200);
    const metrics = await (await fetch(`${second.http}/metrics`)).text();
    expect(metrics).toContain('g6_collector_lease_holder 1');
    console.info(`takeover after SIGKILL: first new seq on the replica after ${Math.round(takeoverMs)} ms`);
  });

  it('Redis stopped, then killed and restarted: replicas go unready and stale, then one gap and the current snapshot', async () => {
    const collector = await start('collector');
    const apis = [await start('api'), await start('api')];
    const watches = apis.map((a) => watchSeqs(a.ws));
    await Promise.all(watches.map((w) => w.when((s) => s.length >= 2)));

    redis.pause();
    for (const api of apis) {
      const problem = await until(
        async () => {
          const r = await readiness(api.http);
          return r.status === 503 ? r.body.problems.join('; ') : undefined;
        },
        20_000,
        'the replica to turn unready',
      );
      expect(problem).toMatch(/redis: not answering|redis: relay disconnected/);
      const chain = await postGraphQL(api.http, '{ optionChain(index: NIFTY) { stale } }');
      expect(chain.data?.optionChain).toEqual({ stale: true });
    }
    // The collector collects on: its own seq moves while the relay is stopped.
    const duringOutage = await seqOf(collector.http);
    await until(
      async () => ((await seqOf(collector.http)) >= duringOutage + 2 ? true : undefined),
      20_000,
      'collection during the outage',
    );
    const beforeRestart = watches.map((w) => w.seqs.length);

    await redis.kill();
    await redis.restart();
    for (const api of apis) {
      await until(
        async () => ((await readiness(api.http)).status === 200 ? true : undefined),
        30_000,
        'the replica to be ready again',
      );
    }
    await Promise.all(watches.map((w, i) => w.when((s) => s.length >= (beforeRestart[i] as number) + 2)));
    const current = await seqOf(collector.http);
    for (const watch of watches) {
      await watch.close();
      expect(increasing(watch.seqs)).toBe(true);
      // One gap for the outage, and the first event after it is (at most one collection behind) current.
      expect(gapsIn(watch.seqs)).toBe(1);
      const gapAt = watch.seqs.findIndex((seq, i) => i > 0 && seq !== (watch.seqs[i - 1] as number) + 1);
      expect(watch.seqs[gapAt] as number).toBeGreaterThan(duringOutage + 1);
      expect(current - (watch.seqs.at(-1) as number)).toBeLessThanOrEqual(1);
    }
    collector.run.child.kill('SIGTERM');
    expect((await collector.run.exited).code).toBe(0);
    // Storage never depended on Redis: every collection of the run is stored, whole.
    const dataDir = String(collector.run.lines.find(isReady)?.csv);
    const [day] = readdirSync(join(dataDir, 'NIFTY'));
    const stored = checkCsvDay(join(dataDir, '..'), 'NIFTY', String(day));
    expect(stored.snapshots.length).toBeGreaterThanOrEqual(current - 1);
  });

  it('a replica killed mid-stream: its clients reconnect to the other and resume from the current snapshot', async () => {
    await start('collector');
    const apis = [await start('api'), await start('api')];
    let attempt = 0;
    const watch = watchSeqs(() => apis[attempt++ % 2]!.ws);
    await watch.when((s) => s.length >= 2);
    const victim = apis[(attempt - 1) % 2]!;
    victim.run.child.kill('SIGKILL');
    const last = watch.seqs.at(-1) as number;
    await watch.when((s) => (s.at(-1) as number) >= last + 2);
    await watch.close();
    expect(attempt).toBeGreaterThanOrEqual(2);
    // The other replica's first event is its current snapshot: the same seq again at most, never older.
    expect(watch.seqs.every((seq, i) => i === 0 || seq >= (watch.seqs[i - 1] as number))).toBe(true);
    expect(watch.seqs.at(-1)).toBeGreaterThan(last);
  });
});

describe('rate limits across replicas', () => {
  it('a client’s budget holds across replicas through Redis; with Redis stopped each replica counts alone, logged once', async () => {
    const env = { G6_RATE_LIMIT_COST_PER_MINUTE: '100' };
    await start('collector');
    const apis = [await start('api', env), await start('api', env)];
    const ask = async (api: Started) => {
      const answer = await postGraphQL(api.http, '{ overview(index: NIFTY) { seq } }');
      return answer.errors?.[0]?.extensions?.code ?? 'OK';
    };
    // One unit per request: 100 in the minute between both replicas, whichever serves.
    const codes: string[] = [];
    for (let i = 0; i < 100; i += 1) {
      codes.push(await ask(apis[i % 2]!));
    }
    expect(codes.every((c) => c === 'OK')).toBe(true);
    expect(await ask(apis[0]!)).toBe('RATE_LIMITED');
    expect(await ask(apis[1]!)).toBe('RATE_LIMITED');

    redis.pause();
    // Per replica now: a fresh local budget, so requests are served rather than refused or stalled.
    for (let i = 0; i < 3; i += 1) {
      expect(await ask(apis[0]!)).toBe('OK');
    }
    const warnings = apis[0]!.run.lines.filter(
      (l) => l.msg === 'rate limits: redis unavailable, each replica counts on its own until it answers',
    );
    expect(warnings).toHaveLength(1);
    redis.resume();
  });
});

describe('one writer per data directory', () => {
  it('a second server on the same G6_DATA_DIR exits 2 naming the holder; the files stay whole', async () => {
    const dataDir = tempDir('g6-lock-');
    const env = { G6_DATA_DIR: dataDir, G6_REDIS_URL: '' };
    const first = await start('all', env);
    const watch = watchSeqs(first.ws);
    await watch.when((s) => s.length >= 2);
    const second = runCli(['--port', '0'], {
      G6_HOST: '127.0.0.1',
      G6_MOCK_MODE: 'true',
      G6_INDICES: 'NIFTY',
      G6_LOG_FORMAT: 'json',
      G6_DATA_DIR: dataDir,
    });
    const refused = await second.exited;
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`is in use by pid ${first.run.child.pid}`);
    expect(refused.stderr).toContain('G6_DATA_DIR');
    await watch.when((s) => s.length >= 4);
    await watch.close();
    first.run.child.kill('SIGTERM');
    expect((await first.run.exited).code).toBe(0);
    const [day] = readdirSync(join(dataDir, 'csv', 'NIFTY'));
    checkCsvDay(dataDir, 'NIFTY', String(day));
  });

  it('a killed holder’s lock goes stale and the next server takes it over', async () => {
    const dataDir = tempDir('g6-lock-');
    const env = { G6_DATA_DIR: dataDir, G6_REDIS_URL: '' };
    const killed = await start('all', env);
    killed.run.child.kill('SIGKILL');
    await killed.run.exited;
    // What the holder would have refreshed: a lock older than the stale bound (10 s) is a dead holder's.
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(dataDir, '.g6.lock'), past, past);
    const next = await start('all', env);
    expect(next.run.lines.some((l) => l.msg === 'data directory lock taken over from a dead holder')).toBe(true);
    expect(await seqOf(next.http)).toBeGreaterThanOrEqual(1);
    next.run.child.kill('SIGTERM');
    expect((await next.run.exited).code).toBe(0);
  });
});
