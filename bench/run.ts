/**
 * `npm run bench`: measures the hot paths and writes bench/results.json. Figures are machine-dependent;
 * compare ratios from one run, never assert them in tests.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { blackScholes } from '../src/analytics/black-scholes.ts';
import { impliedVolatility } from '../src/analytics/implied-volatility.ts';
import { buildIndexSnapshot } from '../src/collectors/collect-once.ts';
import { INDEX_SPECS } from '../src/domain/indices.ts';
import { DEFAULT_MARKET_HOLIDAYS } from '../src/domain/market-holidays.ts';
import { createRandomStream } from '../src/providers/simulated/random.ts';
import { SimulatedIndexMarket } from '../src/providers/simulated/simulated-market.ts';
import { createCsvSink } from '../src/sinks/csv-sink.ts';

const RATE = 0.065;
const START = new Date('2026-08-17T05:00:00Z');

function timeIt(iterations: number, body: (i: number) => void): { totalMs: number; perIterationMs: number } {
  const started = performance.now();
  for (let i = 0; i < iterations; i++) {
    body(i);
  }
  const totalMs = performance.now() - started;
  return { totalMs, perIterationMs: totalMs / iterations };
}

function collectionCycle(strikesAroundAtm: number) {
  const market = new SimulatedIndexMarket({
    spec: INDEX_SPECS.NIFTY,
    seed: 'bench',
    holidays: new Set(DEFAULT_MARKET_HOLIDAYS),
    rate: RATE,
    dividendYield: 0,
  });
  let contracts = 0;
  const warm = 20;
  for (let i = 0; i < warm; i++) {
    buildIndexSnapshot(market.advance(new Date(START.getTime() + i * 2000)), i + 1, {
      rate: RATE,
      dividendYield: 0,
      strikesAroundAtm,
    });
  }
  const result = timeIt(200, (i) => {
    const snapshot = buildIndexSnapshot(market.advance(new Date(START.getTime() + (warm + i) * 2000)), warm + i + 1, {
      rate: RATE,
      dividendYield: 0,
      strikesAroundAtm,
    });
    contracts = snapshot.chains.reduce((n, c) => n + c.summary.contractCount, 0);
  });
  return {
    strikesAroundAtm,
    contractsPerCycle: contracts,
    msPerCycle: result.perIterationMs,
    microsecondsPerContract: (result.perIterationMs * 1000) / contracts,
  };
}

function randomInputs(n: number) {
  const random = createRandomStream('bench-inputs');
  return Array.from({ length: n }, () => {
    const spot = 20_000 + 60_000 * random.uniform();
    return {
      right: random.uniform() < 0.5 ? ('C' as const) : ('P' as const),
      spot,
      strike: spot * (0.85 + 0.3 * random.uniform()),
      timeToExpiryYears: 1 / 365 + random.uniform() * 0.25,
      rate: RATE,
      dividendYield: 0,
      volatility: 0.08 + 0.4 * random.uniform(),
    };
  });
}

const N = 1_000_000;
const inputs = randomInputs(N);
let sink = 0;
blackScholes(inputs[0]!);
const greeks = timeIt(N, (i) => {
  sink += blackScholes(inputs[i]!).gamma;
});
const priced = inputs.map((input) => ({ ...input, price: blackScholes(input).price }));
let solved = 0;
let failures = 0;
let worstRelativeError = 0;
const iv = timeIt(N, (i) => {
  const input = priced[i]!;
  const result = impliedVolatility(input);
  if (result.ok) {
    solved += 1;
    worstRelativeError = Math.max(
      worstRelativeError,
      Math.abs(result.volatility - input.volatility) / input.volatility,
    );
  } else {
    failures += 1;
  }
});

const windowed = collectionCycle(30);
const full = collectionCycle(0);

const csvDir = mkdtempSync(join(tmpdir(), 'g6-bench-'));
const csv = createCsvSink({ dataDir: csvDir });
const market = new SimulatedIndexMarket({
  spec: INDEX_SPECS.NIFTY,
  seed: 'bench-csv',
  holidays: new Set(DEFAULT_MARKET_HOLIDAYS),
  rate: RATE,
  dividendYield: 0,
});
const csvSnapshots = Array.from({ length: 50 }, (_, i) =>
  buildIndexSnapshot(market.advance(new Date(START.getTime() + i * 2000)), i + 1, {
    rate: RATE,
    dividendYield: 0,
    strikesAroundAtm: 30,
  }),
);
const csvStarted = performance.now();
for (const snapshot of csvSnapshots) {
  await csv.write(snapshot);
}
const csvMs = (performance.now() - csvStarted) / csvSnapshots.length;
await csv.close();
rmSync(csvDir, { recursive: true, force: true });
const csvRowsPerSnapshot =
  csvSnapshots[0]!.chains.reduce((n, c) => n + c.summary.contractCount, 0) + csvSnapshots[0]!.chains.length;

const G61 = { atmCollectionMsPer10Strikes: 150, greeksMsPerOption: 5, csvMsPer100Records: 25 };
const results = {
  generatedAt: new Date().toISOString(),
  machine: { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length },
  greeks: {
    options: N,
    api: 'blackScholes(input) scalar, price + delta, gamma, vega, theta, rho',
    optionsPerSecond: N / (greeks.totalMs / 1000),
    microsecondsPerOption: (greeks.totalMs * 1000) / N,
    speedupVsG61: G61.greeksMsPerOption / greeks.perIterationMs,
  },
  impliedVolatility: {
    solves: N,
    solvesPerSecond: N / (iv.totalMs / 1000),
    failures,
    worstRelativeError,
    solved,
  },
  collectionCycle: {
    index: 'NIFTY (all open expiries)',
    note: 'simulated market step + IV/Greeks for every contract + chain summary, per cycle (no I/O)',
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
  g61Published: G61,
};
mkdirSync(new URL('.', import.meta.url), { recursive: true });
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
if (sink === 42) {
  process.stdout.write('\n');
}
