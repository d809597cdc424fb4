/**
 * Subscription fan-out: one G6 server (simulated market, NIFTY only, a collection every second, API key
 * required, the other API limits at their defaults except the ones that would refuse thousands of sockets
 * from one address) in a child process, and N subscribers in this process speaking graphql-transport-ws
 * over `ws` directly — no graphql-ws client, and only the head of each message is decoded (seq and
 * timestamp are selected first, so they lead the payload), so the client side stays cheap.
 *
 * Per scenario, on a fresh server: CPU, RSS and collection-cycle duration while idle; connect time (every
 * socket acked and its subscription's first event received); then over EVENTS collection cycles: latency
 * from each snapshot's own `timestamp` to its receipt by each subscriber, the spread between the first and
 * the last subscriber to receive each event, missed events (seq gaps), server RSS and CPU, and the
 * collection cycle's duration (g6_collect_duration_seconds sum/count delta from /metrics) while subscribed.
 *
 * Server CPU and RSS are read from /proc/<pid>/stat and /proc/<pid>/status (Linux only); heap figures come
 * from the child over IPC. The machine's other load is not controlled: os.loadavg() is recorded with each
 * scenario. G6_BENCH_DIST points at the built code to measure (default ../dist).
 *
 * Standalone: node bench/subscription-fanout.mjs [--only name,name] [--cpu-prof]
 *   --cpu-prof runs the server child under --cpu-prof and adds the top self-time functions to each
 *   scenario (the profiler's overhead is in those scenarios' figures: do not use them as a baseline).
 */
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WebSocket } from 'ws';

const DIST_URL = process.env.G6_BENCH_DIST
  ? pathToFileURL(`${process.env.G6_BENCH_DIST.replace(/\/+$/, '')}/`)
  : new URL('../dist/', import.meta.url);
const { generateApiKey } = await import(new URL('server/api-keys.js', DIST_URL));

const COLLECTION_INTERVAL_SECONDS = 1;
const EVENTS = 10;
const IDLE_MS = 4_000;
/** Sockets opening at once (connect → ack → first event); the server's listen backlog is 511. */
const CONNECT_CONCURRENCY = 200;
const SERVER_SCRIPT = fileURLToPath(new URL('./fanout-server.mjs', import.meta.url));

const LEG = 'lastPrice bid ask oi volume iv delta gamma thetaPerDay vegaPerVolPoint';
export const SCENARIOS = [
  {
    name: 'overview-100',
    subscribers: 100,
    query: 'subscription { overviewUpdated(index: NIFTY) { seq timestamp spot atmIv pcrOi } }',
  },
  {
    name: 'overview-1000',
    subscribers: 1_000,
    query: 'subscription { overviewUpdated(index: NIFTY) { seq timestamp spot atmIv pcrOi } }',
  },
  {
    name: 'overview-5000',
    subscribers: 5_000,
    query: 'subscription { overviewUpdated(index: NIFTY) { seq timestamp spot atmIv pcrOi } }',
  },
  {
    name: 'chain30-1000',
    subscribers: 1_000,
    query: `subscription { optionChainUpdated(index: NIFTY, strikesAroundAtm: 30) { seq timestamp expiry strikes { strike call { ${LEG} } put { ${LEG} } } } }`,
  },
];

const HEAD_RE = /"seq":(\d+),"timestamp":"([^"]+)"/;
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** A timer for Promise.race deadlines that does not keep the process alive once the race is decided. */
export const deadline = (ms, value) => new Promise((resolve) => setTimeout(resolve, ms, value).unref());
// Date.now(), the clock the server stamps snapshots with (performance.timeOrigin + now() drifts from it).
const nowEpochMs = () => Date.now();

