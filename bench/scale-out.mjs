/**
 * Scale-out over Redis, measured in one run on this machine: the relay payload (a NIFTY snapshot as
 * MessagePack behind G6's header against JSON: bytes, encode and decode time); 5,000 `overviewUpdated`
 * subscribers on one `all` process against one collector + two API replicas with 2 × 2,500 (latency from
 * each snapshot's own timestamp to its receipt, spread between the first and last of all subscribers per
 * event, missed seq, CPU of each process); and a late replica's time from its start to answering a chain
 * query with the collector's current seq. Redis is Debian's redis-server on a free loopback port.
 *
 * Standalone: node bench/scale-out.mjs
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  closeAll,
  cpuSeconds,
  createDeliveryState,
  fanOutBetween,
  mapRound,
  openFileLimit,
  round,
  rssMiB,
  scrape,
  sleep,
  startServer,
  stats,
  subscribe,
  untilFirstSnapshot,
} from './subscription-fanout.mjs';

const DIST_URL = process.env.G6_BENCH_DIST
  ? pathToFileURL(`${process.env.G6_BENCH_DIST.replace(/\/+$/, '')}/`)
  : new URL('../dist/', import.meta.url);
const { generateApiKey } = await import(new URL('server/api-keys.js', DIST_URL));
const { encodeRelayMessage, decodeRelayMessage } = await import(new URL('scale/relay-codec.js', DIST_URL));
const { buildIndexSnapshot } = await import(new URL('collectors/collect-once.js', DIST_URL));
const { SimulatedIndexMarket } = await import(new URL('providers/simulated/simulated-market.js', DIST_URL));
const { createSimulatedSessionClock } = await import(new URL('domain/market-clock.js', DIST_URL));
const { DEFAULT_EXCHANGE_CALENDAR } = await import(new URL('domain/calendar/default-calendar.js', DIST_URL));
const { INDEX_SPECS } = await import(new URL('domain/indices.js', DIST_URL));

const SUBSCRIBERS = 5_000;
const EVENTS = 10;
const INTERVAL_SECONDS = 1;
const CONNECT_CONCURRENCY = 200;
const QUERY = 'subscription { overviewUpdated(index: NIFTY) { seq timestamp spot atmIv pcrOi } }';
const CHAIN_QUERY =
  '{ optionChain(index: NIFTY, strikesAroundAtm: 50) { strikes { strike call { lastPrice iv delta } put { lastPrice iv delta } } } overview(index: NIFTY) { seq } }';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startRedis() {
  const dir = mkdtempSync(join(tmpdir(), 'g6-bench-redis-'));
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('Ready to accept connections')) {
        child.stdout.resume();
        resolve();
      }
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`redis-server exited ${code}: ${out}`)));
  });
  const kill = () => child.exitCode === null && child.kill('SIGKILL');
  process.once('exit', kill);
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid,
    async stop() {
      kill();
      process.off('exit', kill);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Median of `repeats` timings of `fn` in ms, after a warm-up. */
