import { type ExecutionResult, graphql, parse, subscribe as subscribeInProcess } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IndexSymbol } from '../../src/domain/indices.ts';
import { daysBetween, toIstDateString } from '../../src/domain/ist-time.ts';
import type { OptionQuote } from '../../src/domain/market-data.ts';
import { type AnalyzedContract, contractsOf, type IndexSnapshot } from '../../src/domain/snapshot.ts';
import { schema } from '../../src/schema/index.ts';
import { createSnapshotPubSub } from '../../src/store/snapshot-pubsub.ts';
import { createSnapshotStore } from '../../src/store/snapshot-store.ts';
import { CONTRACT_QUERY } from '../helpers/contract-query.ts';
import { simulatedSnapshots } from '../helpers/simulated-snapshots.ts';
import { postGraphQL, startTestApp, subscribe, TEST_APP_START, type TestApp } from '../helpers/test-app.ts';
import { createTestContextFactory } from '../helpers/test-context.ts';

// biome-ignore lint/suspicious/noExplicitAny: response shapes are asserted field by field
type Json = any;
type Errors = ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }> | undefined;

const QUOTE_FIELDS = 'tradingsymbol strike right lastPrice bid ask volume oi iv';
const TICK_KEYS = ['lastPrice', 'bid', 'ask', 'volume', 'oi', 'iv'] as const;

async function gql(t: TestApp, query: string, variables?: Record<string, unknown>) {
  return (await postGraphQL(t.httpUrl, query, variables)) as { data?: Json; errors?: Errors };
}

function codeOf(errors: Errors): unknown {
  return errors?.[0]?.extensions?.code;
}

// ---------------------------------------------------------------------------------------------------------
// Against the running app: simulated market, NIFTY and SENSEX, a collection every 0.2 s.

/** 200 listed NIFTY symbols (±7 strikes of every expiry, both legs), from the server itself. */
async function twoHundredSymbols(t: TestApp): Promise<string[]> {
  const { data: details } = await gql(
    t,
    '{ index(symbol: NIFTY) { expiryDetails { chain(strikesAroundAtm: 7) { strikes { call { tradingsymbol } put { tradingsymbol } } } } } }',
  );
  return (details.index.expiryDetails as Json[])
    .flatMap((e) => e.chain.strikes.flatMap((s: Json) => [s.call?.tradingsymbol, s.put?.tradingsymbol]))
    .filter((s): s is string => typeof s === 'string')
    .slice(0, 200);
}