function percentile(sorted, p) {
  return sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function stats(values) {
  const sorted = Float64Array.from(values).sort();
  return {
    samples: sorted.length,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.length === 0 ? null : sorted[sorted.length - 1],
  };
}

export const round = (x, digits = 2) =>
  x === null || x === undefined ? x : Math.round(x * 10 ** digits) / 10 ** digits;

export function openFileLimit() {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  return Number(line?.split(/\s+/)[3]);
}

/** utime + stime of a process, seconds. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

export function rssMiB(pid) {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line.split(/\s+/)[1]) / 1024;
}

/** The sum of every series of `name` in a Prometheus text exposition. */
function metricSum(text, name) {
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(name) && (line[name.length] === '{' || line[name.length] === ' ')) {
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}

/** Cumulative bucket counts of one phase of g6_ws_fanout_seconds, by upper bound (le), plus sum and count. */
function fanOutHistogram(text, phase) {
  const buckets = new Map();
  let sum = 0;
  let count = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('g6_ws_fanout_seconds') || !line.includes(`phase="${phase}"`)) {
      continue;
    }
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith('g6_ws_fanout_seconds_bucket')) {
      const le = /le="([^"]+)"/.exec(line)?.[1];
      buckets.set(le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), value);
    } else if (line.startsWith('g6_ws_fanout_seconds_sum')) {
      sum = value;
    } else if (line.startsWith('g6_ws_fanout_seconds_count')) {
      count = value;
    }
  }
  return { buckets, sum, count };
}

/** The server's own fan-out time over a window: mean and the bucket bound holding the 99th percentile. */
export function fanOutBetween(a, b) {
  const count = b.count - a.count;
  if (count <= 0) {
    return null;
  }
  let p99UpToMs = null;
  for (const [le, cumulative] of [...b.buckets].sort((x, y) => x[0] - y[0])) {
    if (cumulative - (a.buckets.get(le) ?? 0) >= 0.99 * count) {
      p99UpToMs = le * 1000;
      break;
    }
  }
  return { events: count, meanMs: round(((b.sum - a.sum) / count) * 1000), p99AtMostMs: p99UpToMs };
}

export async function scrape(port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return {
    fanOutWriting: fanOutHistogram(text, 'writing'),
    fanOutWaiting: fanOutHistogram(text, 'waiting'),
    collectSum: metricSum(text, 'g6_collect_duration_seconds_sum'),
    collectCount: metricSum(text, 'g6_collect_duration_seconds_count'),
    conflated: metricSum(text, 'g6_subscription_events_conflated_total'),
    slowClosed: metricSum(text, 'g6_ws_slow_consumers_closed_total'),
    wsConnections: metricSum(text, 'g6_graphql_ws_connections'),
    collectFailures: metricSum(text, 'g6_collect_failures_total'),
  };
}

/** A sample of the server: CPU seconds, RSS, wall time and its metrics. */
async function sample(server) {
  const metrics = await scrape(server.port);
  return { at: performance.now(), cpu: cpuSeconds(server.pid), rss: rssMiB(server.pid), metrics };
}

function between(a, b) {
  const seconds = (b.at - a.at) / 1000;
  const cycles = b.metrics.collectCount - a.metrics.collectCount;
  return {
    seconds: round(seconds),
    serverCpuPercentOfOneCore: round(((b.cpu - a.cpu) / seconds) * 100, 1),
    collectionCycles: cycles,
    collectionCycleMeanMs: cycles > 0 ? round(((b.metrics.collectSum - a.metrics.collectSum) / cycles) * 1000) : null,
    collectFailures: b.metrics.collectFailures - a.metrics.collectFailures,
    eventsConflated: b.metrics.conflated - a.metrics.conflated,
    slowConsumersClosed: b.metrics.slowClosed - a.metrics.slowClosed,
    serverFanOutPerEvent: {
      note: 'g6_ws_fanout_seconds: first to last socket write in the server (writing), after waiting for a collection in progress (waiting)',
      writing: fanOutBetween(a.metrics.fanOutWriting, b.metrics.fanOutWriting),
      waiting: fanOutBetween(a.metrics.fanOutWaiting, b.metrics.fanOutWaiting),
    },
  };
}

