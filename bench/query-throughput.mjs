/**
 * Query throughput: the chain query (NIFTY nearest expiry, ±50 strikes, call and put with price, bid, ask,
 * OI, volume, IV and four Greeks) and a small overview query through G6 — with the API limits and an API
 * key required, and with every limit turned off — against a bare node:http handler returning the same
 * bytes. Closed loop, 10 keep-alive connections, the load generator in this process (so all three share
 * the machine's cores alike). One run: compare the ratios, not the absolute figures across machines.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../dist/config.js';
import { createLogger } from '../dist/logger.js';
import { startApp } from '../dist/main.js';
import { generateApiKey } from '../dist/server/api-keys.js';

const CONNECTIONS = 10;
const WARM_UP_MS = 1_000;
const MEASURE_MS = 5_000;

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

export async function measureQueryThroughput() {
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
  const results = { connections: CONNECTIONS, measureSeconds: MEASURE_MS / 1000, queries: {} };
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
        const on = await load(servers.limitsAndKeyOn.port, body, auth);
        const off = await load(servers.limitsAndKeyOff.port, body);
        const bareResult = await load(bare.port, body);
        results.queries[name] = {
          limitsAndKeyOn: on,
          limitsAndKeyOff: off,
          bareHandlerSameBytes: bareResult,
          onOverOffThroughput: on.requestsPerSecond / off.requestsPerSecond,
          onOverBareThroughput: on.requestsPerSecond / bareResult.requestsPerSecond,
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