describe('graph over the running app', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ G6_INDICES: 'NIFTY,SENSEX' });
    // Wait on the first snapshot of each index (an event, not a sleep).
    for (const index of ['NIFTY', 'SENSEX']) {
      const first = subscribe(t.wsUrl, `subscription { overviewUpdated(index: ${index}) { seq } }`);
      expect((await first.next()).errors).toBeUndefined();
      await first.close();
    }
  });
  afterAll(async () => {
    await t.stop();
  });

  it('Index.expiry by nearest and by date matches the overview, smile and expiries of the same snapshot', async () => {
    const { data: listed } = await gql(t, '{ index(symbol: NIFTY) { expiries } }');
    const second = listed.index.expiries[1] as string;
    const { data, errors } = await gql(
      t,
      `query($d: Date) {
        index(symbol: NIFTY) {
          expiries
          nearest: expiry(nearest: true) {
            date kind daysToExpiry timeToExpiryYears forward atmStrike atmIv
            overview { expiry expiryKind timestamp seq atmStrike atmIv timeToExpiryYears methodology { forward } }
            chain(strikesAroundAtm: 3) { expiry seq atmStrike strikes { strike } }
            smile { strike iv logMoneyness }
          }
          byDate: expiry(date: $d, nearest: false) { date kind overview { expiry expiryKind } }
        }
        overview(index: NIFTY) { expiry seq atmStrike }
        smile(index: NIFTY) { expiry points { strike iv logMoneyness } }
      }`,
      { d: second },
    );
    expect(errors).toBeUndefined();
    const nearest = data.index.nearest;
    expect(nearest.date).toBe(data.index.expiries[0]);
    expect(nearest.date).toBe(data.overview.expiry);
    expect(nearest.kind).toBe(nearest.overview.expiryKind);
    expect(nearest.atmStrike).toBe(nearest.overview.atmStrike);
    expect(nearest.atmStrike).toBe(data.overview.atmStrike);
    expect(nearest.atmIv).toBe(nearest.overview.atmIv);
    expect(nearest.atmIv).toBeGreaterThan(0);
    expect(nearest.timeToExpiryYears).toBe(nearest.overview.timeToExpiryYears);
    expect(nearest.timeToExpiryYears).toBeGreaterThan(0);
    expect(nearest.forward).toBe(nearest.overview.methodology.forward);
    expect(Math.abs(nearest.forward - nearest.atmStrike)).toBeLessThan(100);
    expect(nearest.daysToExpiry).toBe(daysBetween(toIstDateString(new Date(nearest.overview.timestamp)), nearest.date));
    expect(nearest.daysToExpiry).toBeGreaterThanOrEqual(0);
    // One snapshot behind every part of the Expiry.
    expect(nearest.chain.seq).toBe(nearest.overview.seq);
    expect(nearest.overview.seq).toBe(data.overview.seq);
    expect(nearest.chain.expiry).toBe(nearest.date);
    expect(nearest.chain.strikes).toHaveLength(7);
    expect(nearest.chain.strikes[3].strike).toBe(nearest.atmStrike);
    expect(nearest.smile.length).toBeGreaterThan(10);
    expect(nearest.smile).toEqual(data.smile.points);
    const smileStrikes = nearest.smile.map((p: { strike: number }) => p.strike);
    expect(smileStrikes).toEqual([...smileStrikes].sort((a, b) => a - b));

    const byDate = data.index.byDate;
    expect(byDate.date).toBe(second);
    expect(byDate.overview.expiry).toBe(second);
    expect(byDate.kind).toBe(byDate.overview.expiryKind);
  });

  it('Index.expiry wants exactly one of date or nearest: true, and an open date', async () => {
    const neither = await gql(t, '{ index(symbol: NIFTY) { expiry { date } } }');
    expect(codeOf(neither.errors)).toBe('BAD_USER_INPUT');
    const notNearest = await gql(t, '{ index(symbol: NIFTY) { expiry(nearest: false) { date } } }');
    expect(codeOf(notNearest.errors)).toBe('BAD_USER_INPUT');
    const { data: listed } = await gql(t, '{ index(symbol: NIFTY) { expiries } }');
    const both = await gql(t, 'query($d: Date) { index(symbol: NIFTY) { expiry(date: $d, nearest: true) { date } } }', {
      d: listed.index.expiries[0],
    });
    expect(codeOf(both.errors)).toBe('BAD_USER_INPUT');
    const missing = await gql(t, '{ index(symbol: NIFTY) { expiry(date: "2031-01-07") { date } } }');
    expect(codeOf(missing.errors)).toBe('EXPIRY_NOT_FOUND');
    expect(missing.errors![0]!.message).toContain(listed.index.expiries[0]);
    // The nullable field takes the error; the rest of the index survives.
    expect(missing.data.index).toEqual({ expiry: null });
  });

  it('Index.expiryDetails lists the open expiries nearest first, 20 by default, 1 to 50', async () => {
    const { data, errors } = await gql(
      t,
      `{ index(symbol: NIFTY) {
          expiries
          all: expiryDetails { date kind daysToExpiry overview { expiry seq } }
          two: expiryDetails(first: 2) { date }
          max: expiryDetails(first: 50) { date }
        } }`,
    );
    expect(errors).toBeUndefined();
    const dates = data.index.all.map((e: { date: string }) => e.date);
    expect(dates).toEqual(data.index.expiries);
    expect(dates.length).toBeGreaterThan(2);
    expect(dates.length).toBeLessThanOrEqual(20);
    expect(data.index.two.map((e: { date: string }) => e.date)).toEqual(dates.slice(0, 2));
    expect(data.index.max.map((e: { date: string }) => e.date)).toEqual(dates);
    const days = data.index.all.map((e: { daysToExpiry: number }) => e.daysToExpiry);
    expect(days).toEqual([...days].sort((a, b) => a - b));
    expect(new Set(data.index.all.map((e: { overview: { seq: number } }) => e.overview.seq)).size).toBe(1);
    for (const e of data.index.all) {
      expect(e.overview.expiry).toBe(e.date);
    }
    for (const first of [0, 51, -1]) {
      const bad = await gql(t, `{ index(symbol: NIFTY) { expiryDetails(first: ${first}) { date } } }`);
      expect(codeOf(bad.errors), `first: ${first}`).toBe('BAD_USER_INPUT');
    }
  });

  it('Expiry.chain: strikesAroundAtm up to 200, not together with strikeRange', async () => {
    const { data, errors } = await gql(
      t,
      `{ index(symbol: NIFTY) { expiry(nearest: true) {
          atmStrike
          whole: chain { strikes { strike } }
          wide: chain(strikesAroundAtm: 200) { strikes { strike } }
          one: chain(strikesAroundAtm: 1) { atmStrike strikes { strike } }
        } } }`,
    );
    expect(errors).toBeUndefined();
    const expiry = data.index.expiry;
    expect(expiry.whole.strikes.length).toBeGreaterThan(30);
    expect(expiry.wide.strikes).toEqual(expiry.whole.strikes);
    expect(expiry.one.strikes.map((s: { strike: number }) => s.strike)).toHaveLength(3);
    expect(expiry.one.strikes[1].strike).toBe(expiry.atmStrike);
    const over = await gql(
      t,
      '{ index(symbol: NIFTY) { expiry(nearest: true) { chain(strikesAroundAtm: 201) { seq } } } }',
    );
    expect(codeOf(over.errors)).toBe('BAD_USER_INPUT');
    expect(over.errors![0]!.message).toContain('200');
    const both = await gql(
      t,
      '{ index(symbol: NIFTY) { expiry(nearest: true) { chain(strikesAroundAtm: 2, strikeRange: {min: 1, max: 99999}) { seq } } } }',
    );
    expect(codeOf(both.errors)).toBe('BAD_USER_INPUT');
    const reversed = await gql(
      t,
      '{ index(symbol: NIFTY) { expiry(nearest: true) { chain(strikeRange: {min: 25000, max: 24000}) { seq } } } }',
    );
    expect(codeOf(reversed.errors)).toBe('BAD_USER_INPUT');
    for (const arg of ['minOi: -1', 'minVolume: -0.5']) {
      const bad = await gql(t, `{ index(symbol: NIFTY) { expiry(nearest: true) { chain(${arg}) { seq } } } }`);
      expect(codeOf(bad.errors), arg).toBe('BAD_USER_INPUT');
    }
  });

  it('Expiry.chain(strikeRange) keeps exactly the strikes in the inclusive range', async () => {
    const { data: before } = await gql(
      t,
      '{ index(symbol: NIFTY) { expiry(nearest: true) { chain { strikes { strike } } } } }',
    );
    const listed = before.index.expiry.chain.strikes.map((s: { strike: number }) => s.strike) as number[];
    const min = listed[20]!;
    const max = listed[35]!;
    const { data, errors } = await gql(
      t,
      `query($min: Float!, $max: Float!) { index(symbol: NIFTY) { expiry(nearest: true) {
          all: chain { strikes { strike } }
          ranged: chain(strikeRange: {min: $min, max: $max}) { strikes { strike call { tradingsymbol } } }
          overview { totalCallOi }
          rangedOverview: chain(strikeRange: {min: $min, max: $max}) { overview { totalCallOi } }
        } } }`,
      { min, max },
    );
    expect(errors).toBeUndefined();
    const all = data.index.expiry.all.strikes.map((s: { strike: number }) => s.strike) as number[];
    const ranged = data.index.expiry.ranged.strikes.map((s: { strike: number }) => s.strike) as number[];
    expect(ranged).toEqual(all.filter((s) => s >= min && s <= max));
    expect(ranged[0]).toBe(min);
    expect(ranged.at(-1)).toBe(max);
    expect(ranged.length).toBeLessThan(all.length);
    // The overview of a narrowed chain is still the whole chain's.
    expect(data.index.expiry.rangedOverview.overview.totalCallOi).toBe(data.index.expiry.overview.totalCallOi);
  });

  it('Expiry.chain(minOi, minVolume) keeps a strike when either leg meets every minimum', async () => {
    const rowsQuery =
      '{ index(symbol: NIFTY) { expiry(nearest: true) { chain { strikes { strike call { oi volume } put { oi volume } } } } } }';
    const { data: before } = await gql(t, rowsQuery);
    type Leg = { oi: number; volume: number } | null;
    type Row = { strike: number; call: Leg; put: Leg };
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const rowsBefore = before.index.expiry.chain.strikes as Row[];
    const minOi = median(rowsBefore.map((r) => Math.max(r.call?.oi ?? 0, r.put?.oi ?? 0)));
    const minVolume = median(rowsBefore.map((r) => Math.max(r.call?.volume ?? 0, r.put?.volume ?? 0)));
    expect(minOi).toBeGreaterThan(0);
    expect(minVolume).toBeGreaterThan(0);

    const { data, errors } = await gql(
      t,
      `query($oi: Float, $vol: Float) { index(symbol: NIFTY) { expiry(nearest: true) {
          all: chain { strikes { strike call { oi volume } put { oi volume } } }
          byOi: chain(minOi: $oi) { strikes { strike } }
          byVolume: chain(minVolume: $vol) { strikes { strike } }
          byBoth: chain(minOi: $oi, minVolume: $vol) { strikes { strike } }
          nearAtm: chain(strikesAroundAtm: 10, minOi: $oi) { strikes { strike } }
          window: chain(strikesAroundAtm: 10) { strikes { strike } }
        } } }`,
      { oi: minOi, vol: minVolume },
    );
    expect(errors).toBeUndefined();
    const e = data.index.expiry;
    const rows = e.all.strikes as Row[];
    const strikesOf = (list: { strike: number }[]) => list.map((s) => s.strike);
    const passes = (leg: Leg, oi: number, vol: number) => leg !== null && leg.oi >= oi && leg.volume >= vol;
    const expected = (oi: number, vol: number) =>
      rows.filter((r) => passes(r.call, oi, vol) || passes(r.put, oi, vol)).map((r) => r.strike);

    const byOi = strikesOf(e.byOi.strikes);
    expect(byOi).toEqual(expected(minOi, 0));
    expect(byOi.length).toBeGreaterThan(0);
    expect(byOi.length).toBeLessThan(rows.length);
    const byVolume = strikesOf(e.byVolume.strikes);
    expect(byVolume).toEqual(expected(0, minVolume));
    expect(byVolume.length).toBeGreaterThan(0);
    expect(byVolume.length).toBeLessThan(rows.length);
    const byBoth = strikesOf(e.byBoth.strikes);
    expect(byBoth).toEqual(expected(minOi, minVolume));
    expect(byBoth.every((s) => byOi.includes(s) && byVolume.includes(s))).toBe(true);
    // The window is taken first, the liquidity filter inside it.
    const window = strikesOf(e.window.strikes);
    expect(strikesOf(e.nearAtm.strikes)).toEqual(byOi.filter((s) => window.includes(s)));
  });

  it('contract and contracts look symbols up in the latest snapshots, across indices, in the order asked', async () => {
    const { data: chains } = await gql(
      t,
      `{ nifty: index(symbol: NIFTY) { expiry(nearest: true) { date chain(strikesAroundAtm: 1) { strikes { strike call { tradingsymbol } put { tradingsymbol } } } } }
         sensex: index(symbol: SENSEX) { expiry(nearest: true) { chain(strikesAroundAtm: 0) { strikes { strike put { tradingsymbol } } } } } }`,
    );
    const niftyRow = chains.nifty.expiry.chain.strikes[1];
    const niftyCall = niftyRow.call.tradingsymbol as string;
    const niftyPut = niftyRow.put.tradingsymbol as string;
    const sensexPut = chains.sensex.expiry.chain.strikes[0].put.tradingsymbol as string;
    expect(niftyCall).toMatch(/^NIFTY\d/);
    expect(sensexPut).toMatch(/^SENSEX\d/);

    const { data, errors } = await gql(
      t,
      `query($c: String!, $list: [String!]!) {
        one: contract(tradingsymbol: $c) { ${QUOTE_FIELDS} }
        again: contract(tradingsymbol: $c) { tradingsymbol lastPrice }
        many: contracts(tradingsymbols: $list) { ${QUOTE_FIELDS} }
        none: contracts(tradingsymbols: []) { tradingsymbol }
      }`,
      { c: niftyCall, list: [sensexPut, niftyPut, niftyCall, sensexPut] },
    );
    expect(errors).toBeUndefined();
    expect(data.one).toMatchObject({ tradingsymbol: niftyCall, strike: niftyRow.strike, right: 'CE' });
    expect(data.one.iv).toBeGreaterThan(0);
    expect(data.again).toEqual({ tradingsymbol: niftyCall, lastPrice: data.one.lastPrice });
    expect(data.many.map((q: { tradingsymbol: string }) => q.tradingsymbol)).toEqual([
      sensexPut,
      niftyPut,
      niftyCall,
      sensexPut,
    ]);
    expect(data.many[1]).toMatchObject({ strike: niftyRow.strike, right: 'PE' });
    expect(data.many[0].right).toBe('PE');
    expect(data.many[2]).toEqual(data.one);
    expect(data.none).toEqual([]);
  });

  it('an unknown symbol is UNKNOWN_CONTRACT naming it; contracts lists every unknown one', async () => {
    const single = await gql(t, '{ contract(tradingsymbol: "NIFTY30JAN99999CE") { tradingsymbol } }');
    expect(codeOf(single.errors)).toBe('UNKNOWN_CONTRACT');
    expect(single.errors![0]!.message).toContain('NIFTY30JAN99999CE');
    expect(single.errors![0]!.extensions!.tradingsymbol).toBe('NIFTY30JAN99999CE');
    expect(single.data).toEqual({ contract: null });

    const { data: chain } = await gql(
      t,
      '{ index(symbol: NIFTY) { expiry(nearest: true) { chain(strikesAroundAtm: 0) { strikes { call { tradingsymbol } } } } } }',
    );
    const known = chain.index.expiry.chain.strikes[0].call.tradingsymbol as string;
    const many = await gql(t, 'query($s: [String!]!) { contracts(tradingsymbols: $s) { tradingsymbol } }', {
      s: ['BOGUS1', known, 'FINNIFTY26AUG27000CE', 'BOGUS1'],
    });
    expect(codeOf(many.errors)).toBe('UNKNOWN_CONTRACT');
    expect(many.errors![0]!.extensions!.tradingsymbols).toEqual(['BOGUS1', 'FINNIFTY26AUG27000CE']);
    expect(many.errors![0]!.message).toContain('BOGUS1');
    expect(many.errors![0]!.message).not.toContain(known);
    expect(many.data ?? null).toBeNull();
  });

  it('contracts takes 200 symbols and refuses 201 with BAD_USER_INPUT', async () => {
    const symbols = await twoHundredSymbols(t);
    expect(symbols).toHaveLength(200);
    const ok = await gql(t, 'query($s: [String!]!) { contracts(tradingsymbols: $s) { tradingsymbol } }', {
      s: symbols,
    });
    expect(ok.errors).toBeUndefined();
    expect(ok.data.contracts.map((q: { tradingsymbol: string }) => q.tradingsymbol)).toEqual(symbols);
    const over = await gql(t, 'query($s: [String!]!) { contracts(tradingsymbols: $s) { tradingsymbol } }', {
      s: [...symbols, symbols[0]],
    });
    expect(codeOf(over.errors)).toBe('BAD_USER_INPUT');
    expect(over.errors![0]!.message).toContain('200');
  });

  it('expiryUpdated sends the expiry at once, then one per snapshot with increasing seq', async () => {
    const { data: listed } = await gql(t, '{ index(symbol: NIFTY) { expiries } }');
    const expiry = listed.index.expiries[1] as string;
    const sub = subscribe<{ expiryUpdated: Json }>(
      t.wsUrl,
      `subscription { expiryUpdated(index: NIFTY, expiry: "${expiry}") {
        date daysToExpiry atmStrike overview { seq expiry timestamp } chain(strikesAroundAtm: 2) { seq strikes { strike } } } }`,
    );
    const events: Json[] = [];
    for (let i = 0; i < 4; i++) {
      const event = await sub.next();
      expect(event.errors).toBeUndefined();
      events.push(event.data!.expiryUpdated);
    }
    await sub.close();
    for (const event of events) {
      expect(event.date).toBe(expiry);
      expect(event.overview.expiry).toBe(expiry);
      expect(event.chain.seq).toBe(event.overview.seq);
      expect(event.chain.strikes).toHaveLength(5);
      expect(event.chain.strikes[2].strike).toBe(event.atmStrike);
      expect(event.daysToExpiry).toBe(daysBetween(toIstDateString(new Date(event.overview.timestamp)), expiry));
    }
    for (let i = 1; i < events.length; i++) {
      expect(events[i].overview.seq).toBeGreaterThan(events[i - 1].overview.seq);
      expect(Date.parse(events[i].overview.timestamp)).toBeGreaterThan(Date.parse(events[i - 1].overview.timestamp));
    }
  });

  it('expiryUpdated refuses an expiry that is not open (EXPIRY_NOT_FOUND) and an index not collected', async () => {
    const missing = subscribe(t.wsUrl, 'subscription { expiryUpdated(index: NIFTY, expiry: "2031-01-07") { date } }');
    const result = await missing.next();
    await missing.close();
    expect(result.data ?? null).toBeNull();
    expect(codeOf(result.errors)).toBe('EXPIRY_NOT_FOUND');
    const other = subscribe(t.wsUrl, 'subscription { expiryUpdated(index: FINNIFTY, expiry: "2026-08-25") { date } }');
    const refused = await other.next();
    await other.close();
    expect(codeOf(refused.errors)).toBe('INDEX_NOT_CONFIGURED');
  });

  it('contractsTicked merges indices, sends all contracts first, then only those that changed', async () => {
    const { data: chains } = await gql(
      t,
      `{ nifty: index(symbol: NIFTY) { expiry(nearest: true) { chain(strikesAroundAtm: 1) { strikes { call { tradingsymbol } put { tradingsymbol } } } } }
         sensex: index(symbol: SENSEX) { expiry(nearest: true) { chain(strikesAroundAtm: 1) { strikes { call { tradingsymbol } } } } } }`,
    );
    const bySymbolIndex = new Map<string, string>();
    for (const row of chains.nifty.expiry.chain.strikes) {
      bySymbolIndex.set(row.call.tradingsymbol, 'NIFTY');
      bySymbolIndex.set(row.put.tradingsymbol, 'NIFTY');
    }
    for (const row of chains.sensex.expiry.chain.strikes) {
      bySymbolIndex.set(row.call.tradingsymbol, 'SENSEX');
    }
    const symbols = [...bySymbolIndex.keys()];
    expect(symbols).toHaveLength(9);
    const sub = subscribe<{ contractsTicked: Json }>(
      t.wsUrl,
      `subscription { contractsTicked(tradingsymbols: ${JSON.stringify(symbols)}) { seq index timestamp contracts { ${QUOTE_FIELDS} } } }`,
    );
    const lastSeen = new Map<string, Json>();
    const perIndex = new Map<string, Json[]>([
      ['NIFTY', []],
      ['SENSEX', []],
    ]);
    let changedSubsetChecked = 0;
    while ([...perIndex.values()].some((events) => events.length < 3)) {
      const event = await sub.next();
      expect(event.errors).toBeUndefined();
      const tick = event.data!.contractsTicked;
      const previous = perIndex.get(tick.index)!;
      const mine = symbols.filter((s) => bySymbolIndex.get(s) === tick.index);
      const sent = tick.contracts.map((q: { tradingsymbol: string }) => q.tradingsymbol);
      if (previous.length === 0) {
        // The index's first event: every subscribed contract of it, in the order subscribed.
        expect(sent).toEqual(mine);
      } else {
        expect(tick.seq).toBeGreaterThan(previous.at(-1).seq);
        expect(Date.parse(tick.timestamp)).toBeGreaterThan(Date.parse(previous.at(-1).timestamp));
        expect(sent.every((s: string) => mine.includes(s))).toBe(true);
        for (const quote of tick.contracts) {
          const before = lastSeen.get(quote.tradingsymbol);
          expect(
            TICK_KEYS.some((k) => quote[k] !== before[k]),
            quote.tradingsymbol,
          ).toBe(true);
          changedSubsetChecked += 1;
        }
      }
      for (const quote of tick.contracts) {
        lastSeen.set(quote.tradingsymbol, quote);
      }
      previous.push(tick);
    }
    await sub.close();
    expect(changedSubsetChecked).toBeGreaterThan(0);
    expect(lastSeen.size).toBe(symbols.length);
  });

  it('contractsTicked takes 1 to 200 symbols, all known', async () => {
    const unknown = subscribe(t.wsUrl, 'subscription { contractsTicked(tradingsymbols: ["NOPE1", "NOPE2"]) { seq } }');
    const refused = await unknown.next();
    await unknown.close();
    expect(codeOf(refused.errors)).toBe('UNKNOWN_CONTRACT');
    expect(refused.errors![0]!.extensions!.tradingsymbols).toEqual(['NOPE1', 'NOPE2']);

    const empty = subscribe(t.wsUrl, 'subscription { contractsTicked(tradingsymbols: []) { seq } }');
    const emptyResult = await empty.next();
    await empty.close();
    expect(codeOf(emptyResult.errors)).toBe('BAD_USER_INPUT');

    const symbols = await twoHundredSymbols(t);
    const tooMany = subscribe(
      t.wsUrl,
      `subscription { contractsTicked(tradingsymbols: ${JSON.stringify([...symbols, 'X'])}) { seq } }`,
    );
    const tooManyResult = await tooMany.next();
    await tooMany.close();
    expect(codeOf(tooManyResult.errors)).toBe('BAD_USER_INPUT');

    const full = subscribe<{ contractsTicked: Json }>(
      t.wsUrl,
      `subscription { contractsTicked(tradingsymbols: ${JSON.stringify(symbols)}) { index contracts { tradingsymbol } } }`,
    );
    const first = await full.next();
    await full.close();
    expect(first.errors).toBeUndefined();
    expect(first.data!.contractsTicked.index).toBe('NIFTY');
    expect(first.data!.contractsTicked.contracts.map((q: { tradingsymbol: string }) => q.tradingsymbol)).toEqual(
      symbols,
    );
  });

  it('existing queries still answer as before', async () => {
    const { data, errors } = await gql(t, CONTRACT_QUERY);
    expect(errors).toBeUndefined();
    expect(data.indices.map((i: { symbol: string }) => i.symbol)).toEqual(['NIFTY', 'SENSEX']);
    expect(data.overview.atmIv).toBeGreaterThan(0);
    expect(data.optionChain.strikes).toHaveLength(11);
    expect(data.optionChain.strikes[5].call.delta).toBeGreaterThan(0);
    const more = await gql(
      t,
      `{ index(symbol: SENSEX) { expiries expiryDetails { date } }
         optionChain(index: SENSEX, strikesAroundAtm: 2) { strikes { strike call { tradingsymbol } } }
         termStructure(index: SENSEX) { expiry } }`,
    );
    expect(more.errors).toBeUndefined();
    expect(more.data.index.expiryDetails.map((e: { date: string }) => e.date)).toEqual(more.data.index.expiries);
    expect(more.data.termStructure.map((p: { expiry: string }) => p.expiry)).toEqual(more.data.index.expiries);
    expect(more.data.optionChain.strikes).toHaveLength(5);
  });
});

