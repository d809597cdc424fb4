import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blackScholes } from '../../src/analytics/black-scholes.ts';
import type { IndexSymbol } from '../../src/domain/indices.ts';
import type { IndexSnapshot } from '../../src/domain/snapshot.ts';
import { createLogger } from '../../src/logger.ts';
import { schema } from '../../src/schema/index.ts';
import { createServer, type G6Server } from '../../src/server/create-server.ts';
import { createSnapshotPubSub } from '../../src/store/snapshot-pubsub.ts';
import { createSnapshotStore } from '../../src/store/snapshot-store.ts';
import { CONTRACT_QUERY } from '../helpers/contract-query.ts';
import { simulatedSnapshots, TEST_INSTANT } from '../helpers/simulated-snapshots.ts';
import { createTestContextFactory } from '../helpers/test-context.ts';

let server: G6Server;
let niftySnapshot: IndexSnapshot;
const configured: IndexSymbol[] = ['NIFTY', 'BANKNIFTY', 'SENSEX'];

async function query(text: string, variables?: Record<string, unknown>) {
  const response = await server.fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query: text, variables }),
  });
  return (await response.json()) as {
    // biome-ignore lint/suspicious/noExplicitAny: the response shape is asserted field by field below
    data?: Record<string, any> | null;
    errors?: Array<{ message: string; extensions: { code: string } }>;
  };
}

beforeAll(() => {
  const store = createSnapshotStore();
  niftySnapshot = simulatedSnapshots('NIFTY', 3).at(-1)!;
  store.put(niftySnapshot);
  store.put(simulatedSnapshots('SENSEX', 1)[0]!);
  server = createServer({
    schema,
    // The snapshots' own instant: they are served as the live state.
    createContext: createTestContextFactory({
      store,
      pubsub: createSnapshotPubSub(),
      indices: configured,
      startIso: TEST_INSTANT.toISOString(),
    }),
    logger: createLogger({ logLevel: 'silent' as never, logFormat: 'json' }),
    registry: null,
    health: () => ({ ready: true, status: 'HEALTHY', problems: [], degraded: false, marketOpen: true, components: [] }),
  });
});
afterAll(async () => {
  await server.stop();
});

