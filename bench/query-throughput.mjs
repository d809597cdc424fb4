/**
 * Query throughput: the chain query (NIFTY nearest expiry, ±50 strikes, call and put with price, bid, ask,
 * OI, volume, IV and four Greeks) and a small overview query through G6 — with the API limits and an API
 * key required, and with every limit turned off — against a bare node:http handler returning the same
 * bytes. Closed loop, 10 keep-alive connections, the load generator in this process (so all three share
 * the machine's cores alike). One run: compare the ratios, not the absolute figures across machines.
 *
 * Open loop (G6 with limits and key on, and the bare handler): requests sent on a fixed schedule of
 * OPEN_LOOP_RATE a second whatever the answers, on a pool of OPEN_LOOP_SOCKETS keep-alive connections
 * (below G6_MAX_IN_FLIGHT, so G6 queues rather than sheds; requests beyond the pool wait in the agent's
 * queue), latency counted from each request's scheduled send time so queueing — in the client, the kernel
 * or the server, and the generator's own lateness, since it shares the event loop with G6 — is in it.
 * At most OPEN_LOOP_MAX_OUTSTANDING requests are outstanding (a send due beyond it is dropped and counted);
 * one unanswered OPEN_LOOP_TIMEOUT_MS after its scheduled time is abandoned and counted.
 *
 * G6_BENCH_DIST points at the built code to measure (default ../dist).
 * Standalone: node bench/query-throughput.mjs [--open-loop-only]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startAppOf } from './start-app-of.mjs';

const DIST_URL = process.env.G6_BENCH_DIST
  ? pathToFileURL(`${process.env.G6_BENCH_DIST.replace(/\/+$/, '')}/`)
  : new URL('../dist/', import.meta.url);
const { loadConfig } = await import(new URL('config.js', DIST_URL));
const { createLogger } = await import(new URL('logger.js', DIST_URL));
const startApp = await startAppOf(DIST_URL);
const { generateApiKey } = await import(new URL('server/api-keys.js', DIST_URL));

const CONNECTIONS = 10;
const WARM_UP_MS = 1_000;
const MEASURE_MS = 5_000;
const OPEN_LOOP_RATE = 500;
const OPEN_LOOP_SOCKETS = 64;
const OPEN_LOOP_MAX_OUTSTANDING = 2_000;
const OPEN_LOOP_TIMEOUT_MS = 5_000;

const LEG = 'lastPrice bid ask oi volume iv delta gamma thetaPerDay vegaPerVolPoint';
export const CHAIN_QUERY = `{ optionChain(index: NIFTY, strikesAroundAtm: 50) { seq strikes { strike call { ${LEG} } put { ${LEG} } } } }`;
export const OVERVIEW_QUERY = '{ overview(index: NIFTY) { seq spot atmIv pcrOi maxPainStrike sentimentScore } }';

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function post(agent, port, body, headers) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path: '/graphql',
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
      },
      (res) => {
        let bytes = 0;
        res.on('data', (chunk) => {
          bytes += chunk.length;
        });
        res.on('end', () => resolve({ status: res.statusCode, bytes, ms: performance.now() - started }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Closed loop on CONNECTIONS sockets: requests/s and latency percentiles over MEASURE_MS. */
async function load(port, body, headers = {}) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const samples = [];
  let failures = 0;
  let bytes = 0;
  const warmUntil = performance.now() + WARM_UP_MS;
  const stopAt = warmUntil + MEASURE_MS;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < stopAt) {
        const r = await post(agent, port, body, headers);
        if (performance.now() < warmUntil) {
          continue;
        }
        if (r.status !== 200) {
          failures += 1;
        }
        bytes = r.bytes;
        samples.push(r.ms);
      }
    }),
  );
  agent.destroy();
  samples.sort((a, b) => a - b);
  return {
    requestsPerSecond: samples.length / (MEASURE_MS / 1000),
    p50Ms: percentile(samples, 50),
    p99Ms: percentile(samples, 99),
    responseBytes: bytes,
    non200: failures,
  };
}

