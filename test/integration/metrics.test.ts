import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INDEX_SYMBOLS } from '../../src/domain/indices.ts';
import { MAX_OPERATION_LABELS } from '../../src/server/server-metrics.ts';
import { ACCESS_TOKEN, API_KEY, startFakeKite } from '../helpers/fake-kite.ts';
import { postGraphQL, startTestApp, type TestApp } from '../helpers/test-app.ts';

/** Samples of one metric family from the exposition text: labels and value. */
function samples(text: string, name: string): Array<{ labels: Record<string, string>; value: number }> {
  const out: Array<{ labels: Record<string, string>; value: number }> = [];
  const line = new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`);
  for (const row of text.split('\n')) {
    const m = line.exec(row);
    if (m === null) {
      continue;
    }
    const labels: Record<string, string> = {};
    for (const pair of (m[1] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)) {
      labels[pair[1] as string] = pair[2] as string;
    }
    out.push({ labels, value: Number(m[2]) });
  }
  return out;
}

const sampleValue = (text: string, name: string, labels: Record<string, string>) =>
  samples(text, name).find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

describe('metrics', () => {
  let t: TestApp;
  const scrape = async () => (await fetch(`${t.httpUrl}/metrics`)).text();

  beforeAll(async () => {
    // One collection per index, then none: the gauges and the GraphQL answers describe the same snapshot.
    t = await startTestApp({ G6_COLLECTION_INTERVAL: '3600' });
    await Promise.all(INDEX_SYMBOLS.map((index) => t.waitForLog((l) => l.msg === 'collected' && l.index === index)));
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('exports Node and process metrics under their standard names, and nothing of G6 without g6_', async () => {
    const text = await scrape();
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_p99_seconds',
    ]) {
      expect(samples(text, name).length, name).toBeGreaterThan(0);
    }
    const families = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] as string);
    expect(families.filter((f) => f.startsWith('g6_process') || f.startsWith('g6_nodejs'))).toEqual([]);
    expect(families.filter((f) => !/^(g6_|process_|nodejs_)/.test(f))).toEqual([]);
  });

  it('carries the market per index and expiry tag, equal to what GraphQL answers', async () => {
    const text = await scrape();
    for (const index of INDEX_SYMBOLS) {
      const answer = await postGraphQL(
        t.httpUrl,
        `query ($index: IndexSymbol!) {
          overview(index: $index) { spot atmStrike atmIv pcrOi maxPainStrike atmStraddle contractCount iv30 expiry }
          index(symbol: $index) { expiryDetails(first: 50) { date kind } }
        }`,
        { index },
      );
      expect(answer.errors).toBeUndefined();
      const overview = answer.data?.overview as Record<string, number>;
      const labels = { index, expiry_tag: 'this_week' };
      expect(sampleValue(text, 'g6_market_spot', { index })).toBeCloseTo(overview.spot as number, 6);
      expect(sampleValue(text, 'g6_market_iv30', { index })).toBeCloseTo(overview.iv30 as number, 9);
      expect(sampleValue(text, 'g6_market_atm_strike', labels)).toBe(overview.atmStrike);
      expect(sampleValue(text, 'g6_market_atm_iv', labels)).toBeCloseTo(overview.atmIv as number, 9);
      expect(sampleValue(text, 'g6_market_pcr_oi', labels)).toBeCloseTo(overview.pcrOi as number, 9);
      expect(sampleValue(text, 'g6_market_max_pain', labels)).toBe(overview.maxPainStrike);
      expect(sampleValue(text, 'g6_market_atm_straddle', labels)).toBeCloseTo(overview.atmStraddle as number, 6);
      expect(sampleValue(text, 'g6_market_contracts', labels)).toBe(overview.contractCount);
      // this_month is the nearest monthly expiry.
      const expiries = (answer.data?.index as { expiryDetails: Array<{ date: string; kind: string }> }).expiryDetails;
      const monthly = expiries.find((e) => e.kind === 'MONTHLY');
      expect(monthly).toBeDefined();
      const monthlyAnswer = await postGraphQL(
        t.httpUrl,
        'query ($index: IndexSymbol!, $expiry: Date) { overview(index: $index, expiry: $expiry) { atmStrike } }',
        { index, expiry: monthly?.date },
      );
      expect(sampleValue(text, 'g6_market_atm_strike', { index, expiry_tag: 'this_month' })).toBe(
        (monthlyAnswer.data?.overview as { atmStrike: number }).atmStrike,
      );
    }
    // Bounded: indices × 2 tags, whatever the number of listed expiries.
    expect(samples(text, 'g6_market_atm_iv').length).toBeLessThanOrEqual(INDEX_SYMBOLS.length * 2);
  });

  it('says which exchange each index trades on, and whether it is open', async () => {
    const text = await scrape();
    expect(sampleValue(text, 'g6_index_info', { index: 'SENSEX', exchange: 'BSE' })).toBe(1);
    expect(sampleValue(text, 'g6_index_info', { index: 'NIFTY', exchange: 'NSE' })).toBe(1);
    expect(sampleValue(text, 'g6_collection_interval_seconds', {})).toBe(3600);
    // 10:30 IST on a trading day on the simulated session clock.
    expect(sampleValue(text, 'g6_market_open', { exchange: 'NSE' })).toBe(1);
    expect(sampleValue(text, 'g6_market_open', { exchange: 'BSE' })).toBe(1);
  });

  it('counts GraphQL operations by name, type and outcome, with error codes and bounded names', async () => {
    const before = await scrape();
    const okBefore =
      sampleValue(before, 'g6_graphql_operations_total', { operation: 'SpotCheck', type: 'query', outcome: 'ok' }) ?? 0;
    await postGraphQL(t.httpUrl, 'query SpotCheck { overview(index: NIFTY) { spot } }');
    await postGraphQL(t.httpUrl, 'query SpotCheck { overview(index: NIFTY) { spot } }');
    const bad = await postGraphQL(t.httpUrl, 'query Broken { overview(index: NIFTY) { noSuchField } }');
    const code = bad.errors?.[0]?.extensions?.code as string;
    expect(code).toBeTypeOf('string');
    // Random names beyond the bound fold into `other`.
    for (let i = 0; i < MAX_OPERATION_LABELS + 20; i += 1) {
      await postGraphQL(t.httpUrl, `query Name${i} { serverInfo { version } }`);
    }
    const text = await scrape();
    // Shared answers skip execution; two identical requests may be one execution and one shared hit.
    const okAfter = sampleValue(text, 'g6_graphql_operations_total', {
      operation: 'SpotCheck',
      type: 'query',
      outcome: 'ok',
    });
    expect(okAfter).toBeGreaterThan(okBefore);
    expect(
      sampleValue(text, 'g6_graphql_operation_duration_seconds_count', { operation: 'SpotCheck', type: 'query' }),
    ).toBeGreaterThan(0);
    expect(sampleValue(text, 'g6_graphql_operations_total', { operation: 'Broken', outcome: 'error' })).toBe(1);
    expect(sampleValue(text, 'g6_graphql_errors_total', { operation: 'Broken', code })).toBe(1);
    const names = new Set(samples(text, 'g6_graphql_operations_total').map((s) => s.labels.operation));
    expect(names.size).toBeLessThanOrEqual(MAX_OPERATION_LABELS + 2);
    expect(names.has('other')).toBe(true);
  });
});

describe('Kite metrics with the ticker off', () => {
  it('export no ticker series (a 0 would read as disconnected), and the token and quote series from the start', async () => {
    const fake = await startFakeKite({ quoteRequestsPerSecond: 1000 });
    const app = await startTestApp({
      G6_INDICES: 'NIFTY',
      KITE_API_KEY: API_KEY,
      KITE_ACCESS_TOKEN: ACCESS_TOKEN,
      G6_KITE_ROOT: fake.restUrl,
      G6_KITE_TICKER: 'false',
      G6_COLLECTION_INTERVAL: '3600',
    });
    try {
      const text = await (await fetch(`${app.httpUrl}/metrics`)).text();
      expect(text).not.toMatch(/^g6_kite_ticker_/m);
      expect(samples(text, 'g6_kite_token_valid')).toEqual([{ labels: {}, value: 1 }]);
      expect(sampleValue(text, 'g6_kite_malformed_quotes_total', { index: 'NIFTY' })).toBe(0);
      expect(sampleValue(text, 'g6_health_status', { component: 'provider', status: 'HEALTHY' })).toBe(1);
      expect(samples(text, 'g6_health_status').some((s) => s.labels.component === 'ticker')).toBe(false);
    } finally {
      await app.stop();
      await fake.close();
    }
  });
});
