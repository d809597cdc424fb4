import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { buildIndexSnapshot, tradingDayOf } from '../../src/collectors/collect-once.ts';
import { DayBaselines } from '../../src/collectors/day-baselines.ts';
import type { IndexSnapshot } from '../../src/domain/snapshot.ts';
import { createCsvSink } from '../../src/sinks/csv-sink.ts';
import { lockDataDir } from '../../src/sinks/data-dir-lock.ts';
import { TEST_RUN_VARIABLE } from '../helpers/leftovers.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { runToEnd } from '../helpers/run-to-end.ts';
import { createTestMarket, testSettings } from '../helpers/simulated-snapshots.ts';
import { postGraphQL, startTestApp, TEST_APP_START } from '../helpers/test-app.ts';

const DAY_MS = 86_400_000;
let dataDir: string;
const stored: IndexSnapshot[] = [];
const dayStarts: number[] = [];

async function storeDays(dir: string, keep: boolean) {
  const today = Math.floor(Date.parse(TEST_APP_START) / DAY_MS) * DAY_MS;
  const sink = createCsvSink({ dataDir: dir });
  for (const daysAgo of [2, 1]) {
    const start = today - daysAgo * DAY_MS + 4 * 3_600_000;
    if (keep) {
      dayStarts.push(start);
    }
    const market = createTestMarket('NIFTY', `compaction-${daysAgo}`);
    const baselines = new DayBaselines();
    for (let i = 0; i < 30; i++) {
      const data = market.advance(new Date(start + i * 30_000));
      const snapshot = buildIndexSnapshot(
        data,
        i + 1,
        testSettings({ strikesAroundAtm: 5 }),
        baselines.observe(data, tradingDayOf(testSettings(), data)),
      );
      if (keep) {
        stored.push(snapshot);
      }
      await sink.write(snapshot);
    }
  }
  await sink.close();
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'g6-compaction-app-'));
  await storeDays(dataDir, true);
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Everything a client reads from the stored days: overview history, one contract, the straddle, IV rank. */
async function readHistory(httpUrl: string) {
  const from = new Date(dayStarts[0]!).toISOString();
  const to = new Date(dayStarts[1]! + 30 * 30_000).toISOString();
  const contract = stored.at(-1)!.chains[0]!.strikes.find((s) => s.offset === 0)!.call!.quote.tradingsymbol;
  const result = await postGraphQL(
    httpUrl,
    `query($from: DateTime!, $to: DateTime!, $symbol: String!) {
      history(index: NIFTY, from: $from, to: $to, first: 1000) { totalCount edges { node { timestamp expiry spot atmIv pcrOi expiryTags spotOpen } } }
      contractHistory(tradingsymbol: $symbol, from: $from, to: $to, first: 1000) { totalCount edges { node { timestamp lastPrice averagePrice iv offset oi } } }
      greeks: contractHistory(tradingsymbol: $symbol, from: $from, to: $to, first: 1000) { edges { node { timestamp delta gamma vegaPerVolPoint expiryTags strike } } }
      straddle(index: NIFTY, expiryTag: THIS_WEEK, offset: 0, from: $from, to: $to) { time strike tp avgTp }
      overview(index: NIFTY) { ivHistoryDays }
    }`,
    { from, to, symbol: contract },
  );
  expect(result.errors).toBeUndefined();
  return result.data!;
}

