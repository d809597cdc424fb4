/**
 * `npm run bench`: builds, then measures the hot paths of the built code (dist/, what `g6/analytics`
 * users import) and writes bench/results.json. Plain JavaScript on purpose: a TypeScript loader rewrites
 * module exports into getters and would distort the per-option figures. Figures are machine-dependent;
 * compare ratios from one run, never assert them in tests.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  blackScholes,
  blackScholesBatch,
  IV_STATUS,
  impliedVolatility,
  impliedVolatilityBatch,
} from '../dist/analytics/index.js';
import { createProgress } from '../dist/cli/progress.js';
import { buildIndexSnapshot, tradingDayOf } from '../dist/collectors/collect-once.js';
import { DayBaselines } from '../dist/collectors/day-baselines.js';
import { DEFAULT_EXCHANGE_CALENDAR } from '../dist/domain/calendar/default-calendar.js';
import { INDEX_SPECS } from '../dist/domain/indices.js';
import { createSimulatedSessionClock } from '../dist/domain/market-clock.js';

// The simulated market's own session clock: it trades (and the bench measures) at any hour.
const BENCH_CLOCK = createSimulatedSessionClock(DEFAULT_EXCHANGE_CALENDAR);

import { createRandomStream } from '../dist/providers/simulated/random.js';
import { SimulatedIndexMarket } from '../dist/providers/simulated/simulated-market.js';
import { createCsvSink } from '../dist/sinks/csv-sink.js';

const require = createRequire(import.meta.url);
const { BlackScholes: UqeeBlackScholes } = require('@uqee/black-scholes');
const { getImpliedVolatility } = require('implied-volatility');

const RATE = 0.065;
const START = new Date('2026-08-17T05:00:00Z');
const N = 1_000_000;
const REPEATS = 5;
/** The server's default analysis settings (Black-76 on the parity forward), as the collector runs them. */
const BENCH_SETTINGS = {
  conventions: {
    model: 'BLACK_76',
    forwardSource: 'PUT_CALL_PARITY',
    rate: RATE,
    dividendYield: 0,
    timeBasis: 'CALENDAR_365',
    priceRule: 'MID_ELSE_LAST',
  },
  strikesAroundAtm: 30,
  clock: BENCH_CLOCK,
  staleAfterMs: 600_000,
};
const G61 = {
  atmCollectionMsPer10Strikes: 150,
  greeksMsPerOption: 5,
  csvMsPer100Records: 25,
  influxMsPer100Points: 35,
};