export async function startServer(env, cpuProfDir) {
  const dataDir = mkdtempSync(join(tmpdir(), 'g6-bench-fanout-'));
  const child = fork(SERVER_SCRIPT, [], {
    env: {
      PATH: process.env.PATH,
      ...(process.env.G6_BENCH_DIST ? { G6_BENCH_DIST: process.env.G6_BENCH_DIST } : {}),
      G6_BENCH_REMOVE_DATA_DIR: '1',
      G6_DATA_DIR: dataDir,
      ...env,
    },
    execArgv: ['--expose-gc', ...(cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const kill = () => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL');
  process.once('exit', kill);
  const ready = await Promise.race([
    new Promise((resolve) =>
      child.on('message', (m) => {
        if (m?.type === 'ready' || m?.type === 'error') {
          resolve(m);
        }
      }),
    ),
    exited.then((e) => ({ type: 'error', message: `server exited before listening: ${JSON.stringify(e)}` })),
    deadline(30_000, { type: 'error', message: 'server did not listen within 30 s' }),
  ]);
  if (ready.type !== 'ready') {
    kill();
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(ready.message);
  }
  return {
    port: ready.port,
    importedMs: ready.importedMs,
    readyMs: ready.readyMs,
    pid: child.pid,
    usage(gc = false) {
      return Promise.race([
        new Promise((resolve) => {
          const onMessage = (m) => {
            if (m?.type === 'usage') {
              child.off('message', onMessage);
              resolve(m);
            }
          };
          child.on('message', onMessage);
          child.send({ type: 'usage', gc });
        }),
        deadline(5_000, null),
      ]);
    },
    async stop() {
      if (child.connected) {
        child.send({ type: 'stop' });
      }
      const result = await Promise.race([exited, deadline(15_000, null)]);
      if (result === null) {
        kill();
        await exited;
      }
      process.off('exit', kill);
      rmSync(dataDir, { recursive: true, force: true });
      return result ?? { killed: true };
    },
  };
}

/** Waits until the server has a NIFTY snapshot (the subscriptions' first event needs one). */
export async function untilFirstSnapshot(port, key) {
  const until = performance.now() + 30_000;
  while (performance.now() < until) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: '{ overview(index: NIFTY) { seq } }' }),
      });
      const body = await response.json();
      if (typeof body.data?.overview?.seq === 'number') {
        return body.data.overview.seq;
      }
    } catch {
      // not yet
    }
    await sleep(100);
  }
  throw new Error('no NIFTY snapshot within 30 s');
}

/**
 * One subscriber: a raw graphql-transport-ws socket. `onEvent(sub, seq, timestampMs, receivedAtMs, bytes)`
 * for each `next`. Resolves when the subscription's first event arrived.
 */
