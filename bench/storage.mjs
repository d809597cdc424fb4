/**
 * Storage figures for bench/results.json: CSV append (one ~100-row snapshot and 10,000 rows, each snapshot one write +
 * fdatasync), Influx line encoding + spool append (100 and 10,000 points, fsynced), and reading back one
 * full stored day (a NIFTY session at the live 30 s cadence) the way `history` and `contractHistory` do.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildIndexSnapshot, tradingDayOf } from '../dist/collectors/collect-once.js';
import { DayBaselines } from '../dist/collectors/day-baselines.js';
import { DEFAULT_EXCHANGE_CALENDAR } from '../dist/domain/calendar/default-calendar.js';
import { INDEX_SPECS } from '../dist/domain/indices.js';
import { createSimulatedSessionClock } from '../dist/domain/market-clock.js';

// The simulated market's own session clock: it trades (and the bench measures) at any hour.
const BENCH_CLOCK = createSimulatedSessionClock(DEFAULT_EXCHANGE_CALENDAR);

import { createCsvHistory } from '../dist/history/csv-history.js';
import { SimulatedIndexMarket } from '../dist/providers/simulated/simulated-market.js';
import { renderSnapshot } from '../dist/sinks/csv-rows.js';
import { createCsvSink } from '../dist/sinks/csv-sink.js';
import { snapshotToLineProtocol } from '../dist/sinks/line-protocol.js';
import { createLineSpool } from '../dist/sinks/line-spool.js';

function snapshotsOf(index, count, settings, startMs, stepMs) {
  const market = new SimulatedIndexMarket({
    spec: INDEX_SPECS[index],
    seed: `bench-storage-${index}`,
    clock: BENCH_CLOCK,
    rate: settings.conventions.rate,
    dividendYield: 0,
  });
  const baselines = new DayBaselines();
  return Array.from({ length: count }, (_, i) => {
    const data = market.advance(new Date(startMs + i * stepMs));
    return buildIndexSnapshot(data, i + 1, settings, baselines.observe(data, tradingDayOf(settings, data)));
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Snapshots until `rows` CSV rows (options + overview) are reached. */
function takeRows(snapshots, rows) {
  const out = [];
  let total = 0;
  for (const s of snapshots) {
    if (total >= rows) {
      break;
    }
    out.push(s);
    const rendered = renderSnapshot(s);
    total += rendered.optionsRows + rendered.overviewRows;
  }
  return { snapshots: out, rows: total };
}