describe('GraphQL queries (in process)', () => {
  it('answers the contract query with the stored snapshot’s values', async () => {
    const { data, errors } = await query(CONTRACT_QUERY);
    expect(errors).toBeUndefined();
    const nearest = niftySnapshot.chains[0]!;
    expect(data!.indices.map((i: { symbol: string }) => i.symbol)).toEqual(configured);
    expect(data!.indices[0]).toEqual({
      symbol: 'NIFTY',
      spot: niftySnapshot.spot,
      lotSize: 65,
      strikeStep: 50,
      expiries: niftySnapshot.chains.map((c) => c.expiry),
    });
    expect(data!.indices[1].spot).toBeNull();
    const overview = data!.overview;
    expect(overview.timestamp).toBe(niftySnapshot.observedAt.toISOString());
    expect(overview.atmStrike).toBe(nearest.summary.atmStrike);
    for (const key of ['atmIv', 'pcrOi', 'pcrVolume', 'maxPainStrike', 'totalCallOi', 'totalPutOi']) {
      expect(overview[key], key).not.toBeNull();
    }
    // PCR recomputed here from the contracts themselves.
    let putOi = 0;
    let callOi = 0;
    for (const row of nearest.strikes) {
      putOi += row.put?.quote.oi ?? 0;
      callOi += row.call?.quote.oi ?? 0;
    }
    expect(overview.pcrOi).toBeCloseTo(putOi / callOi, 12);
    expect(overview.totalPutOi).toBe(putOi);

    const chain = data!.optionChain;
    expect(chain.expiry).toBe(nearest.expiry);
    expect(chain.strikes).toHaveLength(11);
    expect(chain.strikes[5].strike).toBe(nearest.summary.atmStrike);
    const strikes = chain.strikes.map((s: { strike: number }) => s.strike);
    expect(strikes).toEqual([...strikes].sort((a: number, b: number) => a - b));
    for (const row of chain.strikes) {
      expect(row.call.iv).toBeGreaterThan(0);
      expect(row.call.delta).toBeGreaterThan(0);
      expect(row.put.delta).toBeLessThan(0);
      expect(row.call.thetaPerDay).toBeLessThan(0);
    }
  });

  it('selects an expiry by date and rejects an expiry that is not open with EXPIRY_NOT_FOUND', async () => {
    const second = niftySnapshot.chains[1]!;
    const ok = await query('query($e: Date) { overview(index: NIFTY, expiry: $e) { expiry atmStrike } }', {
      e: second.expiry,
    });
    expect(ok.data!.overview).toEqual({ expiry: second.expiry, atmStrike: second.summary.atmStrike });
    const missing = await query('{ overview(index: NIFTY, expiry: "2030-01-01") { expiry } }');
    expect(missing.errors![0]!.extensions.code).toBe('EXPIRY_NOT_FOUND');
    expect(missing.errors![0]!.message).toContain(second.expiry);
  });

  it('gives coded errors for bad input', async () => {
    const notConfigured = await query('{ overview(index: FINNIFTY) { spot } }');
    expect(notConfigured.errors![0]!.extensions.code).toBe('INDEX_NOT_CONFIGURED');
    const badWindow = await query('{ optionChain(index: NIFTY, strikesAroundAtm: -3) { expiry } }');
    expect(badWindow.errors![0]!.extensions.code).toBe('BAD_USER_INPUT');
    const badDate = await query('{ overview(index: NIFTY, expiry: "2026-02-30") { spot } }');
    expect(badDate.errors![0]!.extensions.code).toBe('BAD_USER_INPUT');
    const badEnum = await query('{ overview(index: DOWJONES) { spot } }');
    expect(badEnum.errors![0]!.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('returns null, not an error, for a configured index before its first collection', async () => {
    const { data, errors } = await query(
      '{ overview(index: BANKNIFTY) { spot } optionChain(index: BANKNIFTY) { expiry } }',
    );
    expect(errors).toBeUndefined();
    expect(data).toEqual({ overview: null, optionChain: null });
  });

  it('serves /health and /ready', async () => {
    expect((await server.fetch('/health')).status).toBe(200);
    expect((await server.fetch('/ready')).status).toBe(200);
  });

  it('serves the chain analytics, smile, term structure and surface computed by the collector', async () => {
    const { data, errors } = await query(`{
      overview(index: NIFTY) {
        atmStraddle expectedMove pcrPremium pcrOiChange supportStrike resistanceStrike
        iv25DeltaCall iv25DeltaPut riskReversal25Delta butterfly25Delta totalGammaExposure gammaFlipLevel sentimentScore
        dataQuality { score contractSlots missingQuotes staleQuotes crossedQuotes ivFailures parityViolations }
        methodology { model forwardSource forwardSourceUsed forward timeBasis timeToExpiryYears priceRule rate }
      }
      smile(index: NIFTY) { expiry points { strike logMoneyness callDelta iv totalVariance } }
      termStructure(index: NIFTY) { expiry atmIv forwardVolatility calendarArbitrage }
      volSurface(index: NIFTY) { logMoneyness rows { expiry iv calendarArbitrage butterflyArbitrageStrikes } }
      optionChain(index: NIFTY, strikesAroundAtm: 2) { strikes { gammaExposure call { vanna volga charm theoreticalValue oiChange buildUp } } }
    }`);
    expect(errors).toBeUndefined();
    const nearest = niftySnapshot.chains[0]!;
    const overview = data!.overview;
    expect(overview.atmStraddle).toBeCloseTo(nearest.summary.atmStraddle!, 12);
    expect(overview.riskReversal25Delta).toBeCloseTo(overview.iv25DeltaCall - overview.iv25DeltaPut, 12);
    expect(overview.sentimentScore).toBeGreaterThanOrEqual(-1);
    expect(overview.sentimentScore).toBeLessThanOrEqual(1);
    expect(overview.dataQuality.contractSlots).toBe(2 * nearest.strikes.length);
    expect(overview.dataQuality.score).toBe(nearest.summary.dataQuality.score);
    expect(overview.methodology).toMatchObject({ model: 'BLACK_SCHOLES', timeBasis: 'CALENDAR_365', rate: 0.065 });
    expect(data!.smile.points.length).toBe(nearest.smile.length);
    expect(data!.smile.points.map((p: { strike: number }) => p.strike)).toEqual(nearest.smile.map((p) => p.strike));
    expect(data!.termStructure.map((p: { expiry: string }) => p.expiry)).toEqual(
      niftySnapshot.chains.map((c) => c.expiry),
    );
    expect(data!.volSurface.logMoneyness).toHaveLength(21);
    expect(data!.volSurface.rows[0].iv).toHaveLength(21);
    const row = data!.optionChain.strikes[2];
    expect(row.call.theoreticalValue).toBeGreaterThan(0);
    expect(typeof row.call.vanna).toBe('number');
    expect(row.gammaExposure).toBe(nearest.strikes.find((s) => s.strike === nearest.summary.atmStrike)!.gammaExposure);
  });

  it('recomputes a chain under requested conventions and a what-if scenario without touching the store', async () => {
    const q = `query($c: ConventionsInput, $s: ScenarioInput) {
      optionChain(index: NIFTY, strikesAroundAtm: 0, conventions: $c, scenario: $s) {
        methodology { model forwardSourceUsed rate timeBasis priceRule }
        strikes { strike call { iv delta thetaPerDay theoreticalValue priceUsed } }
      }
    }`;
    const base = await query(q);
    const nse = await query(q, { c: { model: 'BLACK_SCHOLES', rate: 0.1, priceRule: 'LAST' } });
    expect(nse.errors).toBeUndefined();
    expect(nse.data!.optionChain.methodology).toEqual({
      model: 'BLACK_SCHOLES',
      forwardSourceUsed: 'SPOT_CARRY',
      rate: 0.1,
      timeBasis: 'CALENDAR_365',
      priceRule: 'LAST',
    });
    expect(nse.data!.optionChain.strikes[0].call.iv).not.toBe(base.data!.optionChain.strikes[0].call.iv);
    const sensibull = await query(q, {
      c: { model: 'BLACK_76', forwardSource: 'PUT_CALL_PARITY', timeBasis: 'TRADING_252' },
    });
    expect(sensibull.data!.optionChain.methodology.forwardSourceUsed).toBe('PUT_CALL_PARITY');
    expect(sensibull.data!.optionChain.methodology.timeBasis).toBe('TRADING_252');

    const crash = await query(q, { s: { spotShiftPct: -5, volShiftPts: 5 } });
    const before = base.data!.optionChain.strikes[0].call;
    const after = crash.data!.optionChain.strikes[0].call;
    expect(after.iv).toBe(before.iv);
    expect(after.theoreticalValue).toBeLessThan(before.theoreticalValue);
    expect(after.delta).toBeLessThan(before.delta);
    const again = await query(q);
    expect(again.data).toEqual(base.data);

    const bad = await query(q, { s: { spotShiftPct: 80 } });
    expect(bad.errors![0]!.extensions.code).toBe('BAD_USER_INPUT');
    expect(bad.errors![0]!.message).toContain('scenario.spotShiftPct');
  });

  it('prices, solves and validates in optionCalculator', async () => {
    const q = `query($i: OptionCalculatorInput!) {
      optionCalculator(input: $i) { model volatility ivStatus price delta gamma thetaPerDay vegaPerVolPoint vanna charm }
    }`;
    const input = {
      model: 'BLACK_SCHOLES',
      right: 'PE',
      spot: 24_600,
      strike: 24_500,
      timeToExpiryYears: 0.05,
      rate: 0.065,
      dividendYield: 0,
    };
    const priced = await query(q, { i: { ...input, volatility: 0.15 } });
    expect(priced.errors).toBeUndefined();
    const expected = blackScholes({
      right: 'P',
      spot: 24_600,
      strike: 24_500,
      timeToExpiryYears: 0.05,
      rate: 0.065,
      dividendYield: 0,
      volatility: 0.15,
    });
    expect(priced.data!.optionCalculator).toMatchObject({
      price: expected.price,
      delta: expected.delta,
      vanna: expected.vanna,
      ivStatus: null,
    });
    const solved = await query(q, { i: { ...input, price: expected.price } });
    expect(solved.data!.optionCalculator.volatility).toBeCloseTo(0.15, 13);
    expect(solved.data!.optionCalculator.ivStatus).toBe('OK');
    const below = await query(q, { i: { ...input, strike: 30_000, price: 1 } });
    expect(below.data!.optionCalculator).toMatchObject({ ivStatus: 'BELOW_INTRINSIC', volatility: null, price: null });
    const both = await query(q, { i: { ...input, volatility: 0.1, price: 5 } });
    expect(both.errors![0]!.extensions.code).toBe('BAD_USER_INPUT');
    const noForward = await query(q, { i: { ...input, model: 'BLACK_76', volatility: 0.1 } });
    expect(noForward.errors![0]!.message).toContain('input.forward');
    // Found by the fuzz: a volatility near the smallest double overflows gamma and vanna. They are null,
    // not a Float serialisation error masked as INTERNAL_SERVER_ERROR.
    const extreme = await query(q, {
      i: {
        ...input,
        right: 'CE',
        spot: 29_994,
        strike: 29_988,
        timeToExpiryYears: 13_067,
        rate: 1.7e-307,
        volatility: 6e-323,
      },
    });
    expect(extreme.errors).toBeUndefined();
    const values = Object.values(extreme.data!.optionCalculator as Record<string, unknown>);
    expect(values.every((v) => v === null || typeof v === 'string' || Number.isFinite(v))).toBe(true);
    expect([extreme.data!.optionCalculator.gamma, extreme.data!.optionCalculator.vanna]).toContain(null);
  });
});

describe('expiry tags and ATM offsets', () => {
  it('chooses chains by tag, narrows rows by offset, and reports the tags and offsets it served', async () => {
    const nextWeek = niftySnapshot.chains.find((c) => c.expiryTags.includes('NEXT_WEEK'))!;
    const { data, errors } = await query(`{
      optionChain(index: NIFTY, expiryTag: NEXT_WEEK, offsets: [1, -2, 0, 1]) {
        expiry expiryTag expiryTags atmStrike strikes { strike offset call { averagePrice } }
      }
      overview(index: NIFTY, expiryTag: THIS_WEEK) { expiry expiryTags }
      index(symbol: NIFTY) { expiry(tag: NEXT_WEEK) { date expiryTag } }
    }`);
    expect(errors).toBeUndefined();
    expect(data!.optionChain.expiry).toBe(nextWeek.expiry);
    expect(data!.optionChain.expiryTags).toEqual(nextWeek.expiryTags);
    const rows = data!.optionChain.strikes as Array<{ strike: number; offset: number }>;
    expect(rows.map((r) => r.offset)).toEqual([-2, 0, 1]);
    const at = nextWeek.strikes.findIndex((s) => s.offset === 0);
    expect(rows.map((r) => r.strike)).toEqual([at - 2, at, at + 1].map((i) => nextWeek.strikes[i]!.strike));
    expect(rows[1]!.strike).toBe(data!.optionChain.atmStrike);
    expect(data!.overview.expiry).toBe(niftySnapshot.chains[0]!.expiry);
    expect(data!.overview.expiryTags[0]).toBe('THIS_WEEK');
    expect(data!.index.expiry).toEqual({ date: nextWeek.expiry, expiryTag: 'NEXT_WEEK' });
  });

  it('refuses an expiry and a tag together, offsets with a window, and out-of-range offsets, with codes', async () => {
    const both = await query(
      `{ optionChain(index: NIFTY, expiry: "${niftySnapshot.chains[0]!.expiry}", expiryTag: THIS_WEEK) { seq } }`,
    );
    expect(both.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(both.errors?.[0]?.message).toMatch(/expiry or expiryTag/);
    const window = await query('{ optionChain(index: NIFTY, strikesAroundAtm: 2, offsets: [0]) { seq } }');
    expect(window.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    const far = await query('{ optionChain(index: NIFTY, offsets: [501]) { seq } }');
    expect(far.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    const none = await query('{ index(symbol: NIFTY) { expiry(tag: THIS_WEEK, nearest: true) { date } } }');
    expect(none.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
  });

  it('serves the risk bands of a chain over GraphQL, every strike in one band', async () => {
    const { data, errors } = await query(
      '{ overview(index: NIFTY) { totalPutOi riskBands { fromPercent toPercent strikes putOi deltaNotional vegaNotional } } }',
    );
    expect(errors).toBeUndefined();
    const bands = data!.overview.riskBands as Array<{ strikes: number; putOi: number }>;
    expect(bands.reduce((n, b) => n + b.strikes, 0)).toBe(niftySnapshot.chains[0]!.strikes.length);
    expect(bands.reduce((n, b) => n + b.putOi, 0)).toBe(data!.overview.totalPutOi);
  });
});