export function subscribe(url, key, query, state) {
  return new Promise((resolve) => {
    const sub = { ws: null, lastSeq: -1, gaps: 0, outOfOrder: 0, windowMask: 0, closed: null, ackedAt: null };
    state.subscribers.push(sub);
    const ws = new WebSocket(url, 'graphql-transport-ws', { perMessageDeflate: false });
    sub.ws = ws;
    let settled = false;
    const settle = (ok) => {
      if (!settled) {
        settled = true;
        resolve(ok);
      }
    };
    ws.on('open', () => {
      ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${key}` } }));
    });
    ws.on('message', (data) => {
      const receivedAt = nowEpochMs();
      const head = data.toString('latin1', 0, Math.min(data.length, 256));
      if (head.includes('"type":"next"')) {
        const m = HEAD_RE.exec(head);
        if (m === null) {
          state.unparsed += 1;
          if (state.firstProblem === null) {
            state.firstProblem = data.toString('utf8', 0, Math.min(data.length, 500));
          }
          return;
        }
        const seq = Number(m[1]);
        if (state.eventBytes === null) {
          const parsed = JSON.parse(data.toString());
          state.eventBytes = data.length;
          state.firstEventHasErrors = parsed.payload?.errors !== undefined;
        }
        state.onEvent(sub, seq, Date.parse(m[2]), receivedAt);
        settle(true);
      } else if (head.includes('"type":"connection_ack"')) {
        sub.ackedAt = performance.now();
        ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
      } else if (head.includes('"type":"ping"')) {
        ws.send('{"type":"pong"}');
      } else {
        state.otherMessages += 1;
        if (state.firstProblem === null) {
          state.firstProblem = data.toString('utf8', 0, Math.min(data.length, 500));
        }
        if (head.includes('"type":"error"') || head.includes('"type":"complete"')) {
          settle(false);
        }
      }
    });
    ws.on('error', (error) => {
      state.socketErrors += 1;
      if (state.firstProblem === null) {
        state.firstProblem = String(error?.message ?? error);
      }
    });
    ws.on('close', (code, reason) => {
      sub.closed = { code, reason: reason.toString() };
      if (!state.tearingDown) {
        state.unexpectedCloses += 1;
        if (state.firstProblem === null) {
          state.firstProblem = `close ${code} ${reason}`;
        }
      }
      settle(false);
    });
  });
}

/**
 * What the subscribers of one measurement share: per-subscriber seq bookkeeping (gaps, order) and, for
 * the `events` seqs from `windowStart`, first and last receipt and every latency from the snapshot's own
 * timestamp. `subscribe` reports into it.
 */
export function createDeliveryState(events) {
  const state = {
    subscribers: [],
    windowStart: Number.POSITIVE_INFINITY,
    receipts: new Map(),
    latencies: [],
    unparsed: 0,
    otherMessages: 0,
    socketErrors: 0,
    unexpectedCloses: 0,
    tearingDown: false,
    firstProblem: null,
    eventBytes: null,
    firstEventHasErrors: null,
    onEvent(sub, seq, timestampMs, receivedAt) {
      if (sub.lastSeq >= 0 && seq > sub.lastSeq + 1) {
        sub.gaps += seq - sub.lastSeq - 1;
      } else if (seq <= sub.lastSeq) {
        sub.outOfOrder += 1;
      }
      sub.lastSeq = Math.max(sub.lastSeq, seq);
      const k = seq - state.windowStart;
      if (k >= 0 && k < events) {
        sub.windowMask |= 1 << k;
        let r = state.receipts.get(seq);
        if (r === undefined) {
          r = { first: receivedAt, last: receivedAt, count: 0, timestampMs };
          state.receipts.set(seq, r);
        }
        r.first = Math.min(r.first, receivedAt);
        r.last = Math.max(r.last, receivedAt);
        r.count += 1;
        state.latencies.push(receivedAt - timestampMs);
      }
    },
  };
  return state;
}

export async function closeAll(subscribers) {
  const open = subscribers.filter((s) => s.closed === null && s.ws.readyState !== WebSocket.CLOSED);
  const closed = Promise.all(open.map((s) => new Promise((resolve) => s.ws.once('close', resolve))));
  for (const s of open) {
    s.ws.close(1000);
  }
  if ((await Promise.race([closed.then(() => true), deadline(5_000, false)])) === false) {
    for (const s of subscribers) {
      s.ws.terminate();
    }
  }
}

async function runScenario(scenario, key, cpuProfDir) {
  const limit = openFileLimit();
  if (!(limit > scenario.subscribers + 200)) {
    return { skipped: `open-file limit ${limit} too low for ${scenario.subscribers} sockets (raise ulimit -n)` };
  }
  const spawnedAt = performance.now();
  const server = await startServer(
    {
      G6_HOST: '127.0.0.1',
      G6_PORT: '0',
      G6_MOCK_MODE: 'true',
      G6_INDICES: 'NIFTY',
      G6_COLLECTION_INTERVAL: String(COLLECTION_INTERVAL_SECONDS),
      G6_LOG_LEVEL: 'fatal',
      G6_API_KEYS: key.entry,
      // One address and one key for every socket: lift the per-client socket cap and the cost budget
      // (every subscription start is charged to it); the other limits stay at their defaults.
      G6_WS_MAX_SOCKETS_PER_CLIENT: '100000',
      G6_RATE_LIMIT_COST_PER_MINUTE: '1000000000',
      // Thousands of sockets opening at once must not miss the 3 s connection_init deadline.
      G6_WS_INIT_TIMEOUT: '30',
    },
    cpuProfDir,
  );
  const state = createDeliveryState(EVENTS);
  const result = { subscribers: scenario.subscribers, query: scenario.query, loadAverageAtStart: loadavg() };
  const phases = { started: performance.now() };
  result.serverStartSeconds = round((phases.started - spawnedAt) / 1000);
  try {
    await untilFirstSnapshot(server.port, key.key);
    phases.firstSnapshot = performance.now();
    await sleep(1_000);
    const idleFrom = await sample(server);
    await sleep(IDLE_MS);
    const idleTo = await sample(server);
    const heapBefore = (await server.usage(true))?.memory;
    const rssBefore = rssMiB(server.pid);

    // Connect: CONNECT_CONCURRENCY sockets in the handshake at once.
    const url = `ws://127.0.0.1:${server.port}/graphql`;
    const clientCpuBefore = process.cpuUsage();
    const connectStarted = performance.now();
    let next = 0;
    let ok = 0;
    await Promise.all(
      Array.from({ length: Math.min(CONNECT_CONCURRENCY, scenario.subscribers) }, async () => {
        while (next < scenario.subscribers) {
          next += 1;
          if (await subscribe(url, key.key, scenario.query, state)) {
            ok += 1;
          }
        }
      }),
    );
    const connectMs = performance.now() - connectStarted;
    const ackedTimes = state.subscribers.filter((s) => s.ackedAt !== null).map((s) => s.ackedAt - connectStarted);
    const rssAfterConnectNoGc = rssMiB(server.pid);
    const heapAfterConnect = (await server.usage(true))?.memory;
    const rssAfterConnect = rssMiB(server.pid);

    // The window: the next EVENTS snapshots after the newest any subscriber holds now.
    const windowFrom = await sample(server);
    state.windowStart = Math.max(...state.subscribers.map((s) => s.lastSeq)) + 1;
    const last = state.windowStart + EVENTS - 1;
    const windowDeadline = performance.now() + (EVENTS + 5) * COLLECTION_INTERVAL_SECONDS * 1000;
    const live = state.subscribers.filter((s) => s.lastSeq >= 0);
    while (performance.now() < windowDeadline && live.some((s) => s.closed === null && s.lastSeq < last)) {
      await sleep(50);
    }
    const windowTo = await sample(server);
    const clientCpu = process.cpuUsage(clientCpuBefore);
    const clientSeconds = (windowTo.at - connectStarted) / 1000;

    const spreads = [];
    const firstLatencies = [];
    const perEvent = [];
    for (let seq = state.windowStart; seq <= last; seq += 1) {
      const r = state.receipts.get(seq);
      perEvent.push({ seq, received: r?.count ?? 0 });
      if (r !== undefined) {
        spreads.push(r.last - r.first);
        firstLatencies.push(r.first - r.timestampMs);
      }
    }
    const popcount = (x) => {
      let n = 0;
      for (let v = x; v !== 0; v &= v - 1) {
        n += 1;
      }
      return n;
    };
    const missedInWindow = state.subscribers.map((s) => EVENTS - popcount(s.windowMask));
    result.collectionIntervalSeconds = COLLECTION_INTERVAL_SECONDS;
    result.eventBytes = state.eventBytes;
    result.firstEventHadErrors = state.firstEventHasErrors;
    result.connect = {
      concurrency: CONNECT_CONCURRENCY,
      subscribed: ok,
      failed: scenario.subscribers - ok,
      allAckedMs: round(Math.max(...ackedTimes)),
      allSubscribedMs: round(connectMs),
      note: 'subscribed = the subscription’s first event (the current snapshot) received',
    };
    result.events = {
      window: `seq ${state.windowStart}..${last}`,
      eventsSeen: perEvent.filter((e) => e.received > 0).length,
      latencyFromSnapshotTimestamp: mapRound(stats(state.latencies)),
      latencyToFirstSubscriber: mapRound(stats(firstLatencies)),
      spreadFirstToLastSubscriber: mapRound(stats(spreads)),
      missed: {
        seqGapsOverWholeRun: state.subscribers.reduce((n, s) => n + s.gaps, 0),
        subscriberEventsMissedInWindow: missedInWindow.reduce((a, b) => a + b, 0),
        subscribersMissingAnyWindowEvent: missedInWindow.filter((m) => m > 0).length,
        fewestSubscribersReceivingAnEvent: Math.min(...perEvent.map((e) => e.received)),
        outOfOrder: state.subscribers.reduce((n, s) => n + s.outOfOrder, 0),
      },
    };
    result.server = {
      rssMiB: {
        beforeConnect: round(rssBefore, 1),
        afterConnectBeforeGc: round(rssAfterConnectNoGc, 1),
        afterConnect: round(rssAfterConnect, 1),
        afterWindow: round(windowTo.rss, 1),
        perThousandIdleSubscribers: round(((rssAfterConnect - rssBefore) / scenario.subscribers) * 1000, 1),
      },
      memoryNote: 'beforeConnect and afterConnect (and heapUsed) are read after a full GC in the server (--expose-gc)',
      heapUsedMiB: {
        beforeConnect: round(heapBefore?.heapUsed / 2 ** 20, 1),
        afterConnect: round(heapAfterConnect?.heapUsed / 2 ** 20, 1),
        perThousandIdleSubscribers: round(
          ((heapAfterConnect?.heapUsed - heapBefore?.heapUsed) / 2 ** 20 / scenario.subscribers) * 1000,
          1,
        ),
      },
      idle: between(idleFrom, idleTo),
      subscribed: between(windowFrom, windowTo),
      wsConnectionsGauge: windowTo.metrics.wsConnections,
    };
    result.client = {
      cpuPercentOfOneCoreConnectAndWindow: round(((clientCpu.user + clientCpu.system) / 1e6 / clientSeconds) * 100, 1),
    };
    result.problems = {
      unparsedNext: state.unparsed,
      otherMessages: state.otherMessages,
      socketErrors: state.socketErrors,
      unexpectedCloses: state.unexpectedCloses,
      first: state.firstProblem,
    };
  } finally {
    phases.measured = performance.now();
    state.tearingDown = true;
    await closeAll(state.subscribers);
    phases.closed = performance.now();
    result.serverExit = await server.stop();
    phases.stopped = performance.now();
    result.phaseSeconds = {
      untilFirstSnapshot: round((phases.firstSnapshot - phases.started) / 1000),
      measuring: round((phases.measured - phases.firstSnapshot) / 1000),
      closingSockets: round((phases.closed - phases.measured) / 1000),
      stoppingServer: round((phases.stopped - phases.closed) / 1000),
    };
  }
  return result;
}

export function mapRound(o) {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? round(v) : v]));
}