describe('compaction of closed days in the running server', () => {
  it('turns each closed CSV day into Parquet and serves the same history from it', async () => {
    const before = await startTestApp({
      G6_DATA_DIR: dataDir,
      G6_INDICES: 'NIFTY',
      G6_COMPACTION: 'false',
      G6_STRIKES_AROUND_ATM: '5',
    });
    const fromCsv = await readHistory(before.httpUrl);
    await before.app.stop();
    expect((fromCsv.history as { totalCount: number }).totalCount).toBe(60);
    expect((fromCsv.straddle as unknown[]).length).toBe(60);

    const after = await startTestApp({ G6_DATA_DIR: dataDir, G6_INDICES: 'NIFTY', G6_STRIKES_AROUND_ATM: '5' });
    try {
      const days = new Set<string>();
      while (days.size < 2) {
        const line = await after.waitForLog(
          (l) => l.msg === 'closed day compacted to parquet' && !days.has(l.day as string),
        );
        expect(line).toMatchObject({ index: 'NIFTY', status: 'compacted' });
        expect(line.csvBytes as number).toBeGreaterThan(5 * (line.parquetBytes as number));
        days.add(line.day as string);
      }
      for (const day of days) {
        const names = readdirSync(join(dataDir, 'csv', 'NIFTY', day));
        expect(names).toContain('compacted.json');
        expect(names.filter((n) => /\.csv(\.gz)?$/.test(n))).toEqual([]);
      }
      // Then the month an overview chart opens on is decoded before anyone asks: both closed days.
      expect(await after.waitForLog((l) => l.msg === 'overview series warmed')).toMatchObject({
        index: 'NIFTY',
        days: 2,
      });
      // Today's day (the running collection's) stays CSV.
      await after.waitForLog((l) => l.msg === 'collected');
      const todayDirs = readdirSync(join(dataDir, 'csv', 'NIFTY')).filter((d) => !days.has(d));
      expect(todayDirs.every((d) => !existsSync(join(dataDir, 'csv', 'NIFTY', d, 'compacted.json')))).toBe(true);
      expect(await readHistory(after.httpUrl)).toEqual(fromCsv);

      // An API replica reading this store warms the same days at its own start.
      const redis = await startRedis();
      onTestFinished(() => redis.stop());
      const replica = await startTestApp({
        G6_ROLE: 'api',
        G6_REDIS_URL: redis.url,
        G6_DATA_DIR: dataDir,
        G6_INDICES: 'NIFTY',
      });
      try {
        expect(await replica.waitForLog((l) => l.msg === 'overview series warmed')).toMatchObject({
          index: 'NIFTY',
          days: 2,
        });
        const from = new Date(dayStarts[0]!).toISOString();
        const to = new Date(dayStarts[1]! + 30 * 30_000).toISOString();
        const served = await postGraphQL(
          replica.httpUrl,
          `query($from: DateTime!, $to: DateTime!) {
            history(index: NIFTY, from: $from, to: $to, first: 1000) { totalCount edges { node { timestamp expiry spot atmIv pcrOi expiryTags spotOpen } } }
          }`,
          { from, to },
        );
        expect(served.errors).toBeUndefined();
        expect(served.data!.history).toEqual(fromCsv.history);
      } finally {
        await replica.app.stop();
      }
    } finally {
      await after.app.stop();
    }
  });

  it('`g6 compact` compacts the closed days of a store no server runs on, once, and waits for no lock', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'g6-compact-cli-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    await storeDays(dir, false);
    const env = {
      PATH: process.env.PATH ?? '',
      [TEST_RUN_VARIABLE]: process.env[TEST_RUN_VARIABLE] ?? '',
      G6_DATA_DIR: dir,
      G6_INDICES: 'NIFTY',
    };
    const compact = () => runToEnd(process.execPath, ['dist/main.js', 'compact'], { env, timeoutMs: 120_000 }).finished;
    const first = await compact();
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^NIFTY\s+2 days compacted \(\d{8}…\d{8}\)$/m);
    for (const day of readdirSync(join(dir, 'csv', 'NIFTY'))) {
      expect(readdirSync(join(dir, 'csv', 'NIFTY', day))).toContain('compacted.json');
    }
    const again = await compact();
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^NIFTY\s+0 days compacted$/m);
    const lock = await lockDataDir(dir, { role: 'test', startedAt: new Date(0), onCompromised: () => undefined });
    try {
      const held = await compact();
      expect(held.code).toBe(2);
      expect(held.stderr).toMatch(/test/);
    } finally {
      await lock.release();
    }
  });
});
