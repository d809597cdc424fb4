import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ACCESS_TOKEN, API_KEY, fakeClock, startFakeKite } from '../helpers/fake-kite.ts';
import { postGraphQL, startTestApp, subscribe } from '../helpers/test-app.ts';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) {
    await step();
  }
});

/** Tuesday 17 Nov 2026, 10:00 IST; the next day's session is where the Tuesday is read back. */
const TUESDAY_START = '2026-11-17T04:30:00Z';
const WEDNESDAY_NOON = '2026-11-18T06:30:00Z';
const STEP_MS = 30_000;
const INSTANTS = 8;
const OFFSETS = [-1, 0, 1] as const;

type LivePoint = {
  offset: number;
  strike: number;
  tp: number | null;
  avgTp: number | null;
  ce: number | null;
  pe: number | null;
  ceIv: number | null;
  peIv: number | null;
};
type LiveEvent = { time: string; expiry: string; spot: number; points: LivePoint[] };

describe('a day collected from Kite (through the fake), read back the next day', () => {
  it('serves the straddle it pushed live, from the compacted day, with the weekday profile built from it', async () => {
    const clock = fakeClock(TUESDAY_START);
    const fake = await startFakeKite({ now: clock.now, seed: 'kite-history' });
    cleanup.push(() => fake.close());
    const dataDir = mkdtempSync(join(tmpdir(), 'g6-kite-history-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const env = {
      G6_INDICES: 'NIFTY',
      G6_DATA_DIR: dataDir,
      G6_STRIKES_AROUND_ATM: '4',
      G6_PROFILE_BUCKET_SECONDS: '60',
      G6_PROFILE_MAX_OFFSET: '2',
      KITE_API_KEY: API_KEY,
      KITE_ACCESS_TOKEN: ACCESS_TOKEN,
      G6_KITE_ROOT: fake.restUrl,
      G6_KITE_TICKER_ROOT: fake.tickerUrl,
      G6_KITE_TICKER: 'false',
    };

    // Tuesday: the clock moves 30 s only once the subscriber has the event of the current instant, so
    // every stored snapshot is one it saw (repeats of an instant are stored once).
    const tuesday = await startTestApp(env, { now: clock.now, clockCheckMs: 20 });
    const live = new Map<string, LiveEvent>();
    try {
      const updates = subscribe<{ straddleUpdated: LiveEvent }>(
        tuesday.wsUrl,
        `subscription { straddleUpdated(index: NIFTY, expiryTag: THIS_WEEK, offsets: [${OFFSETS.join(', ')}]) {
          time expiry spot points { offset strike tp avgTp ce pe ceIv peIv } } }`,
      );
      try {
        while (live.size < INSTANTS) {
          const event = (await updates.next()).data!.straddleUpdated;
          if (Date.parse(event.time) !== clock.now().getTime()) {
            continue;
          }
          live.set(event.time, event);
          clock.set(new Date(clock.now().getTime() + STEP_MS).toISOString());
        }
      } finally {
        await updates.close();
      }
    } finally {
      await tuesday.stop();
    }
    expect(existsSync(join(dataDir, 'csv', 'NIFTY', '20261117', 'options.csv'))).toBe(true);
    const events = [...live.values()];
    expect(events.every((e) => e.points.map((p) => p.offset).join() === OFFSETS.join())).toBe(true);
    expect(events.flatMap((e) => e.points).every((p) => p.tp !== null && p.avgTp !== null && p.avgTp > 0)).toBe(true);

    // Wednesday: the server compacts the closed Tuesday and folds it into the Tuesday profile at start-up.
    clock.set(WEDNESDAY_NOON);
    const wednesday = await startTestApp(env, { now: clock.now, clockCheckMs: 20 });
    cleanup.push(() => wednesday.stop());
    const compacted = await wednesday.waitForLog((l) => l.msg === 'closed day compacted to parquet');
    expect(compacted).toMatchObject({ index: 'NIFTY', day: '20261117', status: 'compacted' });
    const folded = await wednesday.waitForLog((l) => l.msg === 'weekday profiles updated');
    expect(folded).toMatchObject({ index: 'NIFTY', days: 1 });
    expect(existsSync(join(dataDir, 'csv', 'NIFTY', '20261117', 'options.csv'))).toBe(false);

    const from = events[0]!.time;
    const to = events.at(-1)!.time;
    for (const offset of OFFSETS) {
      const result = await postGraphQL(
        wednesday.httpUrl,
        `query($from: DateTime!, $to: DateTime!, $offset: Int!) {
          straddle(index: NIFTY, expiryTag: THIS_WEEK, offset: $offset, from: $from, to: $to) {
            time expiry strike spot tp avgTp ce pe ceIv peIv profileMean avgTpProfileMean zScore } }`,
        { from, to, offset },
      );
      expect(result.errors).toBeUndefined();
      const stored = result.data!.straddle as Array<Record<string, number | string | null>>;
      expect(stored.map((p) => p.time)).toEqual(events.map((e) => e.time));
      stored.forEach((point, i) => {
        const event = events[i]!;
        const leg = event.points.find((p) => p.offset === offset)!;
        expect([point.expiry, point.strike, point.ce, point.pe]).toEqual([event.expiry, leg.strike, leg.ce, leg.pe]);
        expect(point.spot).toBeCloseTo(event.spot, 9);
        expect(point.tp).toBeCloseTo(leg.tp!, 9);
        expect(point.avgTp).toBeCloseTo(leg.avgTp!, 9);
        expect(point.ceIv).toBeCloseTo(leg.ceIv!, 6);
        expect(point.peIv).toBeCloseTo(leg.peIv!, 6);
        // One Tuesday stored: the profile of a minute is that day's last snapshot in it (at :30), no z-score.
        const lastOfMinute = events[i | 1]!.points.find((p) => p.offset === offset)!;
        expect(point.profileMean).toBeCloseTo(lastOfMinute.tp!, 9);
        expect(point.avgTpProfileMean).toBeCloseTo(lastOfMinute.avgTp!, 9);
        expect(point.zScore).toBeNull();
      });
    }

    const profile = await postGraphQL(
      wednesday.httpUrl,
      `{ weekdayProfile(index: NIFTY, expiryTag: THIS_WEEK, offset: 0, weekday: TUESDAY) {
          days bucketSeconds points { timeOfDay days tpMean tpStdDev avgTpMean ceIvMean } } }`,
    );
    expect(profile.errors).toBeUndefined();
    const served = profile.data!.weekdayProfile as {
      days: string[];
      bucketSeconds: number;
      points: Array<{
        timeOfDay: string;
        days: number;
        tpMean: number;
        tpStdDev: number | null;
        avgTpMean: number;
        ceIvMean: number;
      }>;
    };
    expect(served.days).toEqual(['2026-11-17']);
    expect(served.bucketSeconds).toBe(60);
    // 10:00:00 … 10:03:30 IST: four minutes, each holding the snapshot at :30 as its last.
    const lastOfEachMinute = events.filter((_, i) => i % 2 === 1);
    expect(served.points.map((p) => p.timeOfDay)).toEqual(['10:00:00', '10:01:00', '10:02:00', '10:03:00']);
    served.points.forEach((point, i) => {
      const atm = lastOfEachMinute[i]!.points.find((p) => p.offset === 0)!;
      expect(point.days).toBe(1);
      expect(point.tpStdDev).toBeNull();
      expect(point.tpMean).toBeCloseTo(atm.tp!, 9);
      expect(point.avgTpMean).toBeCloseTo(atm.avgTp!, 9);
      expect(point.ceIvMean).toBeCloseTo(atm.ceIv!, 6);
    });
  });
});