async function csvAppend(snapshots, repeats) {
  const times = [];
  for (let r = 0; r < repeats; r++) {
    const dir = mkdtempSync(join(tmpdir(), 'g6-bench-csv-'));
    const sink = createCsvSink({ dataDir: dir });
    // Opening the day (recovery scan, header) is a once-a-day cost, kept out of the append figure.
    await sink.write({ ...snapshots[0], observedAt: new Date(snapshots[0].observedAt.getTime() - 1000) });
    const started = performance.now();
    for (const s of snapshots) {
      await sink.write(s);
    }
    times.push(performance.now() - started);
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return median(times);
}

async function spoolAppend(snapshots, repeats) {
  const times = [];
  let points = 0;
  for (let r = 0; r < repeats; r++) {
    const dir = mkdtempSync(join(tmpdir(), 'g6-bench-spool-'));
    const spool = createLineSpool({ dir, maxBytes: 1 << 30 });
    await spool.open();
    const started = performance.now();
    points = 0;
    for (const s of snapshots) {
      const lines = snapshotToLineProtocol(s);
      points += lines.length;
      await spool.append(lines);
    }
    times.push(performance.now() - started);
    await spool.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { ms: median(times), points };
}

export async function measureStorage(settings, startMs) {
  const small = { ...settings, strikesAroundAtm: 6 };
  const hundred = takeRows(snapshotsOf('FINNIFTY', 1, { ...small, strikesAroundAtm: 12 }, startMs, 30_000), 1);
  const many = takeRows(snapshotsOf('NIFTY', 20, settings, startMs, 30_000), 10_000);
  const csv100 = await csvAppend(hundred.snapshots, 15);
  const csv10k = await csvAppend(many.snapshots, 5);

  const pointsHundred = snapshotsOf('FINNIFTY', 1, small, startMs, 30_000);
  const lp100 = await spoolAppend(pointsHundred, 15);
  const lp10k = await spoolAppend(takeRows(snapshotsOf('NIFTY', 20, settings, startMs, 30_000), 10_000).snapshots, 5);

  // One full NIFTY session at 30 s: 09:15–15:30 IST is 750 snapshots.
  const dayDir = mkdtempSync(join(tmpdir(), 'g6-bench-day-'));
  const sessionStart = Date.parse('2026-08-17T03:45:00Z');
  const daySnapshots = snapshotsOf('NIFTY', 750, settings, sessionStart, 30_000);
  const sink = createCsvSink({ dataDir: dayDir });
  const writeStarted = performance.now();
  for (const s of daySnapshots) {
    await sink.write(s);
  }
  const writeDayMs = performance.now() - writeStarted;
  await sink.close();
  const day = '20260817';
  const dir = join(dayDir, 'csv', 'NIFTY', day);
  const optionsBytes = statSync(join(dir, 'options.csv')).size;
  const overviewBytes = statSync(join(dir, 'overview.csv')).size;

  let started = performance.now();
  const overviewRows = await createCsvHistory({ dataDir: dayDir }).overviewDay('NIFTY', day);
  const overviewColdMs = performance.now() - started;
  const history = createCsvHistory({ dataDir: dayDir });
  await history.overviewDay('NIFTY', day);
  started = performance.now();
  await history.overviewDay('NIFTY', day);
  const overviewCachedMs = performance.now() - started;

  const chain = daySnapshots[0].chains[0];
  const symbols = chain.strikes.slice(0, 10).map((r) => r.call.quote.tradingsymbol);
  started = performance.now();
  const one = await history.contractsDay('NIFTY', day, [{ tradingsymbol: symbols[0] }]);
  const oneContractMs = performance.now() - started;
  started = performance.now();
  await history.contractsDay(
    'NIFTY',
    day,
    symbols.map((tradingsymbol) => ({ tradingsymbol })),
  );
  const tenContractsMs = performance.now() - started;
  rmSync(dayDir, { recursive: true, force: true });

  const per100 = (ms, rows) => (ms / rows) * 100;
  return {
    csvAppendSmallSnapshot: {
      rows: hundred.rows,
      snapshots: hundred.snapshots.length,
      ms: csv100,
      msPer100Rows: per100(csv100, hundred.rows),
    },
    csvAppend10kRows: {
      rows: many.rows,
      snapshots: many.snapshots.length,
      ms: csv10k,
      msPer100Rows: per100(csv10k, many.rows),
    },
    influxEncodeAndSpoolSmallSnapshot: {
      points: lp100.points,
      ms: lp100.ms,
      msPer100Points: per100(lp100.ms, lp100.points),
    },
    influxEncodeAndSpool10kPoints: {
      points: lp10k.points,
      ms: lp10k.ms,
      msPer100Points: per100(lp10k.ms, lp10k.points),
    },
    fullDayRead: {
      what: 'NIFTY, 750 snapshots (09:15–15:30 IST at 30 s), ±30 strikes, all open expiries',
      writeDayMs,
      optionsCsvBytes: optionsBytes,
      overviewCsvBytes: overviewBytes,
      overviewRows: overviewRows.length,
      overviewDayColdMs: overviewColdMs,
      overviewDayCachedMs: overviewCachedMs,
      contractHistoryOneContractMs: oneContractMs,
      contractHistoryRowsPerContract: [...one.values()][0].length,
      contractHistoryTenContractsOneScanMs: tenContractsMs,
    },
  };
}
