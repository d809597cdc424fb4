import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { constantMaturityIv, IV30_YEARS, ivPercentile, ivRank } from '../../src/analytics/iv-rank.ts';
import { buildIndexSnapshot, tradingDayOf } from '../../src/collectors/collect-once.ts';
import { DayBaselines } from '../../src/collectors/day-baselines.ts';
import type { IndexSnapshot } from '../../src/domain/snapshot.ts';
import { createCsvHistory } from '../../src/history/csv-history.ts';
import { createHistoryLoaders } from '../../src/schema/history-loaders.ts';
import { createCsvSink } from '../../src/sinks/csv-sink.ts';
import { createTestMarket, testSettings } from '../helpers/simulated-snapshots.ts';
import { postGraphQL, startTestApp, TEST_APP_START, type TestApp } from '../helpers/test-app.ts';

const DAY_MS = 86_400_000;
/** Stored NIFTY days: the two days before today (IST), 40 snapshots each, 30 s apart from 09:30 IST. */
let dataDir: string;
let app: TestApp;
const stored: IndexSnapshot[][] = [];

function sessionSnapshots(dayStartUtcMs: number, count: number): IndexSnapshot[] {
  const market = createTestMarket('NIFTY', `day-${dayStartUtcMs}`);
  const baselines = new DayBaselines();
  return Array.from({ length: count }, (_, i) => {
    const data = market.advance(new Date(dayStartUtcMs + i * 30_000));
    return buildIndexSnapshot(
      data,
      i + 1,
      testSettings({ strikesAroundAtm: 8 }),
      baselines.observe(data, tradingDayOf(testSettings(), data)),
    );
  });
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'g6-history-'));
  // 04:00 UTC is 09:30 IST.
  // The test app's day (TEST_APP_START, a Wednesday): the stored days are Monday and Tuesday.
  const todayUtcMidnight = Math.floor(Date.parse(TEST_APP_START) / DAY_MS) * DAY_MS;
  for (const daysAgo of [2, 1]) {
    stored.push(sessionSnapshots(todayUtcMidnight - daysAgo * DAY_MS + 4 * 3_600_000, 40));
  }
  const sink = createCsvSink({ dataDir });
  for (const snapshot of stored.flat()) {
    await sink.write(snapshot);
  }
  await sink.close();
  app = await startTestApp({ G6_DATA_DIR: dataDir, G6_INDICES: 'NIFTY', G6_STRIKES_AROUND_ATM: '8' });
  await app.waitForLog((l) => l.msg === 'collected');
});

