import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndexSnapshot, tradingDayOf } from '../../src/collectors/collect-once.ts';
import { DayBaselines } from '../../src/collectors/day-baselines.ts';
import type { IndexSnapshot } from '../../src/domain/snapshot.ts';
import { parseCsvLine } from '../../src/sinks/csv-format.ts';
import { createCsvSink } from '../../src/sinks/csv-sink.ts';
import { createTestMarket, testSettings } from '../helpers/simulated-snapshots.ts';
import { postGraphQL, startTestApp, subscribe, TEST_APP_START, type TestApp } from '../helpers/test-app.ts';

const DAY_MS = 86_400_000;
let dataDir: string;
let app: TestApp;
const stored: IndexSnapshot[] = [];
/** options.csv of the stored day, read before the server starts (it compacts closed days to Parquet). */
let optionsCsv: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'g6-straddle-'));
  // Yesterday (IST) from 09:30 IST, 60 snapshots 30 s apart: the market moves, so ATM moves too.
  const start = Math.floor(Date.parse(TEST_APP_START) / DAY_MS) * DAY_MS - DAY_MS + 4 * 3_600_000;
  const market = createTestMarket('NIFTY', 'straddle-day');
  const baselines = new DayBaselines();
  for (let i = 0; i < 60; i++) {
    const data = market.advance(new Date(start + i * 30_000));
    stored.push(
      buildIndexSnapshot(
        data,
        i + 1,
        testSettings({ strikesAroundAtm: 6 }),
        baselines.observe(data, tradingDayOf(testSettings(), data)),
      ),
    );
  }
  const sink = createCsvSink({ dataDir });
  for (const snapshot of stored) {
    await sink.write(snapshot);
  }
  await sink.close();
  const dir = join(dataDir, 'csv', 'NIFTY');
  optionsCsv = readFileSync(join(dir, readdirSync(dir).sort()[0]!, 'options.csv'), 'utf8');
  app = await startTestApp({ G6_DATA_DIR: dataDir, G6_INDICES: 'NIFTY', G6_STRIKES_AROUND_ATM: '6' });
  await app.waitForLog((l) => l.msg === 'collected');
});

