import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toIstCompactDate } from '../../src/domain/ist-time.ts';
import { postGraphQL, startTestApp, subscribe, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ G6_INDICES: 'NIFTY,SENSEX' });
});
afterAll(async () => {
  await t.stop();
});

interface OverviewEvent {
  overviewUpdated: { seq: number; timestamp: string; spot: number; pcrOi: number };
}

describe('running server', () => {
  it('pushes the current overview at once, then one event per collection cycle with consecutive seq', async () => {
    const first = subscribe<OverviewEvent>(
      t.wsUrl,
      'subscription { overviewUpdated(index: NIFTY) { seq timestamp spot pcrOi } }',
    );
    const events: OverviewEvent['overviewUpdated'][] = [];
    for (let i = 0; i < 4; i++) {
      const event = await first.next();
      expect(event.errors).toBeUndefined();
      events.push(event.data!.overviewUpdated);
    }
    await first.close();
    let skipped = 0;
    for (let i = 1; i < events.length; i++) {
      expect(events[i]!.seq).toBeGreaterThan(events[i - 1]!.seq);
      skipped += events[i]!.seq - events[i - 1]!.seq - 1;
      expect(Date.parse(events[i]!.timestamp)).toBeGreaterThan(Date.parse(events[i - 1]!.timestamp));
    }
    // Consecutive unless the reader fell a whole collection behind (a loaded machine): then the newest
    // replaced the one waiting, and the server counted it (in the store's stream or the socket's group).
    // A gap it did not count is a lost event.
    const metrics = await (await fetch(`${t.httpUrl}/metrics`)).text();
    const counted = [
      ...metrics.matchAll(/^g6_(?:subscription_events_conflated|ws_events_skipped)_total(?:\{[^}]*\})? (\d+)/gm),
    ]
      .map((m) => Number(m[1]))
      .reduce((a, b) => a + b, 0);
    expect(counted).toBeGreaterThanOrEqual(skipped);
    expect(new Set(events.map((e) => e.spot)).size).toBeGreaterThan(1);

    // A late subscriber gets the latest snapshot immediately: its first seq is current, not 1.
    const late = subscribe<OverviewEvent>(t.wsUrl, 'subscription { overviewUpdated(index: NIFTY) { seq } }');
    const current = (await late.next()).data!.overviewUpdated.seq;
    expect(current).toBeGreaterThanOrEqual(events.at(-1)!.seq);
    expect((await late.next()).data!.overviewUpdated.seq).toBe(current + 1);
    await late.close();
  });

  it('streams optionChainUpdated for a chosen expiry and strike window', async () => {
    const expiries = (await postGraphQL(t.httpUrl, '{ index(symbol: SENSEX) { expiries } }')).data as {
      index: { expiries: string[] };
    };
    const expiry = expiries.index.expiries[1]!;
    const chain = subscribe<{
      optionChainUpdated: { expiry: string; atmStrike: number; strikes: { strike: number }[] };
    }>(
      t.wsUrl,
      `subscription { optionChainUpdated(index: SENSEX, expiry: "${expiry}", strikesAroundAtm: 3) { expiry atmStrike strikes { strike } } }`,
    );
    const event = (await chain.next()).data!.optionChainUpdated;
    await chain.close();
    expect(event.expiry).toBe(expiry);
    expect(event.strikes).toHaveLength(7);
    expect(event.strikes[3]!.strike).toBe(event.atmStrike);
  });

  it('rejects a subscription to an expiry that is not open with a coded error', async () => {
    const bad = subscribe(t.wsUrl, 'subscription { overviewUpdated(index: NIFTY, expiry: "2031-01-01") { seq } }');
    const result = await bad.next();
    await bad.close();
    expect(result.data ?? null).toBeNull();
    expect(result.errors?.[0]?.extensions?.code).toBe('EXPIRY_NOT_FOUND');
  });

  it('appends CSV rows under data/csv/<INDEX>/<IST date>/ with one header', async () => {
    const dayDir = join(t.dataDir, 'csv', 'NIFTY', toIstCompactDate(t.now()));
    const waiter = subscribe<OverviewEvent>(t.wsUrl, 'subscription { overviewUpdated(index: NIFTY) { seq } }');
    await waiter.next();
    await waiter.next();
    await waiter.close();
    expect(existsSync(dayDir)).toBe(true);
    expect(readdirSync(dayDir).sort()).toEqual(['options.csv', 'overview.csv']);
    const overview = readFileSync(join(dayDir, 'overview.csv'), 'utf8').trimEnd().split('\n');
    expect(overview.filter((line) => line.startsWith('timestamp,')).length).toBe(1);
    expect(overview.length).toBeGreaterThan(2);
    const options = readFileSync(join(dayDir, 'options.csv'), 'utf8');
    expect(options.startsWith('timestamp,index,expiry,strike,option_type,')).toBe(true);
    expect(options).toMatch(/\nNIFTY|,NIFTY,/);
  });

  it('serves /health, /ready, /metrics and GraphiQL', async () => {
    expect((await fetch(`${t.httpUrl}/health`)).status).toBe(200);
    expect((await fetch(`${t.httpUrl}/ready`)).status).toBe(200);
    const metrics = await (await fetch(`${t.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/g6_collect_duration_seconds_count\{index="NIFTY"\} [1-9]/);
    expect(metrics).toMatch(/g6_csv_rows_written_total\{file="options"\} [1-9]/);
    expect(metrics).toMatch(/g6_snapshot_age_seconds\{index="SENSEX"\}/);
    const page = await fetch(`${t.httpUrl}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('G6 GraphiQL');
    expect(html).not.toMatch(/unpkg\.com|jsdelivr/);
  });

  it('reports collector status through serverInfo', async () => {
    const { data } = await postGraphQL(
      t.httpUrl,
      '{ serverInfo { provider collectors { index ticks consecutiveFailures lastSuccessAt } } }',
    );
    const info = (
      data as {
        serverInfo: { provider: string; collectors: { index: string; ticks: number; lastSuccessAt: string }[] };
      }
    ).serverInfo;
    expect(info.provider).toBe('simulated');
    expect(info.collectors.map((c) => c.index)).toEqual(['NIFTY', 'SENSEX']);
    expect(info.collectors.every((c) => c.ticks > 0 && c.lastSuccessAt !== null)).toBe(true);
  });
});
