import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { buildIndexSnapshot, tradingDayOf } from '../../src/collectors/collect-once.ts';
import { DayBaselines } from '../../src/collectors/day-baselines.ts';
import { createCsvHistory } from '../../src/history/csv-history.ts';
import { createProfileStore, type ProfileSettings } from '../../src/history/profile-store.ts';
import { createLogger } from '../../src/logger.ts';
import { schema } from '../../src/schema/index.ts';
import { createServer, type G6Server } from '../../src/server/create-server.ts';
import { parseCsvLine } from '../../src/sinks/csv-format.ts';
import { createCsvSink } from '../../src/sinks/csv-sink.ts';
import { createSnapshotPubSub } from '../../src/store/snapshot-pubsub.ts';
import { createSnapshotStore } from '../../src/store/snapshot-store.ts';
import { TEST_RUN_VARIABLE } from '../helpers/leftovers.ts';
import { runToEnd } from '../helpers/run-to-end.ts';
import { createTestMarket, testSettings } from '../helpers/simulated-snapshots.ts';
import { postGraphQL, startTestApp } from '../helpers/test-app.ts';
import { createTestContextFactory } from '../helpers/test-context.ts';

/** Four Tuesdays and a Wednesday, 24 snapshots 30 s apart from 09:30 IST; 60 s buckets hold two each. */
const TUESDAYS = ['2026-11-03', '2026-11-10', '2026-11-17', '2026-11-24'];
const WEDNESDAY = '2026-11-25';
const SETTINGS: ProfileSettings = { bucketSeconds: 60, alpha: 0.5, maxOffset: 2 };
let dataDir: string;

async function storeDays(dir: string, days: readonly string[]) {
  const sink = createCsvSink({ dataDir: dir });
  for (const day of days) {
    const market = createTestMarket('NIFTY', `profile-${day}`);
    const baselines = new DayBaselines();
    const start = Date.parse(`${day}T04:00:00Z`);
    for (let i = 0; i < 24; i++) {
      const data = market.advance(new Date(start + i * 30_000));
      await sink.write(
        buildIndexSnapshot(
          data,
          i + 1,
          testSettings({ strikesAroundAtm: 4 }),
          baselines.observe(data, tradingDayOf(testSettings(), data)),
        ),
      );
    }
  }
  await sink.close();
}

/**
 * The THIS_WEEK ATM+1 profile of Tuesdays computed by hand from options.csv: per day and 60 s bucket, CE + PE
 * last price at the bucket's last snapshot; then mean, sample sd and EMA (α 0.5) over the days in order.
 */