// ---------------------------------------------------------------------------------------------------------
// In process, on a store and pub/sub the test controls: exact values and exactly which contracts changed.

function inProcess(
  indices: IndexSymbol[],
  overrides: Pick<Parameters<typeof createTestContextFactory>[0], 'now' | 'providerReady' | 'isResting'> = {},
) {
  const store = createSnapshotStore();
  const pubsub = createSnapshotPubSub();
  const createContext = createTestContextFactory({ store, pubsub, indices, startIso: TEST_APP_START, ...overrides });
  return {
    store,
    pubsub,
    publish(snapshot: IndexSnapshot) {
      store.put(snapshot);
      pubsub.publish(snapshot);
    },
    async query(source: string, variableValues?: Record<string, unknown>) {
      return (await graphql({ schema, source, variableValues, contextValue: createContext() })) as {
        data?: Json;
        errors?: Errors;
      };
    },
    /** The subscription's result when it was refused at subscribe time. */
    async refusal(source: string): Promise<ExecutionResult> {
      const result = await subscribeInProcess({ schema, document: parse(source), contextValue: createContext() });
      if (Symbol.asyncIterator in result) {
        await result.return(undefined);
        throw new Error('subscription accepted');
      }
      return result;
    },
    async subscribe(source: string) {
      const result = await subscribeInProcess({ schema, document: parse(source), contextValue: createContext() });
      if (!(Symbol.asyncIterator in result)) {
        throw new Error(`subscription refused: ${JSON.stringify(result.errors)}`);
      }
      const iterator = result as AsyncGenerator<ExecutionResult<Json>>;
      return {
        iterator,
        async next(): Promise<ExecutionResult<Json>> {
          const next = await iterator.next();
          if (next.done) {
            throw new Error('subscription ended');
          }
          return next.value;
        },
      };
    },
  };
}