/** Top self-time functions and packages of a V8 .cpuprofile. */
export function summarizeCpuProfile(path, top = 20) {
  const profile = JSON.parse(readFileSync(path, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  for (let i = 0; i < profile.samples.length; i += 1) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const where = (url) => {
    const u = url.replace(/^file:\/\//, '');
    const nm = u.lastIndexOf('node_modules/');
    if (nm >= 0) {
      return u.slice(nm + 'node_modules/'.length);
    }
    const dist = u.lastIndexOf('/dist/');
    return dist >= 0 ? u.slice(dist + 1) : u || '(native)';
  };
  const pkg = (url) => {
    const w = where(url);
    if (w.startsWith('dist/')) {
      return w.split('/').slice(0, 2).join('/');
    }
    if (w.startsWith('node:') || w === '(native)') {
      return w.split('/')[0];
    }
    return w.startsWith('@') ? w.split('/').slice(0, 2).join('/') : w.split('/')[0];
  };
  const fns = new Map();
  const pkgs = new Map();
  let total = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const name = `${functionName || '(anonymous)'} ${where(url)}${url ? `:${lineNumber + 1}` : ''}`;
    fns.set(name, (fns.get(name) ?? 0) + us);
    const p = pkg(url);
    pkgs.set(p, (pkgs.get(p) ?? 0) + us);
    total += us;
  }
  const rank = (m, n) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, selfMs: round(us / 1000, 1), percent: round((us / total) * 100, 1) }));
  return { profile: path, sampledMs: round(total / 1000), topFunctions: rank(fns, top), topPackages: rank(pkgs, 12) };
}

