import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toIstCompactDate } from '../../src/domain/ist-time.ts';
import { type CliRun, runCli } from '../helpers/cli.ts';
import { checkCsvDay } from '../helpers/csv-check.ts';
import { startVictoriaMetrics, type VictoriaMetrics } from '../helpers/victoria-metrics.ts';

let vm: VictoriaMetrics;
let dataDir: string;

beforeAll(async () => {
  vm = await startVictoriaMetrics();
  dataDir = mkdtempSync(join(tmpdir(), 'g6-crash-'));
});
afterAll(async () => {
  await vm?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const INDICES = ['NIFTY', 'BANKNIFTY'] as const;

// Each run starts its own clock ten minutes after the last (libfaketime; the clock runs on from there), so
// the runs' snapshots never share a timestamp and the result is the same at any hour CI runs it.
const FIRST_START = Date.parse('2026-08-20T05:30:00Z'); // Thursday 11:00 IST
let runs = 0;

function start(intervalSeconds = '0.05'): CliRun {
  const fakeTime = new Date(FIRST_START + runs * 10 * 60_000);
  runs += 1;
  return runCli(
    [],
    {
      G6_HOST: '127.0.0.1',
      G6_PORT: '0',
      G6_DATA_DIR: dataDir,
      G6_INDICES: INDICES.join(','),
      G6_COLLECTION_INTERVAL: intervalSeconds,
      G6_LOG_LEVEL: 'debug',
      G6_LOG_FORMAT: 'json',
      G6_ENABLE_INFLUXDB: 'true',
      INFLUXDB_URL: vm.url,
      INFLUXDB_TOKEN: 'crash-test-token',
      INFLUXDB_ORG: 'g6',
      INFLUXDB_BUCKET: 'options',
      G6_INFLUXDB_TIMEOUT: '2',
      G6_INFLUXDB_RETRY_MAX: '0.5',
    },
    { fakeTime },
  );
}

const collected = (run: CliRun) => run.lines.filter((l) => l.msg === 'collected');

describe('storage through SIGKILL of G6', () => {
  it('keeps every stored snapshot whole and once in CSV and in Influx across three kills mid-write', async () => {
    const acknowledged = new Map<string, Set<string>>(INDICES.map((i) => [i, new Set()]));
    const kills: number[] = [];
    // What each run said about Influx and its spool: printed with a failure, to tell a lost point's story.
    const influxLog: string[] = [];
    const noteInflux = (run: CliRun, label: string) => {
      for (const l of run.lines) {
        if (/influx|spool/.test(String(l.msg))) {
          influxLog.push(`${label}: ${JSON.stringify(l)}`);
        }
      }
    };
    for (let round = 0; round < 3; round++) {
      const run = start();
      // Enough collections that writes are in flight at any moment (0.05 s interval, ±30 strikes).
      const target = collected(run).length + 12;
      await run.waitForLog(() => collected(run).length >= target);
      run.child.kill('SIGKILL');
      const { signal } = await run.exited;
      expect(signal).toBe('SIGKILL');
      kills.push(round);
      noteInflux(run, `run ${round + 1}`);
      for (const line of collected(run)) {
        if ((line.persisted as string[]).length === 2) {
          acknowledged.get(line.index as string)!.add(line.observedAt as string);
        }
      }
    }
    // A last run recovers, resends what the killed runs spooled, writes a few more snapshots and stops
    // cleanly (SIGTERM flushes the spool). It collects slowly enough for the resend to catch up on a loaded
    // machine; the shutdown's bounded flush then has only the last snapshots to send.
    const last = start('0.5');
    await last.waitForLog((l) => String(l.msg).startsWith('influx spool drained'));
    await last.waitForLog(() => collected(last).length >= 5);
    last.child.kill('SIGTERM');
    expect((await last.exited).code).toBe(0);
    expect(
      last.lines.some((l) => l.msg === 'influx sink closed with points still spooled; they are sent at the next start'),
    ).toBe(false);
    noteInflux(last, 'last run');
    for (const line of collected(last)) {
      acknowledged.get(line.index as string)!.add(line.observedAt as string);
    }

    for (const index of INDICES) {
      // Every snapshot was taken on the clocks the test set, none on the machine's.
      const times = [...acknowledged.get(index)!].map((t) => Date.parse(t));
      expect(Math.min(...times)).toBeGreaterThanOrEqual(FIRST_START);
      expect(Math.max(...times)).toBeLessThan(FIRST_START + runs * 10 * 60_000);
      const days = new Set([...acknowledged.get(index)!].map((t) => toIstCompactDate(new Date(t))));
      const stored = [...days].flatMap((day) => checkCsvDay(dataDir, index, day).snapshots);
      expect(new Set(stored).size).toBe(stored.length);
      // Everything both sinks acknowledged is in the CSV store.
      expect([...acknowledged.get(index)!].filter((t) => !stored.includes(t))).toEqual([]);

      const wanted = acknowledged.get(index)!;
      const series = await vm.exportSeriesWhen('market_overview_spot', (all) => {
        const have = new Set(
          all
            .filter((s) => s.metric.index === index)
            .flatMap((s) => s.timestamps.map((t) => new Date(t).toISOString())),
        );
        return [...wanted].every((t) => have.has(t));
      });
      const influx = series.filter((s) => s.metric.index === index);
      const influxTimestamps = new Set(influx.flatMap((s) => s.timestamps).map((t) => new Date(t).toISOString()));
      // Each (series, timestamp) once.
      for (const s of influx) {
        expect(new Set(s.timestamps).size).toBe(s.timestamps.length);
      }
      const missing = [...acknowledged.get(index)!].filter((t) => !influxTimestamps.has(t));
      const spoolDir = join(dataDir, 'spool', 'influx');
      const spool = existsSync(spoolDir)
        ? readdirSync(spoolDir).map((f) => `${f} ${statSync(join(spoolDir, f)).size} B`)
        : [];
      const story = { spool, influxLog, inInflux: influxTimestamps.size };
      expect(missing, `acknowledged but not in Influx; ${JSON.stringify(story)}`).toEqual([]);
      // The sinks disagree at most on the snapshot in flight at each kill.
      const onlyCsv = stored.filter((t) => !influxTimestamps.has(t));
      const onlyInflux = [...influxTimestamps].filter((t) => !stored.includes(t));
      expect(onlyCsv.length + onlyInflux.length).toBeLessThanOrEqual(kills.length);
    }
  });
});