/** Median wall time of `repeats` runs after one warm-up run. */
function medianMs(repeats, body) {
  body();
  const times = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    body();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Columns of `n` options drawn by `draw(random)`; q = 0 so packages without a dividend yield compare. */
function makeColumns(n, seed, draw) {
  const random = createRandomStream(seed);
  const c = {
    right: new Int8Array(n),
    underlying: new Float64Array(n),
    strike: new Float64Array(n),
    timeToExpiryYears: new Float64Array(n),
    rate: new Float64Array(n).fill(RATE),
    dividendYield: new Float64Array(n),
    volatility: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const o = draw(random);
    c.right[i] = o.right;
    c.underlying[i] = o.spot;
    c.strike[i] = o.strike;
    c.timeToExpiryYears[i] = o.T;
    c.volatility[i] = o.volatility;
  }
  return c;
}

const realistic = (random) => {
  const spot = 20_000 + 60_000 * random.uniform();
  return {
    right: random.uniform() < 0.5 ? 1 : -1,
    spot,
    strike: spot * (0.85 + 0.3 * random.uniform()),
    T: 1 / 365 + random.uniform() * 0.25,
    volatility: 0.08 + 0.4 * random.uniform(),
  };
};
// Hard cases: deep out of the money, and expiry day (10 minutes to one day left).
const deepOtm = (random) => {
  const spot = 20_000 + 60_000 * random.uniform();
  const call = random.uniform() < 0.5;
  return {
    right: call ? 1 : -1,
    spot,
    strike: spot * (call ? 1.15 + 0.35 * random.uniform() : 0.5 + 0.35 * random.uniform()),
    T: 2 / 365 + random.uniform(),
    volatility: 0.1 + 0.5 * random.uniform(),
  };
};
const expiryDay = (random) => {
  const spot = 20_000 + 60_000 * random.uniform();
  return {
    right: random.uniform() < 0.5 ? 1 : -1,
    spot,
    strike: spot * (0.98 + 0.04 * random.uniform()),
    T: (10 + random.uniform() * 1430) / 525_600,
    volatility: 0.08 + 0.4 * random.uniform(),
  };
};

function greeksColumns(n) {
  return {
    price: new Float64Array(n),
    delta: new Float64Array(n),
    gamma: new Float64Array(n),
    vegaPerVolPoint: new Float64Array(n),
    thetaPerDay: new Float64Array(n),
    rhoPerRatePoint: new Float64Array(n),
  };
}

/**
 * The options of `columns` whose implied volatility is well posed by the rule of the QuantLib reference
 * table's README: time value and vega above 1e-9 × spot, price ≤ 100 × vega × σ.
 */
function wellPosed(columns) {
  const n = columns.underlying.length;
  const out = greeksColumns(n);
  blackScholesBatch(columns, out);
  const keep = [];
  for (let i = 0; i < n; i++) {
    const S = columns.underlying[i];
    const T = columns.timeToExpiryYears[i];
    const intrinsic = Math.max(columns.right[i] * (S - columns.strike[i] * Math.exp(-RATE * T)), 0);
    const vega = out.vegaPerVolPoint[i] * 100;
    if (out.price[i] - intrinsic > 1e-9 * S && vega > 1e-9 * S && out.price[i] <= 100 * vega * columns.volatility[i]) {
      keep.push(i);
    }
  }
  const pick = (a) => a.constructor.from(keep, (i) => a[i]);
  const picked = Object.fromEntries(Object.entries(columns).map(([k, v]) => [k, pick(v)]));
  const prices = pick(out.price);
  const vegas = pick(out.vegaPerVolPoint);
  return { columns: picked, prices, vegas };
}

/**
 * A solve is correct when it is within 1e-12 relative of the true volatility plus the price's own
 * rounding (≈ 4ε(S + K) of premium, over vega); competitors are held to the looser 1e-6 absolute.
 */
function tolerance(columns, vegas, i) {
  return (
    1e-12 * columns.volatility[i] +
    (4 * Number.EPSILON * (columns.underlying[i] + columns.strike[i])) / (vegas[i] * 100)
  );
}

function benchG6ImpliedVolatility(set) {
  const { columns, prices, vegas } = set;
  const n = prices.length;
  const input = { ...columns, spot: columns.underlying, price: prices };
  const output = { volatility: new Float64Array(n), status: new Uint8Array(n) };
  const ms = medianMs(REPEATS, () => impliedVolatilityBatch(input, output));
  let failures = 0;
  let worstRelativeError = 0;
  for (let i = 0; i < n; i++) {
    const error = Math.abs(output.volatility[i] - columns.volatility[i]);
    if (output.status[i] !== IV_STATUS.OK || !(error <= tolerance(columns, vegas, i))) {
      failures++;
    }
    if (output.status[i] === IV_STATUS.OK) {
      worstRelativeError = Math.max(worstRelativeError, error / columns.volatility[i]);
    }
  }
  return { options: n, solvesPerSecond: n / (ms / 1000), failures, worstRelativeError };
}

function benchPackageIv(set, limit, solve) {
  const { columns, prices } = set;
  const n = Math.min(limit, prices.length);
  const sigmas = new Float64Array(n);
  const ms = medianMs(limit < 100_000 ? 1 : 3, () => {
    for (let i = 0; i < n; i++) {
      sigmas[i] = solve(columns, prices, i);
    }
  });
  let correct = 0;
  for (let i = 0; i < n; i++) {
    if (Math.abs(sigmas[i] - columns.volatility[i]) <= 1e-6) {
      correct++;
    }
  }
  const solvesPerSecond = n / (ms / 1000);
  return {
    options: n,
    solvesPerSecond,
    correct,
    correctFraction: correct / n,
    correctSolvesPerSecond: solvesPerSecond * (correct / n),
  };
}

const uqee = new UqeeBlackScholes({
  sigmaToPricePrecision: 'double',
  priceToSigmaMethod: 'newton-raphson',
  priceToSigmaAccuracy: 1e-9,
});
const uqeeSolve = (c, prices, i) =>
  uqee.sigma({
    price: prices[i],
    rate: c.rate[i],
    strike: c.strike[i],
    time: c.timeToExpiryYears[i],
    type: c.right[i] === 1 ? 'call' : 'put',
    underlying: c.underlying[i],
  });
const impliedVolatilitySolve = (c, prices, i) =>
  getImpliedVolatility(
    prices[i],
    c.underlying[i],
    c.strike[i],
    c.timeToExpiryYears[i],
    c.rate[i],
    c.right[i] === 1 ? 'call' : 'put',
  );

// Which phase is running, on stderr (redrawn on a terminal, a line per phase otherwise); stdout keeps the results.
const phases = createProgress({
  label: 'bench',
  total: 10,
  unit: 'phases',
  detail: 'price + 5 Greeks',
  stream: process.stderr,
  isTty: process.stderr.isTTY === true,
});

// --- price + 5 Greeks -------------------------------------------------------------------------------
const greekInputs = makeColumns(N, 'bench-greeks', realistic);
const greekOutput = greeksColumns(N);
const batchMs = medianMs(REPEATS, () => blackScholesBatch(greekInputs, greekOutput));
const scalarInputs = Array.from({ length: N }, (_, i) => ({
  right: greekInputs.right[i] === 1 ? 'C' : 'P',
  spot: greekInputs.underlying[i],
  strike: greekInputs.strike[i],
  timeToExpiryYears: greekInputs.timeToExpiryYears[i],
  rate: RATE,
  dividendYield: 0,
  volatility: greekInputs.volatility[i],
}));
let checksum = 0;
const scalarMs = medianMs(3, () => {
  for (let i = 0; i < N; i++) {
    checksum += blackScholes(scalarInputs[i]).gamma;
  }
});
const uqeeOption = (i) =>
  uqee.option({
    rate: RATE,
    sigma: greekInputs.volatility[i],
    strike: greekInputs.strike[i],
    time: greekInputs.timeToExpiryYears[i],
    type: greekInputs.right[i] === 1 ? 'call' : 'put',
    underlying: greekInputs.underlying[i],
  });
const uqeeMs = medianMs(3, () => {
  for (let i = 0; i < N; i++) {
    checksum += uqeeOption(i).gamma;
  }
});
let uqeePriceMisses = 0;
for (let i = 0; i < 100_000; i++) {
  const theirs = uqeeOption(i).price;
  if (Math.abs(theirs - greekOutput.price[i]) > 1e-6 * Math.max(1, greekOutput.price[i])) {
    uqeePriceMisses++;
  }
}

// --- implied volatility -----------------------------------------------------------------------------
phases.update(1, 'implied volatility');
const sets = {
  realistic: wellPosed(makeColumns(N, 'bench-iv', realistic)),
  deepOutOfTheMoney: wellPosed(makeColumns(N / 4, 'bench-iv-otm', deepOtm)),
  expiryDay: wellPosed(makeColumns(N / 4, 'bench-iv-expiry', expiryDay)),
};
const impliedVolatilityResults = {};
for (const [name, set] of Object.entries(sets)) {
  const g6 = benchG6ImpliedVolatility(set);
  const uqeeResult = benchPackageIv(set, 200_000, uqeeSolve);
  const ivPackage = benchPackageIv(set, 2_000, impliedVolatilitySolve);
  const g6Correct = g6.solvesPerSecond * ((g6.options - g6.failures) / g6.options);
  impliedVolatilityResults[name] = {
    g6,
    '@uqee/black-scholes (newton-raphson, double, accuracy 1e-9)': uqeeResult,
    'implied-volatility (2,000-option sample)': ivPackage,
    correctSolvesPerSecondRatio: {
      vsUqee: g6Correct / uqeeResult.correctSolvesPerSecond,
      vsImpliedVolatility: g6Correct / ivPackage.correctSolvesPerSecond,
    },
  };
}
// The scalar API on the realistic set, for users who call it per option.
const scalarIvInputs = Array.from({ length: 200_000 }, (_, i) => ({
  right: sets.realistic.columns.right[i] === 1 ? 'C' : 'P',
  price: sets.realistic.prices[i],
  spot: sets.realistic.columns.underlying[i],
  strike: sets.realistic.columns.strike[i],
  timeToExpiryYears: sets.realistic.columns.timeToExpiryYears[i],
  rate: RATE,
  dividendYield: 0,
}));
const scalarIvMs = medianMs(3, () => {
  for (const input of scalarIvInputs) {
    checksum += impliedVolatility(input).ok ? 1 : 0;
  }
});

// --- a whole collection cycle -----------------------------------------------------------------------
phases.update(2, 'collection cycle');
function collectionCycle(strikesAroundAtm) {
  const market = new SimulatedIndexMarket({
    spec: INDEX_SPECS.NIFTY,
    seed: 'bench',
    clock: BENCH_CLOCK,
    rate: RATE,
    dividendYield: 0,
  });
  const settings = { ...BENCH_SETTINGS, strikesAroundAtm };
  const baselines = new DayBaselines();
  let step = 0;
  let contracts = 0;
  const cycle = () => {
    const data = market.advance(new Date(START.getTime() + step * 2000));
    step++;
    const snapshot = buildIndexSnapshot(data, step, settings, baselines.observe(data, tradingDayOf(settings, data)));
    contracts = snapshot.chains.reduce((n, c) => n + c.summary.contractCount, 0);
  };
  for (let i = 0; i < 20; i++) {
    cycle();
  }
  const ms = medianMs(200, cycle);
  return {
    strikesAroundAtm,
    contractsPerCycle: contracts,
    msPerCycle: ms,
    microsecondsPerContract: (ms * 1000) / contracts,
  };
}
const windowed = collectionCycle(30);
const full = collectionCycle(0);

// --- CSV append -------------------------------------------------------------------------------------
phases.update(3, 'CSV append');
const csvDir = mkdtempSync(join(tmpdir(), 'g6-bench-'));
const csv = createCsvSink({ dataDir: csvDir });
const csvMarket = new SimulatedIndexMarket({
  spec: INDEX_SPECS.NIFTY,
  seed: 'bench-csv',
  clock: BENCH_CLOCK,
  rate: RATE,
  dividendYield: 0,
});
const csvSnapshots = Array.from({ length: 50 }, (_, i) =>
  buildIndexSnapshot(csvMarket.advance(new Date(START.getTime() + i * 2000)), i + 1, BENCH_SETTINGS),
);
const csvStarted = performance.now();
for (const snapshot of csvSnapshots) {
  await csv.write(snapshot);
}
const csvMs = (performance.now() - csvStarted) / csvSnapshots.length;
await csv.close();
rmSync(csvDir, { recursive: true, force: true });
const csvRowsPerSnapshot =
  csvSnapshots[0].chains.reduce((n, c) => n + c.summary.contractCount, 0) + csvSnapshots[0].chains.length;

phases.update(4, 'storage');
const { measureStorage } = await import('./storage.mjs');
const storage = await measureStorage(BENCH_SETTINGS, START.getTime());

phases.update(5, 'history');
const { measureHistory } = await import('./history-parquet.mjs');
const history = await measureHistory({ progress: (step) => phases.update(5, `history: ${step}`) });

phases.update(6, 'tick latency');
const { measureTickLatency } = await import('./tick-latency.mjs');
const tickLatency = await measureTickLatency();

phases.update(7, 'query throughput');
const { measureQueryThroughput } = await import('./query-throughput.mjs');
const queryThroughput = await measureQueryThroughput();

phases.update(8, 'subscription fan-out');
const { measureSubscriptionFanOut } = await import('./subscription-fanout.mjs');
const subscriptionFanOut = await measureSubscriptionFanOut();

phases.update(9, 'scale-out');
const { measureScaleOut } = await import('./scale-out.mjs');
const scaleOut = await measureScaleOut();
phases.done();

const greeksPerSecond = N / (batchMs / 1000);
const results = {
  generatedAt: new Date().toISOString(),
  machine: { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length },
  method: `median of ${REPEATS} runs after a warm-up, one thread, built dist/ code`,
  greeks: {
    options: N,
    what: 'price + delta, gamma, vega, theta, rho (Black-Scholes-Merton, random realistic inputs)',
    batchOptionsPerSecond: greeksPerSecond,
    batchNanosecondsPerOption: (batchMs * 1e6) / N,
    scalarOptionsPerSecond: N / (scalarMs / 1000),
    '@uqee/black-scholes optionsPerSecond (double precision)': N / (uqeeMs / 1000),
    '@uqee/black-scholes price misses > 1e-6 relative (of 100,000)': uqeePriceMisses,
    batchSpeedupVsUqee: greeksPerSecond / (N / (uqeeMs / 1000)),
    speedupVsG61: G61.greeksMsPerOption / (batchMs / N),
  },
  impliedVolatility: {
    wellPosedRule: 'time value > 1e-9·S, vega > 1e-9·S, price ≤ 100·vega·σ (bs_reference README)',
    correctness: 'g6: 1e-12 relative + price rounding; packages: 1e-6 absolute',
    sets: impliedVolatilityResults,
    scalarApiSolvesPerSecond: scalarIvInputs.length / (scalarIvMs / 1000),
  },
  collectionCycle: {
    index: 'NIFTY (all open expiries)',
    note: 'simulated market step + parity forward, IV, Greeks, GEX with flip level, smile, summary, term structure and surface (no I/O)',
    window: windowed,
    fullChain: full,
    msPer10StrikesWindowed: (windowed.msPerCycle / (windowed.contractsPerCycle / 2)) * 10,
    speedupVsG61Per10Strikes:
      G61.atmCollectionMsPer10Strikes / ((windowed.msPerCycle / (windowed.contractsPerCycle / 2)) * 10),
  },
  csvAppend: {
    rowsPerSnapshot: csvRowsPerSnapshot,
    msPerSnapshotWithDatasync: csvMs,
    msPer100Rows: (csvMs / csvRowsPerSnapshot) * 100,
    speedupVsG61: G61.csvMsPer100Records / ((csvMs / csvRowsPerSnapshot) * 100),
  },
  storage: {
    ...storage,
    csvSpeedupVsG61: G61.csvMsPer100Records / storage.csvAppend10kRows.msPer100Rows,
    influxSpeedupVsG61: G61.influxMsPer100Points / storage.influxEncodeAndSpool10kPoints.msPer100Points,
  },
  history,
  tickToSubscriber: tickLatency,
  queryThroughput,
  subscriptionFanOut,
  scaleOut,
  g61Published: G61,
};
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
if (checksum === 42) {
  process.stdout.write('\n');
}