/**
 * Open loop at OPEN_LOOP_RATE requests/s: WARM_UP_MS of sends (not counted), then MEASURE_MS of sends
 * whose latencies, from their scheduled send times, are counted; then waits for every answer or timeout.
 */
async function openLoad(port, body, headers = {}) {
  const agent = new Agent({ keepAlive: true, maxSockets: OPEN_LOOP_SOCKETS });
  const interval = 1000 / OPEN_LOOP_RATE;
  const warmCount = Math.round((WARM_UP_MS / 1000) * OPEN_LOOP_RATE);
  const total = warmCount + Math.round((MEASURE_MS / 1000) * OPEN_LOOP_RATE);
  const latencies = [];
  const sendLags = [];
  const counts = { scheduled: total - warmCount, ok: 0, non200: 0, dropped: 0, timedOut: 0, errors: 0 };
  let answeredInWindow = 0;
  let outstanding = 0;
  let maxOutstanding = 0;
  let next = 0;
  let finish;
  const finished = new Promise((resolve) => {
    finish = resolve;
  });
  const maybeDone = () => {
    if (next >= total && outstanding === 0) {
      finish();
    }
  };
  const fire = (index, scheduledAt) => {
    const counted = index >= warmCount;
    if (outstanding >= OPEN_LOOP_MAX_OUTSTANDING) {
      if (counted) {
        counts.dropped += 1;
      }
      return;
    }
    outstanding += 1;
    maxOutstanding = Math.max(maxOutstanding, outstanding);
    if (counted) {
      sendLags.push(performance.now() - scheduledAt);
    }
    let settled = false;
    const settle = (outcome, status) => {
      if (settled) {
        return;
      }
      settled = true;
      clearTimeout(timer);
      outstanding -= 1;
      const at = performance.now();
      if (outcome === 'answered' && at >= windowFrom && at < windowTo) {
        answeredInWindow += 1;
      }
      if (counted) {
        if (outcome === 'answered') {
          latencies.push(performance.now() - scheduledAt);
          counts[status === 200 ? 'ok' : 'non200'] += 1;
        } else {
          counts[outcome] += 1;
        }
      }
      maybeDone();
    };
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path: '/graphql',
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
      },
      (res) => {
        res.on('end', () => settle('answered', res.statusCode));
        res.on('error', () => settle('errors'));
        res.resume();
      },
    );
    const timer = setTimeout(
      () => {
        settle('timedOut');
        req.destroy();
      },
      Math.max(0, scheduledAt + OPEN_LOOP_TIMEOUT_MS - performance.now()),
    );
    req.on('error', () => settle('errors'));
    req.end(body);
  };
  const startAt = performance.now() + 5;
  const windowFrom = startAt + WARM_UP_MS;
  const windowTo = windowFrom + MEASURE_MS;
  const tick = () => {
    const now = performance.now();
    while (next < total && startAt + next * interval <= now) {
      fire(next, startAt + next * interval);
      next += 1;
    }
    if (next < total) {
      setTimeout(tick, 1);
    } else {
      maybeDone();
    }
  };
  setTimeout(tick, 5);
  await finished;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  sendLags.sort((a, b) => a - b);
  return {
    offeredPerSecond: OPEN_LOOP_RATE,
    ...counts,
    answeredPerSecondDuringWindow: answeredInWindow / (MEASURE_MS / 1000),
    p50Ms: percentile(latencies, 50) ?? null,
    p99Ms: percentile(latencies, 99) ?? null,
    maxMs: latencies.at(-1) ?? null,
    maxOutstanding,
    sendLagP99Ms: percentile(sendLags, 99) ?? null,
  };
}