afterAll(async () => {
  await app?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const HISTORY = `query($from: DateTime!, $to: DateTime!, $expiry: Date, $interval: Int, $first: Int, $after: String) {
  history(index: NIFTY, expiry: $expiry, from: $from, to: $to, intervalSeconds: $interval, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { timestamp expiry samples spot pcrOi maxPainStrike atmIv sentimentScore } }
  }
}`;

describe('history from the CSV store', () => {
  it('returns a day of stored overview rows, page by page, equal to what was collected', async () => {
    const day = stored[1]!;
    const from = day[0]!.observedAt.toISOString();
    const to = day.at(-1)!.observedAt.toISOString();
    const nodes: Array<Record<string, unknown>> = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page = await postGraphQL(app.httpUrl, HISTORY, { from, to, first: 15, after });
      expect(page.errors).toBeUndefined();
      const history = page.data!.history as {
        totalCount: number;
        pageInfo: { hasNextPage: boolean; endCursor: string };
        edges: Array<{ node: Record<string, unknown> }>;
      };
      expect(history.totalCount).toBe(day.length);
      nodes.push(...history.edges.map((e) => e.node));
      pages += 1;
      if (!history.pageInfo.hasNextPage) {
        break;
      }
      after = history.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    // Without an expiry: each snapshot's nearest expiry.
    expect(nodes).toEqual(
      day.map((s) => {
        const c = s.chains[0]!;
        return {
          timestamp: s.observedAt.toISOString(),
          expiry: c.expiry,
          samples: 1,
          spot: s.spot,
          pcrOi: c.summary.pcrOi,
          maxPainStrike: c.summary.maxPainStrike,
          atmIv: c.summary.atmIv,
          sentimentScore: c.summary.sentimentScore,
        };
      }),
    );
  });

  it('downsamples to the last snapshot of each interval and follows one expiry', async () => {
    const day = stored[0]!;
    const expiry = day[0]!.chains[1]!.expiry;
    const result = await postGraphQL(app.httpUrl, HISTORY, {
      from: day[0]!.observedAt.toISOString(),
      to: day.at(-1)!.observedAt.toISOString(),
      expiry,
      interval: 300,
    });
    const edges = (result.data!.history as { edges: Array<{ node: Record<string, unknown> }> }).edges;
    // 40 snapshots 30 s apart from 09:30 IST: ten per 5-minute bucket.
    expect(edges.map((e) => e.node.samples)).toEqual([10, 10, 10, 10]);
    expect(edges.map((e) => e.node.timestamp)).toEqual([9, 19, 29, 39].map((i) => day[i]!.observedAt.toISOString()));
    expect(edges.every((e) => e.node.expiry === expiry)).toBe(true);
    expect(edges[0]!.node.pcrOi).toBe(day[9]!.chains.find((c) => c.expiry === expiry)!.summary.pcrOi);
  });

  it('serves one contract by symbol or by terms, with the stored quote and analytics', async () => {
    const day = stored[1]!;
    const chain = day[0]!.chains[0]!;
    const row = chain.strikes[4]!;
    const symbol = row.put!.quote.tradingsymbol;
    const query = `query($from: DateTime!, $to: DateTime!, $symbol: String!, $expiry: Date!, $strike: Float!) {
      bySymbol: contractHistory(tradingsymbol: $symbol, from: $from, to: $to, first: 1000) {
        totalCount edges { node { timestamp tradingsymbol lastPrice bid ask oi iv delta thetaPerDay } }
      }
      byTerms: contractHistory(index: NIFTY, expiry: $expiry, strike: $strike, right: PE, from: $from, to: $to, first: 1000) {
        totalCount edges { node { timestamp tradingsymbol lastPrice bid ask oi iv delta thetaPerDay } }
      }
    }`;
    const result = await postGraphQL(app.httpUrl, query, {
      from: day[0]!.observedAt.toISOString(),
      to: day.at(-1)!.observedAt.toISOString(),
      symbol,
      expiry: chain.expiry,
      strike: row.strike,
    });
    expect(result.errors).toBeUndefined();
    const expected = day.flatMap((s) => {
      const put = s.chains.find((c) => c.expiry === chain.expiry)!.strikes.find((r) => r.strike === row.strike)?.put;
      return put
        ? [
            {
              timestamp: s.observedAt.toISOString(),
              tradingsymbol: symbol,
              lastPrice: put.quote.lastPrice,
              bid: put.quote.bid,
              ask: put.quote.ask,
              oi: put.quote.oi,
              iv: put.analytics.iv,
              delta: put.analytics.delta,
              thetaPerDay: put.analytics.thetaPerDay,
            },
          ]
        : [];
    });
    const bySymbol = result.data!.bySymbol as { totalCount: number; edges: Array<{ node: unknown }> };
    expect(bySymbol.edges.map((e) => e.node)).toEqual(expected);
    expect(result.data!.byTerms).toEqual(bySymbol);
  });

  it('rejects bad ranges, pages and cursors with coded errors', async () => {
    const from = stored[1]![0]!.observedAt.toISOString();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ from, to: '2020-01-01T00:00:00Z' }, 'from'],
      [{ from, to: from, first: 1001 }, 'first'],
      [{ from, to: from, first: 0 }, 'first'],
      [{ from, to: from, interval: 0 }, 'intervalSeconds'],
      [{ from, to: from, after: 'bm90IGEgY3Vyc29y' }, 'after'],
      [{ from: '2024-01-01T00:00:00Z', to: from }, 'to'],
    ];
    for (const [variables, argument] of cases) {
      const result = await postGraphQL(app.httpUrl, HISTORY, variables);
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument });
    }
    const missing = await postGraphQL(
      app.httpUrl,
      `{ contractHistory(index: NIFTY, strike: 25000, from: "${from}", to: "${from}") { totalCount } }`,
    );
    expect(missing.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('ranks the live IV30 against the closing IV30 of the stored days', async () => {
    const result = await postGraphQL(
      app.httpUrl,
      '{ overview(index: NIFTY) { iv30 ivRank ivPercentile ivHistoryDays } }',
    );
    expect(result.errors).toBeUndefined();
    const overview = result.data!.overview as {
      iv30: number;
      ivRank: number | null;
      ivPercentile: number;
      ivHistoryDays: number;
    };
    const closes = stored.map((day) => {
      const last = day.at(-1)!;
      return constantMaturityIv(
        last.termStructure.map((p) => ({ timeToExpiryYears: p.timeToExpiryYears, iv: p.atmIv ?? Number.NaN })),
        IV30_YEARS,
      )!;
    });
    expect(closes.every((c) => c > 0)).toBe(true);
    expect(overview.ivHistoryDays).toBe(2);
    expect(overview.ivRank).toBeGreaterThanOrEqual(0);
    expect(overview.ivRank).toBeLessThanOrEqual(1);
    expect(overview.ivRank).toBe(ivRank(overview.iv30, closes));
    expect(overview.ivPercentile).toBe(ivPercentile(overview.iv30, closes));
  });

  it('batches contract reads: several contracts of one day cost one scan of its file', async () => {
    const source = createCsvHistory({ dataDir });
    let scans = 0;
    const counting = {
      ...source,
      contractsDay: (...args: Parameters<typeof source.contractsDay>) => {
        scans += 1;
        return source.contractsDay(...args);
      },
    };
    const loaders = createHistoryLoaders(counting);
    const day = stored[1]!;
    const dayKey = (await source.days('NIFTY'))[1]!;
    const symbols = day[0]!.chains[0]!.strikes.slice(0, 5).map((r) => r.call!.quote.tradingsymbol);
    const results = await Promise.all(
      symbols.map((tradingsymbol) =>
        loaders.contractDay.load({ index: 'NIFTY', day: dayKey, contract: { tradingsymbol } }),
      ),
    );
    expect(scans).toBe(1);
    expect(results.map((rows) => rows.length)).toEqual(symbols.map(() => day.length));
  });
});