export async function measureSubscriptionFanOut({ only = null, cpuProfile = false } = {}) {
  const key = generateApiKey('bench-fanout', ['read', 'subscribe']);
  const results = {
    what:
      'one G6 server in a child process (simulated market, NIFTY, CSV sink on, API key required) and N raw ' +
      'graphql-transport-ws subscribers in the bench process, on loopback',
    collectionIntervalSeconds: COLLECTION_INTERVAL_SECONDS,
    eventsMeasured: EVENTS,
    idleSeconds: IDLE_MS / 1000,
    openFileLimit: openFileLimit(),
    cpuProfile,
    scenarios: {},
  };
  for (const scenario of SCENARIOS) {
    if (only !== null && !only.includes(scenario.name)) {
      continue;
    }
    const profDir = cpuProfile ? mkdtempSync(join(tmpdir(), `g6-fanout-prof-${scenario.name}-`)) : null;
    try {
      results.scenarios[scenario.name] = await runScenario(scenario, key, profDir);
    } catch (error) {
      results.scenarios[scenario.name] = { failed: String(error?.stack ?? error) };
    }
    if (profDir !== null) {
      const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
      results.scenarios[scenario.name].cpuProfile =
        file === undefined ? 'no profile written' : summarizeCpuProfile(join(profDir, file));
    }
  }
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const onlyAt = args.indexOf('--only');
  const only = onlyAt >= 0 ? args[onlyAt + 1].split(',') : null;
  const results = await measureSubscriptionFanOut({ only, cpuProfile: args.includes('--cpu-prof') });
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}