function profileByHand(dir: string, tag: string, offset: number) {
  const perBucket = new Map<number, number[]>();
  const root = join(dir, 'csv', 'NIFTY');
  for (const day of readdirSync(root).sort()) {
    if (new Date(`${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6)}T00:00:00Z`).getUTCDay() !== 2) {
      continue;
    }
    const [header, ...lines] = readFileSync(join(root, day, 'options.csv'), 'utf8')
      .trimEnd()
      .split('\n');
    const cols = parseCsvLine(header!);
    const last = new Map<number, { time: number; ce?: number; pe?: number }>();
    for (const line of lines) {
      const c = parseCsvLine(line);
      const get = (name: string) => c[cols.indexOf(name)]!;
      if (Number(get('offset')) !== offset || !get('expiry_tags').split('|').includes(tag)) {
        continue;
      }
      const time = Date.parse(get('timestamp'));
      const secondOfDay = Math.floor(((time + 19_800_000) % 86_400_000) / 1000);
      const bucket = secondOfDay - (secondOfDay % 60);
      const entry = last.get(bucket);
      const target = entry === undefined || time > entry.time ? { time } : entry;
      if (time < target.time) {
        continue;
      }
      target[get('option_type') === 'CE' ? 'ce' : 'pe'] = Number(get('last_price'));
      last.set(bucket, target);
    }
    for (const [bucket, { ce, pe }] of last) {
      perBucket.set(bucket, [...(perBucket.get(bucket) ?? []), ce! + pe!]);
    }
  }
  return new Map(
    [...perBucket].map(([bucket, xs]) => {
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
      const ema = xs.slice(1).reduce((e, x) => 0.5 * x + 0.5 * e, xs[0]!);
      return [bucket, { n: xs.length, mean, sd, ema }];
    }),
  );
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'g6-profiles-'));
  await storeDays(dataDir, [...TUESDAYS, WEDNESDAY]);
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('weekday profiles', () => {
  it('equal mean, sd and EMA computed by hand from the stored Tuesdays', async () => {
    const store = createProfileStore({ dataDir, source: createCsvHistory({ dataDir }), settings: SETTINGS });
    const update = await store.update('NIFTY', '20261130');
    expect(update.folded).toEqual(['20261103', '20261110', '20261117', '20261124', '20261125']);
    for (const [tag, offset] of [
      ['THIS_WEEK', 1],
      ['NEXT_WEEK', -2],
    ] as const) {
      const profile = (await store.profile('NIFTY', tag, offset, 'TUESDAY'))!;
      expect(profile.days).toEqual(['20261103', '20261110', '20261117', '20261124']);
      const expected = profileByHand(dataDir, tag, offset);
      expect([...profile.buckets.keys()].sort((a, b) => a - b)).toEqual([...expected.keys()].sort((a, b) => a - b));
      expect(expected.size).toBe(12);
      for (const [bucket, e] of expected) {
        const tp = profile.buckets.get(bucket)!.stats.tp!;
        expect(tp.n).toBe(e.n);
        expect(tp.mean).toBeCloseTo(e.mean, 9);
        expect(tp.ema).toBeCloseTo(e.ema, 9);
        expect(Math.sqrt(tp.m2 / (tp.n - 1))).toBeCloseTo(e.sd, 9);
      }
    }
    expect((await store.profile('NIFTY', 'THIS_WEEK', 0, 'WEDNESDAY'))!.days).toEqual(['20261125']);
  });

  it('folds a new day incrementally to the same result as a rebuild, and rebuilds a weekday when an older day arrives', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'g6-profiles-inc-'));
    try {
      await storeDays(dir, TUESDAYS.slice(1, 3));
      const store = createProfileStore({
        dataDir: dir,
        source: createCsvHistory({ dataDir: dir }),
        settings: SETTINGS,
      });
      expect((await store.update('NIFTY', '20261130')).rebuilt).toEqual([]);
      await storeDays(dir, [TUESDAYS[3]!]);
      const newer = await store.update('NIFTY', '20261130');
      expect(newer).toMatchObject({ folded: ['20261124'], rebuilt: [] });
      await storeDays(dir, [TUESDAYS[0]!]);
      const older = await store.update('NIFTY', '20261130');
      expect(older.rebuilt).toEqual(['TUESDAY']);
      expect(older.folded).toEqual(['20261103', '20261110', '20261117', '20261124']);
      expect(await store.update('NIFTY', '20261130')).toMatchObject({ folded: [], rebuilt: [] });
      const incremental = await store.profile('NIFTY', 'THIS_WEEK', 1, 'TUESDAY');
      const rebuiltStore = createProfileStore({ dataDir, source: createCsvHistory({ dataDir }), settings: SETTINGS });
      await rebuiltStore.rebuild('NIFTY', '20261124');
      const full = await rebuiltStore.profile('NIFTY', 'THIS_WEEK', 1, 'TUESDAY');
      expect(incremental).toEqual(full);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('over GraphQL', () => {
    let server: G6Server;
    beforeAll(async () => {
      const history = createCsvHistory({ dataDir });
      const profiles = createProfileStore({ dataDir, source: history, settings: SETTINGS });
      await profiles.update('NIFTY', '20261130');
      server = createServer({
        schema,
        createContext: createTestContextFactory({
          store: createSnapshotStore(),
          pubsub: createSnapshotPubSub(),
          indices: ['NIFTY'],
          startIso: '2026-12-01T05:00:00Z',
          history,
          profiles,
        }),
        logger: createLogger({ logLevel: 'silent' as never, logFormat: 'json' }),
        registry: null,
        health: () => ({
          ready: true,
          status: 'HEALTHY',
          problems: [],
          degraded: false,
          marketOpen: true,
          components: [],
        }),
      });
    });
    afterAll(async () => server.stop());
    const post = async (query: string) =>
      (await (
        await server.fetch('/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ query }),
        })
      ).json()) as {
        // biome-ignore lint/suspicious/noExplicitAny: the response shape is asserted field by field below
        data?: Record<string, any>;
        errors?: Array<{ extensions: { code: string } }>;
      };

    it('serves weekdayProfile and overlays it on the straddle series with a z-score', async () => {
      const expected = profileByHand(dataDir, 'THIS_WEEK', 1);
      const { data, errors } = await post(
        '{ weekdayProfile(index: NIFTY, expiryTag: THIS_WEEK, offset: 1, weekday: TUESDAY) { days bucketSeconds alpha points { timeOfDay secondOfDay days tpMean tpStdDev tpEma avgTpMean } } }',
      );
      expect(errors).toBeUndefined();
      const profile = data!.weekdayProfile;
      expect(profile.days).toEqual(TUESDAYS);
      expect(profile.points[0].timeOfDay).toBe('09:30:00');
      for (const point of profile.points) {
        const e = expected.get(point.secondOfDay)!;
        expect([point.days, point.tpMean, point.tpEma]).toEqual([
          e.n,
          expect.closeTo(e.mean, 9),
          expect.closeTo(e.ema, 9),
        ]);
        expect(point.tpStdDev).toBeCloseTo(e.sd, 9);
        expect(point.avgTpMean).toBeGreaterThan(0);
      }
      const straddle = await post(
        `{ straddle(index: NIFTY, expiryTag: THIS_WEEK, offset: 1, from: "2026-11-24T03:30:00Z", to: "2026-11-24T10:00:00Z") { time tp profileMean profileEma zScore avgTpProfileMean } }`,
      );
      expect(straddle.errors).toBeUndefined();
      const points = straddle.data!.straddle as Array<{
        time: string;
        tp: number;
        profileMean: number;
        zScore: number;
      }>;
      expect(points).toHaveLength(24);
      for (const p of points) {
        const second = Math.floor(((Date.parse(p.time) + 19_800_000) % 86_400_000) / 1000);
        const e = expected.get(second - (second % 60))!;
        expect(p.profileMean).toBeCloseTo(e.mean, 9);
        expect(p.zScore).toBeCloseTo((p.tp - e.mean) / e.sd, 9);
      }
      const none = await post(
        '{ weekdayProfile(index: NIFTY, expiryTag: THIS_WEEK, offset: 0, weekday: FRIDAY) { days } }',
      );
      expect(none.data!.weekdayProfile).toBeNull();
      const bad = await post(
        '{ weekdayProfile(index: NIFTY, expiryTag: THIS_WEEK, offset: 900, weekday: FRIDAY) { days } }',
      );
      expect(bad.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    });
  });

  it('`g6 profiles rebuild` folds the stored days with the configured settings; bad arguments exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'g6-profiles-cli-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    await storeDays(dir, TUESDAYS.slice(0, 2));
    const env = {
      PATH: process.env.PATH ?? '',
      [TEST_RUN_VARIABLE]: process.env[TEST_RUN_VARIABLE] ?? '',
      G6_DATA_DIR: dir,
      G6_INDICES: 'NIFTY',
      G6_PROFILE_BUCKET_SECONDS: '60',
      G6_PROFILE_MAX_OFFSET: '2',
    };
    const run = runToEnd(
      process.execPath,
      ['dist/main.js', 'profiles', 'rebuild', '--through', '2026-11-30', '--json'],
      {
        env,
        timeoutMs: 60_000,
      },
    );
    onTestFinished(() => {
      run.child.kill('SIGKILL');
    });
    const done = await run.finished;
    expect(done.code).toBe(0);
    const report = JSON.parse(done.stdout) as {
      settings: object;
      indices: Array<{ folded: number; first: string; last: string }>;
    };
    expect(report.settings).toEqual({ alpha: 0.5, bucketSeconds: 60, maxOffset: 2 });
    expect(report.indices[0]).toMatchObject({ folded: 2, first: '20261103', last: '20261110' });
    const store = createProfileStore({ dataDir: dir, source: createCsvHistory({ dataDir: dir }), settings: SETTINGS });
    expect((await store.profile('NIFTY', 'THIS_WEEK', 1, 'TUESDAY'))!.days).toEqual(['20261103', '20261110']);
    const bad = await runToEnd(process.execPath, ['dist/main.js', 'profiles', 'rebuild', '--through', 'yesterday'], {
      env,
      timeoutMs: 60_000,
    }).finished;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--through');
  });

  it('the running server folds the closed stored days in the background and serves the profile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'g6-profiles-app-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    await storeDays(dir, TUESDAYS.slice(2));
    const app = await startTestApp({
      G6_DATA_DIR: dir,
      G6_INDICES: 'NIFTY',
      G6_PROFILE_BUCKET_SECONDS: '60',
      G6_PROFILE_MAX_OFFSET: '2',
    });
    onTestFinished(() => app.stop());
    const logged = await app.waitForLog((l) => l.msg === 'weekday profiles updated');
    expect(logged).toMatchObject({ index: 'NIFTY', days: 2 });
    const { data, errors } = await postGraphQL(
      app.httpUrl,
      '{ weekdayProfile(index: NIFTY, expiryTag: THIS_WEEK, offset: 1, weekday: TUESDAY) { days bucketSeconds points { days } } }',
    );
    expect(errors).toBeUndefined();
    expect(data!.weekdayProfile).toMatchObject({ days: TUESDAYS.slice(2), bucketSeconds: 60 });
  });
});