async function startG6(env) {
  const dataDir = mkdtempSync(join(tmpdir(), 'g6-bench-query-'));
  const { config } = loadConfig(
    { G6_HOST: '127.0.0.1', G6_PORT: '0', G6_DATA_DIR: dataDir, G6_INDICES: 'NIFTY', ...env },
    [],
  );
  const app = await startApp(config, createLogger({ logLevel: 'silent', logFormat: 'json' }));
  return {
    port: app.port,
    async stop() {
      await app.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A bare node:http server answering every request with `body`. */
async function startBare(body) {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length }).end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: server.address().port, stop: () => new Promise((resolve) => server.close(resolve)) };
}

export async function measureQueryThroughput({ openLoopOnly = false } = {}) {
  const key = generateApiKey('bench', ['read']);
  // Default static limits and cost cap, a key required, the rate limiter charging every request — with a
  // budget the bench cannot spend (at the default 250,000 units a minute it would refuse most of it).
  const onEnv = { G6_API_KEYS: key.entry, G6_RATE_LIMIT_COST_PER_MINUTE: '1000000000' };
  // Every limit as loose as its setting allows, no key: what the limits and auth cost is the difference.
  const offEnv = {
    G6_MAX_QUERY_DEPTH: '100',
    G6_MAX_ALIASES: '1000',
    G6_MAX_DIRECTIVES: '1000',
    G6_MAX_TOKENS: '1000000',
    G6_MAX_QUERY_COST: '100000000',
    G6_RATE_LIMIT_COST_PER_MINUTE: '0',
    G6_MAX_IN_FLIGHT: '1000000',
  };
  const results = {
    connections: CONNECTIONS,
    measureSeconds: MEASURE_MS / 1000,
    openLoop: {
      offeredPerSecond: OPEN_LOOP_RATE,
      warmUpSeconds: WARM_UP_MS / 1000,
      measureSeconds: MEASURE_MS / 1000,
      sockets: OPEN_LOOP_SOCKETS,
      maxOutstanding: OPEN_LOOP_MAX_OUTSTANDING,
      timeoutMs: OPEN_LOOP_TIMEOUT_MS,
      note: 'latency from the scheduled send time; dropped = due while the cap was outstanding; answeredPerSecondDuringWindow = answers (to any send) arriving during the measured seconds',
    },
    queries: {},
  };
  const servers = { limitsAndKeyOn: await startG6(onEnv), limitsAndKeyOff: await startG6(offEnv) };
  try {
    const auth = { authorization: `Bearer ${key.key}` };
    for (const [name, query] of [
      ['chain (±50 strikes, 10 fields a leg)', CHAIN_QUERY],
      ['overview (6 fields)', OVERVIEW_QUERY],
    ]) {
      const body = JSON.stringify({ query });
      // The same bytes G6 sends, for the bare handler to serve.
      const sample = await fetch(`http://127.0.0.1:${servers.limitsAndKeyOn.port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body,
      });
      const bytes = Buffer.from(await sample.arrayBuffer());
      const bare = await startBare(bytes);
      try {
        const openLoop500 = {
          limitsAndKeyOn: await openLoad(servers.limitsAndKeyOn.port, body, auth),
          bareHandlerSameBytes: await openLoad(bare.port, body),
        };
        if (openLoopOnly) {
          results.queries[name] = { openLoop500 };
          continue;
        }
        const on = await load(servers.limitsAndKeyOn.port, body, auth);
        const off = await load(servers.limitsAndKeyOff.port, body);
        const bareResult = await load(bare.port, body);
        results.queries[name] = {
          limitsAndKeyOn: on,
          limitsAndKeyOff: off,
          bareHandlerSameBytes: bareResult,
          onOverOffThroughput: on.requestsPerSecond / off.requestsPerSecond,
          onOverBareThroughput: on.requestsPerSecond / bareResult.requestsPerSecond,
          openLoop500,
        };
      } finally {
        await bare.stop();
      }
    }
  } finally {
    await servers.limitsAndKeyOn.stop();
    await servers.limitsAndKeyOff.stop();
  }
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const results = await measureQueryThroughput({ openLoopOnly: process.argv.includes('--open-loop-only') });
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}