/** The snapshot again as seq `seq`, with `change` applied to one contract's quote. */
function withQuote(snapshot: IndexSnapshot, seq: number, symbol?: string, change: Partial<OptionQuote> = {}) {
  const patch = (leg: AnalyzedContract | null) =>
    leg !== null && leg.quote.tradingsymbol === symbol ? { ...leg, quote: { ...leg.quote, ...change } } : leg;
  return {
    ...snapshot,
    seq,
    observedAt: new Date(snapshot.observedAt.getTime() + (seq - snapshot.seq) * 1000),
    chains: snapshot.chains.map((chain) => ({
      ...chain,
      strikes: chain.strikes.map((row) => ({ ...row, call: patch(row.call), put: patch(row.put) })),
    })),
  };
}

function nearAtm(snapshot: IndexSnapshot, expiryPosition = 0) {
  const chain = snapshot.chains[expiryPosition]!;
  const at = chain.strikes.findIndex((s) => s.strike === chain.summary.atmStrike);
  return chain.strikes.slice(at - 1, at + 2).flatMap((row) => [row.call!, row.put!]);
}

describe('graph in process', () => {
  const nifty = simulatedSnapshots('NIFTY', 2).at(-1)!;
  const sensex = simulatedSnapshots('SENSEX', 1)[0]!;
  const banknifty = simulatedSnapshots('BANKNIFTY', 1)[0]!;

  it('contract answers from the snapshot of this request: exact values, and a later request sees the next one', async () => {
    const g = inProcess(['NIFTY', 'SENSEX']);
    g.publish(nifty);
    g.publish(sensex);
    const [call] = nearAtm(nifty, 1);
    const entry = [...contractsOf(nifty.chains[1]!)].find((c) => c.contract === call)!;
    const sensexLeg = nearAtm(sensex)[3]!;
    const first = await g.query(
      `query($a: String!, $b: String!) { a: contract(tradingsymbol: $a) { ${QUOTE_FIELDS} delta } b: contract(tradingsymbol: $b) { tradingsymbol right } }`,
      { a: call!.quote.tradingsymbol, b: sensexLeg.quote.tradingsymbol },
    );
    expect(first.errors).toBeUndefined();
    expect(first.data.a).toEqual({
      tradingsymbol: call!.quote.tradingsymbol,
      strike: entry.strike,
      right: 'CE',
      lastPrice: call!.quote.lastPrice,
      bid: call!.quote.bid,
      ask: call!.quote.ask,
      volume: call!.quote.volume,
      oi: call!.quote.oi,
      iv: call!.analytics.iv,
      delta: call!.analytics.delta,
    });
    expect(first.data.b).toEqual({ tradingsymbol: sensexLeg.quote.tradingsymbol, right: 'PE' });

    // Loaders are per request: the next request reads the store afresh.
    g.publish(withQuote(nifty, nifty.seq + 1, call!.quote.tradingsymbol, { lastPrice: 1234.5 }));
    const second = await g.query('query($a: String!) { contract(tradingsymbol: $a) { lastPrice } }', {
      a: call!.quote.tradingsymbol,
    });
    expect(second.data.contract.lastPrice).toBe(1234.5);
  });

  it('contract is null while its index has no snapshot yet; contracts and other indices say UNKNOWN_CONTRACT', async () => {
    const g = inProcess(['NIFTY', 'BANKNIFTY']);
    g.publish(nifty);
    const pending = nearAtm(banknifty)[0]!.quote.tradingsymbol;
    const sensexSymbol = nearAtm(sensex)[0]!.quote.tradingsymbol;
    const waiting = await g.query('query($s: String!) { contract(tradingsymbol: $s) { tradingsymbol } }', {
      s: pending,
    });
    expect(waiting.errors).toBeUndefined();
    expect(waiting.data).toEqual({ contract: null });
    const list = await g.query('query($s: [String!]!) { contracts(tradingsymbols: $s) { tradingsymbol } }', {
      s: [pending],
    });
    expect(codeOf(list.errors)).toBe('UNKNOWN_CONTRACT');
    expect(list.errors![0]!.message).toContain('no snapshot of BANKNIFTY yet');
    const notCollected = await g.query('query($s: String!) { contract(tradingsymbol: $s) { tradingsymbol } }', {
      s: sensexSymbol,
    });
    expect(codeOf(notCollected.errors)).toBe('UNKNOWN_CONTRACT');
    // Once the index has its snapshot, the same symbol is found.
    g.publish(banknifty);
    const found = await g.query('query($s: String!) { contract(tradingsymbol: $s) { tradingsymbol } }', { s: pending });
    expect(found.data).toEqual({ contract: { tradingsymbol: pending } });
  });

  it('contractsTicked sends exactly the contracts that changed, keeps each index’s seq, waits for a pending index, and return() ends every stream', async () => {
    const g = inProcess(['NIFTY', 'SENSEX']);
    g.publish(nifty);
    const niftyLegs = nearAtm(nifty).map((c) => c.quote.tradingsymbol);
    const sensexLegs = nearAtm(sensex)
      .slice(0, 2)
      .map((c) => c.quote.tradingsymbol);
    const symbols = [niftyLegs[0]!, sensexLegs[0]!, ...niftyLegs.slice(1), sensexLegs[1]!];
    const sub = await g.subscribe(
      `subscription { contractsTicked(tradingsymbols: ${JSON.stringify(symbols)}) { seq index timestamp contracts { tradingsymbol lastPrice bid volume oi iv } } }`,
    );
    expect(g.pubsub.subscriberCount()).toBe(2);

    const first = (await sub.next()).data!.contractsTicked;
    expect(first).toMatchObject({ seq: nifty.seq, index: 'NIFTY', timestamp: nifty.observedAt.toISOString() });
    expect(first.contracts.map((q: Json) => q.tradingsymbol)).toEqual(niftyLegs);

    // One contract's bid moves: only it is sent, with the new bid.
    const changed = niftyLegs[2]!;
    const s2 = withQuote(nifty, nifty.seq + 1, changed, { bid: 777.7 });
    g.publish(s2);
    const second = (await sub.next()).data!.contractsTicked;
    expect(second.seq).toBe(nifty.seq + 1);
    expect(second.contracts).toHaveLength(1);
    expect(second.contracts[0]).toMatchObject({ tradingsymbol: changed, bid: 777.7 });

    // Nothing moves: the snapshot still gets its event (seq continuity), with no contracts.
    g.publish(withQuote(s2, nifty.seq + 2));
    const third = (await sub.next()).data!.contractsTicked;
    expect(third).toMatchObject({ seq: nifty.seq + 2, index: 'NIFTY', contracts: [] });

    // SENSEX had no snapshot at subscribe time; its first one brings all of its contracts.
    g.publish(sensex);
    const fourth = (await sub.next()).data!.contractsTicked;
    expect(fourth).toMatchObject({ seq: sensex.seq, index: 'SENSEX' });
    expect(fourth.contracts.map((q: Json) => q.tradingsymbol)).toEqual(sensexLegs);

    // A volume change on one contract and an OI change on another, in the same snapshot.
    const s4 = withQuote(withQuote(s2, nifty.seq + 3, niftyLegs[0], { volume: 1 }), nifty.seq + 3, niftyLegs[5], {
      oi: 5,
    });
    g.publish(s4);
    const fifth = (await sub.next()).data!.contractsTicked;
    expect(fifth.seq).toBe(nifty.seq + 3);
    expect(fifth.contracts.map((q: Json) => q.tradingsymbol)).toEqual([niftyLegs[0], niftyLegs[5]]);
    expect(fifth.contracts[1].oi).toBe(5);

    await sub.iterator.return(undefined);
    expect(g.pubsub.subscriberCount()).toBe(0);
  });

  it('expiryUpdated: the expiry at once, each snapshot after, one EXPIRY_NOT_FOUND when it closes, then complete', async () => {
    const g = inProcess(['NIFTY']);
    g.publish(nifty);
    const expiry = nifty.chains[0]!.expiry;
    const sub = await g.subscribe(
      `subscription { expiryUpdated(index: NIFTY, expiry: "${expiry}") { date daysToExpiry overview { seq } } }`,
    );
    expect((await sub.next()).data!.expiryUpdated).toEqual({
      date: expiry,
      daysToExpiry: 0,
      overview: { seq: nifty.seq },
    });
    g.publish(withQuote(nifty, nifty.seq + 1));
    expect((await sub.next()).data!.expiryUpdated.overview.seq).toBe(nifty.seq + 1);
    g.publish({ ...withQuote(nifty, nifty.seq + 2), chains: nifty.chains.slice(1) });
    const closing = await sub.next();
    expect(closing.data ?? null).toBeNull();
    expect(codeOf(closing.errors)).toBe('EXPIRY_NOT_FOUND');
    expect((await sub.iterator.next()).done).toBe(true);
    expect(g.pubsub.subscriberCount()).toBe(0);

    const refused = await g.refusal('subscription { expiryUpdated(index: NIFTY, expiry: "2031-01-07") { date } }');
    expect(codeOf(refused.errors as Errors)).toBe('EXPIRY_NOT_FOUND');
    expect(g.pubsub.subscriberCount()).toBe(0);
  });

  it('daysToExpiry counts calendar days from the IST date of the snapshot', async () => {
    const g = inProcess(['NIFTY']);
    g.publish(nifty);
    const { data } = await g.query('{ index(symbol: NIFTY) { expiryDetails(first: 3) { date kind daysToExpiry } } }');
    // TEST_INSTANT is Tuesday 18 Aug 2026, 11:30 IST: the weekly expiring that day is still open.
    expect(data.index.expiryDetails).toEqual([
      { date: '2026-08-18', kind: 'WEEKLY', daysToExpiry: 0 },
      { date: '2026-08-25', kind: 'MONTHLY', daysToExpiry: 7 },
      { date: '2026-09-01', kind: 'WEEKLY', daysToExpiry: 14 },
    ]);
    const before = inProcess(['NIFTY']);
    const empty = await before.query(
      '{ index(symbol: NIFTY) { expiryDetails { date } expiry(nearest: true) { date } } }',
    );
    expect(empty.errors).toBeUndefined();
    expect(empty.data).toEqual({ index: { expiryDetails: [], expiry: null } });
  });

  it('declares the new fields with their argument and result types', () => {
    const signature = (type: string, name: string) => {
      const field = (schema.getType(type) as unknown as { getFields(): Record<string, Json> }).getFields()[name];
      return `${field.args
        .map(
          (a: { name: string; type: unknown; defaultValue: unknown }) =>
            `${a.name}: ${String(a.type)}${a.defaultValue === undefined ? '' : ` = ${a.defaultValue}`}`,
        )
        .sort()
        .join(', ')} -> ${String(field.type)}`;
    };
    expect(signature('Index', 'expiries')).toBe(' -> [Date!]!');
    expect(signature('Index', 'expiry')).toBe(
      'date: Date, maxAgeSeconds: Int, nearest: Boolean, tag: ExpiryTag -> Expiry',
    );
    expect(signature('Index', 'expiryDetails')).toBe('first: Int = 20 -> [Expiry!]!');
    expect(signature('Expiry', 'chain')).toBe(
      'minOi: Float, minVolume: Float, strikeRange: StrikeRangeInput, strikesAroundAtm: Int -> OptionChain!',
    );
    expect(signature('Expiry', 'smile')).toBe(' -> [SmilePoint!]!');
    expect(signature('Expiry', 'overview')).toBe(' -> Overview!');
    expect(signature('Query', 'contract')).toBe('tradingsymbol: String! -> OptionQuote');
    expect(signature('Query', 'contracts')).toBe('tradingsymbols: [String!]! -> [OptionQuote!]!');
    expect(signature('Subscription', 'expiryUpdated')).toBe(
      'expiry: Date, expiryTag: ExpiryTag, index: IndexSymbol! -> Expiry!',
    );
    expect(signature('Subscription', 'contractsTicked')).toBe('tradingsymbols: [String!]! -> ContractsTick!');
    expect(signature('ContractsTick', 'contracts')).toBe(' -> [OptionQuote!]!');
  });

  it('maxAgeSeconds: STALE_DATA with the age when the open market’s snapshot is older, the data when not, and never for the close', async () => {
    let nowMs = nifty.observedAt.getTime() + 90_000;
    let providerUp = true;
    let resting = false;
    const g = inProcess(['NIFTY'], {
      now: () => new Date(nowMs),
      providerReady: () => providerUp,
      isResting: () => resting,
    });
    g.publish(nifty);
    const q = `query($max: Int) {
      optionChain(index: NIFTY, strikesAroundAtm: 1, maxAgeSeconds: $max) { seq stale }
      overview(index: NIFTY, maxAgeSeconds: $max) { seq }
      index(symbol: NIFTY) { expiry(nearest: true, maxAgeSeconds: $max) { atmStrike } }
    }`;

    const staleByBound = await g.query(q, { max: 60 });
    expect(staleByBound.data).toEqual({ optionChain: null, overview: null, index: { expiry: null } });
    expect(staleByBound.errors).toHaveLength(3);
    for (const error of staleByBound.errors!) {
      expect(error.extensions).toEqual({
        code: 'STALE_DATA',
        index: 'NIFTY',
        observedAt: nifty.observedAt.toISOString(),
        ageSeconds: 90,
        maxAgeSeconds: 60,
      });
    }

    // A looser bound answers; without one the same snapshot is served flagged (the server's bound is 60 s).
    const loose = await g.query(q, { max: 120 });
    expect(loose.errors).toBeUndefined();
    expect(loose.data.optionChain).toEqual({ seq: nifty.seq, stale: true });
    expect(loose.data.index.expiry.atmStrike).toBe(nifty.chains[0]!.summary.atmStrike);
    const unbounded = await g.query(q, { max: null });
    expect(unbounded.errors).toBeUndefined();
    expect(unbounded.data.overview).toEqual({ seq: nifty.seq });

    // The market closed: its close is current a whole night later.
    resting = true;
    nowMs = nifty.observedAt.getTime() + 16 * 3_600_000;
    expect((await g.query(q, { max: 1 })).errors).toBeUndefined();

    // The provider is down: even a young snapshot cannot be vouched for.
    resting = false;
    providerUp = false;
    nowMs = nifty.observedAt.getTime() + 2_000;
    const down = await g.query(q, { max: 60 });
    expect(codeOf(down.errors)).toBe('STALE_DATA');
    expect(down.errors![0]!.message).toContain('provider is not delivering');

    for (const bad of [0, 86_401]) {
      const refused = await g.query(q, { max: bad });
      expect(codeOf(refused.errors)).toBe('BAD_USER_INPUT');
      expect(refused.errors![0]!.extensions!.argument).toBe('maxAgeSeconds');
    }
  });
});