afterAll(async () => {
  await app?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The straddle at `offset` per stored snapshot, computed from options.csv by hand: pair CE and PE by time and offset. */
function straddleFromCsv(tag: string, offset: number) {
  const [header, ...lines] = optionsCsv.trimEnd().split('\n');
  const columns = parseCsvLine(header!);
  const at = (cells: string[], name: string) => cells[columns.indexOf(name)]!;
  const byTime = new Map<string, { strike: number; ce?: number; pe?: number; ceAvg?: number; peAvg?: number }>();
  for (const line of lines) {
    const cells = parseCsvLine(line);
    if (Number(at(cells, 'offset')) !== offset || !at(cells, 'expiry_tags').split('|').includes(tag)) {
      continue;
    }
    const point = byTime.get(at(cells, 'timestamp')) ?? { strike: Number(at(cells, 'strike')) };
    const side = at(cells, 'option_type') === 'CE' ? 'ce' : 'pe';
    point[side] = Number(at(cells, 'last_price'));
    point[`${side}Avg`] = Number(at(cells, 'average_price'));
    byTime.set(at(cells, 'timestamp'), point);
  }
  return [...byTime].sort(([a], [b]) => a.localeCompare(b));
}

const STRADDLE = `query($from: DateTime!, $to: DateTime!, $offset: Int, $tag: ExpiryTag, $interval: Int) {
  straddle(index: NIFTY, expiryTag: $tag, offset: $offset, from: $from, to: $to, intervalSeconds: $interval) {
    time expiry strike offset spot tp avgTp ce pe ceAverage peAverage ceIv peIv
  }
}`;

describe('straddle series', () => {
  it('the stored ATM and ATM+1 straddles equal CE + PE paired by hand from options.csv, the strike following ATM', async () => {
    const from = stored[0]!.observedAt.toISOString();
    const to = stored.at(-1)!.observedAt.toISOString();
    for (const [tag, offset] of [
      ['THIS_WEEK', 0],
      ['NEXT_WEEK', 1],
    ] as const) {
      const result = await postGraphQL(app.httpUrl, STRADDLE, { from, to, offset, tag });
      expect(result.errors).toBeUndefined();
      const points = result.data!.straddle as Array<Record<string, number | string | null>>;
      const expected = straddleFromCsv(tag, offset);
      expect(points).toHaveLength(stored.length);
      expect(points.map((p) => p.time)).toEqual(expected.map(([time]) => time));
      points.forEach((p, i) => {
        const [, e] = expected[i]!;
        expect([p.strike, p.offset, p.ce, p.pe]).toEqual([e.strike, offset, e.ce, e.pe]);
        expect(p.tp).toBeCloseTo(e.ce! + e.pe!, 9);
        expect(p.avgTp).toBeCloseTo(e.ceAvg! + e.peAvg!, 9);
      });
      // The ATM strike moves with the market over the stored session: the series follows it.
      if (offset === 0) {
        const chainOf = (s: IndexSnapshot) => s.chains.find((c) => c.expiryTags.includes(tag))!;
        expect(points.map((p) => p.strike)).toEqual(stored.map((s) => chainOf(s).summary.atmStrike));
        expect(new Set(points.map((p) => p.strike)).size).toBeGreaterThan(1);
      }
    }
  });

  it('downsamples to the last point of each interval and refuses bad ranges with codes', async () => {
    const from = stored[0]!.observedAt.toISOString();
    const to = stored.at(-1)!.observedAt.toISOString();
    const all = (await postGraphQL(app.httpUrl, STRADDLE, { from, to })).data!.straddle as Array<{ time: string }>;
    const five = (await postGraphQL(app.httpUrl, STRADDLE, { from, to, interval: 300 })).data!.straddle as Array<{
      time: string;
    }>;
    const bucket = (iso: string) => Math.floor((Date.parse(iso) + 19_800_000) / 300_000);
    const lastOfEach = all.filter((p, i) => i === all.length - 1 || bucket(all[i + 1]!.time) !== bucket(p.time));
    expect(five.map((p) => p.time)).toEqual(lastOfEach.map((p) => p.time));
    const reversed = await postGraphQL(app.httpUrl, STRADDLE, { from: to, to: from });
    expect(reversed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const both = await postGraphQL(
      app.httpUrl,
      `{ straddle(index: NIFTY, expiry: "2026-12-08", expiryTag: THIS_WEEK, from: "${from}", to: "${to}") { tp } }`,
    );
    expect(both.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('straddleUpdated sends every requested offset of the live chain in one event per snapshot', async () => {
    const subscription = subscribe<{
      straddleUpdated: {
        seq: number;
        expiryTags: string[];
        points: Array<{ offset: number; strike: number; tp: number | null; ce: number | null; pe: number | null }>;
      };
    }>(
      app.wsUrl,
      'subscription { straddleUpdated(index: NIFTY, expiryTag: THIS_WEEK, offsets: [-1, 0, 1]) { seq expiryTags points { offset strike tp ce pe } } }',
    );
    try {
      const first = (await subscription.next()).data!.straddleUpdated;
      const second = (await subscription.next()).data!.straddleUpdated;
      expect(second.seq).toBeGreaterThan(first.seq);
      for (const event of [first, second]) {
        expect(event.expiryTags).toContain('THIS_WEEK');
        expect(event.points.map((p) => p.offset)).toEqual([-1, 0, 1]);
        const strikes = event.points.map((p) => p.strike);
        expect(strikes[0]! < strikes[1]! && strikes[1]! < strikes[2]!).toBe(true);
      }
      const legs = [...first.points, ...second.points].filter((p) => p.ce !== null && p.pe !== null);
      expect(legs.length).toBeGreaterThan(0);
      for (const p of legs) {
        expect(p.tp).toBeCloseTo(p.ce! + p.pe!, 9);
      }
      const bad = subscribe(app.wsUrl, 'subscription { straddleUpdated(index: NIFTY, offsets: [900]) { seq } }');
      const refused = await bad.next().catch((errors: unknown) => ({ errors }));
      expect(JSON.stringify(refused)).toContain('BAD_USER_INPUT');
      await bad.close();
    } finally {
      await subscription.close();
    }
  });

  it('contractHistory by expiryTag rolls with the tag: the stored rows of the contract whose expiry carried it', async () => {
    const chain = stored[0]!.chains.find((c) => c.expiryTags.includes('THIS_WEEK'))!;
    const strike = chain.summary.atmStrike;
    const from = stored[0]!.observedAt.toISOString();
    const to = stored.at(-1)!.observedAt.toISOString();
    const result = await postGraphQL(
      app.httpUrl,
      `{ contractHistory(index: NIFTY, expiryTag: THIS_WEEK, strike: ${strike}, right: CE, from: "${from}", to: "${to}", first: 1000) {
          totalCount edges { node { timestamp expiry strike lastPrice } } } }`,
    );
    expect(result.errors).toBeUndefined();
    const [header, ...lines] = optionsCsv.trimEnd().split('\n');
    const columns = parseCsvLine(header!);
    const at = (cells: string[], name: string) => cells[columns.indexOf(name)]!;
    const expected = lines
      .map(parseCsvLine)
      .filter(
        (c) =>
          Number(at(c, 'strike')) === strike &&
          at(c, 'option_type') === 'CE' &&
          at(c, 'expiry_tags').split('|').includes('THIS_WEEK'),
      )
      .map((c) => ({
        timestamp: at(c, 'timestamp'),
        expiry: at(c, 'expiry'),
        strike,
        lastPrice: Number(at(c, 'last_price')),
      }));
    const history = result.data!.contractHistory as { totalCount: number; edges: Array<{ node: unknown }> };
    expect(history.totalCount).toBe(stored.length);
    expect(history.edges.map((e) => e.node)).toEqual(expected);
    const missing = await postGraphQL(
      app.httpUrl,
      `{ contractHistory(index: NIFTY, expiryTag: THIS_WEEK, from: "${from}", to: "${to}") { totalCount } }`,
    );
    expect(missing.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
