import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toIstDateString } from '../../src/domain/ist-time.ts';
import type { IndexSnapshot } from '../../src/domain/snapshot.ts';
import { createCsvSink } from '../../src/sinks/csv-sink.ts';
import { runCli } from '../helpers/cli.ts';
import { simulatedSnapshots, TEST_RATE } from '../helpers/simulated-snapshots.ts';
import { postGraphQL } from '../helpers/test-app.ts';

let dataDir: string;
let snapshots: IndexSnapshot[];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'g6-replay-'));
  snapshots = simulatedSnapshots('NIFTY', 30, 2_000, 8);
  const sink = createCsvSink({ dataDir });
  for (const snapshot of snapshots) {
    await sink.write(snapshot);
  }
  await sink.close();
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const ENV = {
  G6_HOST: '127.0.0.1',
  G6_LOG_FORMAT: 'json',
  G6_INDICES: 'NIFTY',
  G6_STRIKES_AROUND_ATM: '8',
  // The conventions the stored snapshots were analysed with.
  G6_PRICING_MODEL: 'BLACK_SCHOLES',
  G6_FORWARD_SOURCE: 'SPOT_CARRY',
  G6_RISK_FREE_RATE: String(TEST_RATE),
};

describe('g6 replay', () => {
  it('plays every stored snapshot through the pipeline and reproduces the stored analytics', async () => {
    const day = toIstDateString(snapshots[0]!.observedAt);
    const run = runCli(['replay', '--from', day, '--to', day, '--speed', '1000', '--port', '0'], {
      ...ENV,
      G6_DATA_DIR: dataDir,
    });
    try {
      const ready = await run.waitForLog((l) => typeof l.port === 'number');
      const finished = await run.waitForLog((l) => l.msg === 'replay finished; serving the last replayed snapshots');
      expect(finished.snapshots).toBe(snapshots.length);
      const url = `http://127.0.0.1:${ready.port}`;
      const result = await postGraphQL(
        url,
        '{ overview(index: NIFTY) { timestamp spot pcrOi maxPainStrike atmIv expectedMove } serverInfo { provider providerProblems } }',
      );
      expect(result.errors).toBeUndefined();
      const last = snapshots.at(-1)!;
      const chain = last.chains[0]!;
      expect(result.data!.overview).toEqual({
        timestamp: last.observedAt.toISOString(),
        spot: last.spot,
        pcrOi: chain.summary.pcrOi,
        maxPainStrike: chain.summary.maxPainStrike,
        atmIv: chain.summary.atmIv,
        expectedMove: chain.summary.expectedMove,
      });
      expect(result.data!.serverInfo).toEqual({
        provider: 'replay',
        providerProblems: [`replay finished after ${snapshots.length} of ${snapshots.length} snapshots`],
      });
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toContain(`g6_live_updates_published_total{index="NIFTY"} ${snapshots.length}`);
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });

  it('names a bad flag and exits 2', async () => {
    const run = runCli(['replay', '--from', '2026-13-01', '--to', '2026-08-18', '--speed', '0'], {
      ...ENV,
      G6_DATA_DIR: dataDir,
    });
    const { code, stderr } = await run.exited;
    expect(code).toBe(2);
    expect(stderr).toContain('--from "2026-13-01": expected a date, YYYY-MM-DD');
    expect(stderr).toContain('--speed "0": expected a number above 0');
  });

  it('fails at start-up when nothing is stored in the range', async () => {
    const run = runCli(['replay', '--from', '2020-01-01', '--to', '2020-01-02', '--port', '0'], {
      ...ENV,
      G6_DATA_DIR: dataDir,
    });
    const failed = await run.waitForLog((l) => l.msg === 'start-up failed');
    expect(String((failed.err as { message: string }).message)).toContain(
      'nothing stored to replay between 2020-01-01 and 2020-01-02',
    );
    expect((await run.exited).code).toBe(1);
  });
});