function medianMs(fn, repeats = 30) {
  for (let i = 0; i < 5; i += 1) {
    fn();
  }
  const times = [];
  for (let i = 0; i < repeats; i += 1) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function measureCodec() {
  const start = new Date('2026-08-18T05:00:00Z');
  const clock = createSimulatedSessionClock(DEFAULT_EXCHANGE_CALENDAR);
  const market = new SimulatedIndexMarket({
    spec: INDEX_SPECS.NIFTY,
    seed: 'bench-relay',
    clock,
    rate: 0.065,
    dividendYield: 0,
  });
  const snapshot = buildIndexSnapshot(market.advance(start), 1, {
    conventions: {
      model: 'BLACK_76',
      forwardSource: 'PUT_CALL_PARITY',
      rate: 0.065,
      dividendYield: 0,
      timeBasis: 'CALENDAR_365',
      priceRule: 'MID_ELSE_LAST',
    },
    strikesAroundAtm: 30,
    clock,
    staleAfterMs: 600_000,
  });
  const json = JSON.stringify(snapshot);
  const packed = encodeRelayMessage({ kind: 'snapshot', snapshot });
  const jsonEncodeMs = medianMs(() => JSON.stringify(snapshot));
  const jsonDecodeMs = medianMs(() => JSON.parse(json));
  const packEncodeMs = medianMs(() => encodeRelayMessage({ kind: 'snapshot', snapshot }));
  const packDecodeMs = medianMs(() => decodeRelayMessage(packed));
  return {
    snapshot: `NIFTY, ±30 strikes, ${snapshot.chains.length} expiries, ${snapshot.chains.reduce((n, c) => n + c.summary.contractCount, 0)} contracts`,
    json: { bytes: Buffer.byteLength(json), encodeMs: round(jsonEncodeMs, 3), decodeMs: round(jsonDecodeMs, 3) },
    relayMessagePack: {
      bytes: packed.length,
      encodeMs: round(packEncodeMs, 3),
      decodeMs: round(packDecodeMs, 3),
      note: 'decode restores Dates (JSON.parse leaves ISO strings, which a JSON relay would still have to revive)',
    },
    bytesRatio: round(packed.length / Buffer.byteLength(json), 3),
  };
}

function baseEnv(key) {
  return {
    G6_HOST: '127.0.0.1',
    G6_PORT: '0',
    G6_MOCK_MODE: 'true',
    G6_INDICES: 'NIFTY',
    G6_COLLECTION_INTERVAL: String(INTERVAL_SECONDS),
    G6_LOG_LEVEL: 'fatal',
    G6_API_KEYS: key.entry,
    G6_WS_MAX_SOCKETS_PER_CLIENT: '100000',
    G6_RATE_LIMIT_COST_PER_MINUTE: '1000000000',
    G6_WS_INIT_TIMEOUT: '30',
  };
}

/** Connects `count` subscribers to each port in turn and measures EVENTS events across all of them. */
async function measureDelivery(ports, perPort, key, processes) {
  const state = createDeliveryState(EVENTS);
  try {
    const connectStarted = performance.now();
    for (const port of ports) {
      const url = `ws://127.0.0.1:${port}/graphql`;
      let opened = 0;
      await Promise.all(
        Array.from({ length: CONNECT_CONCURRENCY }, async () => {
          while (opened < perPort) {
            opened += 1;
            await subscribe(url, key.key, QUERY, state);
          }
        }),
      );
    }
    const connectMs = performance.now() - connectStarted;
    const cpuFrom = await Promise.all(
      processes.map(async (p) => ({
        name: p.name,
        cpu: cpuSeconds(p.pid),
        at: performance.now(),
        metrics: p.port === undefined ? null : await scrape(p.port),
      })),
    );
    state.windowStart = Math.max(...state.subscribers.map((s) => s.lastSeq)) + 1;
    const last = state.windowStart + EVENTS - 1;
    const until = performance.now() + (EVENTS + 5) * INTERVAL_SECONDS * 1000;
    while (performance.now() < until && state.subscribers.some((s) => s.closed === null && s.lastSeq < last)) {
      await sleep(50);
    }
    const spreads = [];
    let fewest = Number.POSITIVE_INFINITY;
    for (let seq = state.windowStart; seq <= last; seq += 1) {
      const r = state.receipts.get(seq);
      fewest = Math.min(fewest, r?.count ?? 0);
      if (r !== undefined) {
        spreads.push(r.last - r.first);
      }
    }
    const cpuTo = await Promise.all(
      processes.map(async (p, i) => ({
        cpuPercentOfOneCore: round(
          ((cpuSeconds(p.pid) - cpuFrom[i].cpu) / ((performance.now() - cpuFrom[i].at) / 1000)) * 100,
          1,
        ),
        rssMiB: round(rssMiB(p.pid), 1),
        metrics: p.port === undefined ? null : await scrape(p.port),
      })),
    );
    return {
      subscribers: state.subscribers.length,
      connectAllMs: round(connectMs),
      latencyFromSnapshotTimestamp: mapRound(stats(state.latencies)),
      spreadFirstToLastSubscriber: mapRound(stats(spreads)),
      missed: {
        seqGaps: state.subscribers.reduce((n, s) => n + s.gaps, 0),
        fewestSubscribersReceivingAnEvent: fewest,
        outOfOrder: state.subscribers.reduce((n, s) => n + s.outOfOrder, 0),
      },
      processes: cpuFrom.map((from, i) => ({
        name: from.name,
        cpuPercentOfOneCore: cpuTo[i].cpuPercentOfOneCore,
        rssMiB: cpuTo[i].rssMiB,
        ...(from.metrics === null
          ? {}
          : {
              serverFanOutWriting: fanOutBetween(from.metrics.fanOutWriting, cpuTo[i].metrics.fanOutWriting),
              serverFanOutWaiting: fanOutBetween(from.metrics.fanOutWaiting, cpuTo[i].metrics.fanOutWaiting),
            }),
      })),
      problems: {
        socketErrors: state.socketErrors,
        unexpectedCloses: state.unexpectedCloses,
        otherMessages: state.otherMessages,
        first: state.firstProblem,
      },
    };
  } finally {
    state.tearingDown = true;
    await closeAll(state.subscribers);
  }
}

async function chainAnswer(port, key) {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key.key}` },
    body: JSON.stringify({ query: CHAIN_QUERY }),
  });
  const body = await response.json();
  return body.data?.overview?.seq ?? null;
}

export async function measureScaleOut() {
  const key = generateApiKey('bench-scale', ['read', 'subscribe']);
  const result = {
    what:
      'one G6 `all` process with 5,000 overviewUpdated subscribers, against one collector and two API replicas ' +
      '(Redis, loopback) with 2,500 each; every process and all subscribers on this machine',
    collectionIntervalSeconds: INTERVAL_SECONDS,
    eventsMeasured: EVENTS,
    loadAverageAtStart: loadavg(),
    relayPayload: measureCodec(),
  };
  if (!(openFileLimit() > SUBSCRIBERS + 500)) {
    result.skipped = `open-file limit ${openFileLimit()} too low for ${SUBSCRIBERS} sockets (raise ulimit -n)`;
    return result;
  }
  const single = await startServer({ ...baseEnv(key) });
  try {
    await untilFirstSnapshot(single.port, key.key);
    result.singleProcess = await measureDelivery([single.port], SUBSCRIBERS, key, [
      { name: 'all', pid: single.pid, port: single.port },
    ]);
  } finally {
    await single.stop();
  }

  const redis = await startRedis();
  const started = [];
  try {
    const env = { ...baseEnv(key), G6_REDIS_URL: redis.url, G6_REDIS_HEARTBEAT: '0.5' };
    const collector = await startServer({ ...env, G6_ROLE: 'collector' });
    started.push(collector);
    await untilFirstSnapshot(collector.port, key.key);
    const apis = [await startServer({ ...env, G6_ROLE: 'api' }), await startServer({ ...env, G6_ROLE: 'api' })];
    started.push(...apis);
    result.twoReplicas = await measureDelivery(
      apis.map((a) => a.port),
      SUBSCRIBERS / 2,
      key,
      [
        { name: 'collector', pid: collector.pid, port: collector.port },
        { name: 'api-1', pid: apis[0].pid, port: apis[0].port },
        { name: 'api-2', pid: apis[1].pid, port: apis[1].port },
        { name: 'redis', pid: redis.pid },
      ],
    );
    result.p99LatencyRatioTwoReplicasToSingle = round(
      result.twoReplicas.latencyFromSnapshotTimestamp.p99Ms / result.singleProcess.latencyFromSnapshotTimestamp.p99Ms,
      3,
    );
    result.p99SpreadRatioTwoReplicasToSingle = round(
      result.twoReplicas.spreadFirstToLastSubscriber.p99Ms / result.singleProcess.spreadFirstToLastSubscriber.p99Ms,
      3,
    );

    // A late replica: from its process start to its first chain answer, and whether that answer is current.
    const spawned = performance.now();
    const late = await startServer({ ...env, G6_ROLE: 'api' });
    started.push(late);
    const listeningMs = performance.now() - spawned;
    const lateSeq = await chainAnswer(late.port, key);
    const answeredMs = performance.now() - spawned;
    const collectorSeq = await chainAnswer(collector.port, key);
    result.lateReplica = {
      spawnToFirstChainAnswerMs: round(answeredMs),
      spawnToListeningMs: round(listeningMs),
      ofWhichModuleLoadingMs: round(late.importedMs),
      startAppToListeningMs: round(late.readyMs - late.importedMs),
      firstAnswerSeq: lateSeq,
      collectorSeqJustAfter: collectorSeq,
      note: 'module loading is Node resolving and compiling ~1,000 ESM files of dist/ and node_modules (graphql-yoga alone ~0.9 s here); startApp then loads the latest snapshots from Redis before it listens',
    };
  } finally {
    for (const server of started.reverse()) {
      await server.stop();
    }
    await redis.stop();
  }
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(await measureScaleOut(), null, 2)}\n`);
}
