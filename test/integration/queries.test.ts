import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IndexSymbol } from '../../src/domain/indices.ts';
import type { IndexSnapshot } from '../../src/domain/snapshot.ts';
import { createLogger } from '../../src/logger.ts';
import { createContextFactory } from '../../src/schema/context.ts';
import { schema } from '../../src/schema/index.ts';
import { createServer, type G6Server } from '../../src/server/create-server.ts';
import { createSnapshotPubSub } from '../../src/store/snapshot-pubsub.ts';
import { createSnapshotStore } from '../../src/store/snapshot-store.ts';
import { CONTRACT_QUERY } from '../helpers/contract-query.ts';
import { simulatedSnapshots, testSettings } from '../helpers/simulated-snapshots.ts';

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
    createContext: createContextFactory({
      store,
      pubsub: createSnapshotPubSub(),
      indices: configured,
      analysis: testSettings(),
      serverInfo: {
        version: 'test',
        provider: 'simulated',
        startedAt: new Date(0),
        collectionIntervalMs: 2000,
        collectorStatus: () => [],
      },
    }),
    logger: createLogger({ logLevel: 'silent' as never, logFormat: 'json' }),
    registry: null,
    health: () => ({ ready: true, problems: [] }),
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
});
