import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/server/api-keys.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One HTTP exchange with the bytes as sent (fetch would decompress and hide Content-Encoding). */
function raw(url: string, method: 'GET' | 'POST', headers: Record<string, string>, body?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const reader = generateApiKey('reader', ['read']);
const greedy = generateApiKey('greedy', ['read']);
const historian = generateApiKey('historian', ['history']);
const CHAIN =
  '{ optionChain(index: NIFTY, strikesAroundAtm: 20) { seq strikes { strike call { lastPrice iv delta } } } }';
const OVERVIEW = '{ overview(index: NIFTY) { seq spot pcrOi } }';
const RATE_LIMIT = 20_000;

function post(t: TestApp, key: { key: string }, query: string, headers: Record<string, string> = {}) {
  return raw(
    `${t.httpUrl}/graphql`,
    'POST',
    { 'content-type': 'application/json', authorization: `Bearer ${key.key}`, ...headers },
    JSON.stringify({ query }),
  );
}

/** The parts of an answer these tests read (absent ones throw when read, failing the test). */
interface Answer {
  data: { optionChain: { strikes: unknown[] }; overview: { seq: number } };
  errors: Array<{ extensions: { code: string; http?: unknown } }>;
  extensions: { cost: { requested: number } };
}
const json = (r: Raw) => JSON.parse(r.body.toString('utf8')) as Answer;

describe('identical requests over one snapshot share one answer', () => {
  let t: TestApp;
  beforeAll(async () => {
    // One index collected once (the next collection is an hour away): the data version holds still.
    t = await startTestApp({
      G6_INDICES: 'NIFTY',
      G6_COLLECTION_INTERVAL: '3600',
      G6_RESPONSE_CACHE_TTL: '60',
      G6_API_KEYS: [reader, greedy, historian].map((k) => k.entry).join(','),
      G6_RATE_LIMIT_COST_PER_MINUTE: String(RATE_LIMIT),
    });
    await t.waitForLog((l) => l.msg === 'collected' && l.index === 'NIFTY');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('executes the first, serves the same bytes to the next, and revalidates polls with a 304', async () => {
    const first = await post(t, reader, CHAIN);
    const second = await post(t, reader, CHAIN);
    expect(first.status).toBe(200);
    expect(first.headers['x-cache']).toBe('MISS');
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.body.equals(first.body)).toBe(true);
    expect(json(first).data.optionChain.strikes).toHaveLength(41);
    expect(second.headers.etag).toBe(first.headers.etag);

    const revalidated = await post(t, reader, CHAIN, { 'if-none-match': String(first.headers.etag) });
    expect(revalidated.status).toBe(304);
    expect(revalidated.body).toHaveLength(0);
    const changedTag = await post(t, reader, CHAIN, { 'if-none-match': '"something-else"' });
    expect(changedTag.status).toBe(200);
    expect(changedTag.body.equals(first.body)).toBe(true);

    const gzipped = await post(t, reader, CHAIN, { 'accept-encoding': 'gzip, br' });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.body.length).toBeLessThan(first.body.length / 2);
    expect(gunzipSync(gzipped.body).equals(first.body)).toBe(true);

    // Another document (here only its spacing differs) is another answer.
    const respaced = await post(t, reader, CHAIN.replace('{ seq', '{  seq'));
    expect(respaced.headers['x-cache']).toBe('MISS');
  });

  it('runs one execution for a burst of identical requests that arrive together', async () => {
    const query = '{ overview(index: NIFTY) { seq atmIv maxPainStrike } }';
    const answers = await Promise.all(Array.from({ length: 20 }, () => post(t, reader, query)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(answers.filter((a) => a.headers['x-cache'] === 'MISS')).toHaveLength(1);
    expect(answers.filter((a) => a.headers['x-cache'] === 'HIT')).toHaveLength(19);
    expect(new Set(answers.map((a) => a.body.toString())).size).toBe(1);
  });

  it('checks the key and its scopes on a shared answer as on an execution', async () => {
    expect((await post(t, reader, OVERVIEW)).status).toBe(200);
    expect((await post(t, reader, OVERVIEW)).headers['x-cache']).toBe('HIT');
    const noKey = await raw(
      `${t.httpUrl}/graphql`,
      'POST',
      { 'content-type': 'application/json' },
      JSON.stringify({ query: OVERVIEW }),
    );
    expect(noKey.status).toBe(401);
    expect(json(noKey).errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
    const wrongScope = await post(t, historian, OVERVIEW);
    expect(wrongScope.headers['x-cache']).toBeUndefined();
    expect(json(wrongScope).errors[0]!.extensions.code).toBe('FORBIDDEN');
  });

  it('charges every shared answer to the client it is served to, and refuses beyond the budget', async () => {
    const first = await post(t, greedy, CHAIN);
    const units = json(first).extensions.cost.requested;
    expect(units).toBeGreaterThan(10);
    const allowed = Math.floor(RATE_LIMIT / units);
    const statuses = [first.status];
    let refused: Raw | undefined;
    for (let i = 1; i <= allowed; i++) {
      const answer = await post(t, greedy, CHAIN);
      statuses.push(answer.status);
      refused = answer.status === 429 ? answer : refused;
    }
    // Exactly `allowed` answers fit in the minute's budget; the next is refused, as an execution would be.
    expect(statuses.filter((s) => s === 200)).toHaveLength(allowed);
    expect(refused).toBeDefined();
    expect(refused!.headers['retry-after']).toMatch(/^\d+$/);
    expect(json(refused!).errors[0]!.extensions.code).toBe('RATE_LIMITED');
    expect(json(refused!).errors[0]!.extensions.http).toBeUndefined();
    // Another client's budget is its own.
    expect((await post(t, reader, CHAIN)).status).toBe(200);
  });

  it('never shares an answer with errors', async () => {
    const query = '{ optionChain(index: NIFTY, expiry: "2020-01-02") { seq } }';
    const answers = [await post(t, reader, query), await post(t, reader, query)];
    for (const answer of answers) {
      expect(json(answer).errors[0]!.extensions.code).toBe('EXPIRY_NOT_FOUND');
      expect(answer.headers['x-cache']).toBeUndefined();
    }
    const metrics = await (await fetch(`${t.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/g6_http_shared_answers_total\{outcome="unshareable"\} [1-9]/);
    expect(metrics).toMatch(/g6_http_shared_answers_total\{outcome="hit"\} [1-9]/);
  });

  it('shares GET queries that carry the CSRF header, and leaves the guard to refuse the others', async () => {
    const url = `${t.httpUrl}/graphql?query=${encodeURIComponent(OVERVIEW)}`;
    const auth = { authorization: `Bearer ${reader.key}`, accept: 'application/json' };
    const first = await raw(url, 'GET', { ...auth, 'x-graphql-yoga-csrf': '1' });
    const second = await raw(url, 'GET', { ...auth, 'x-graphql-yoga-csrf': '1' });
    expect(first.headers['x-cache']).toBe('MISS');
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.body.equals(first.body)).toBe(true);
    const forged = await raw(url, 'GET', auth);
    expect(forged.status).toBe(403);
    expect(forged.headers['x-cache']).toBeUndefined();
  });
});

describe('a newer snapshot ends sharing', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ G6_INDICES: 'NIFTY', G6_COLLECTION_INTERVAL: '0.2', G6_RESPONSE_CACHE_TTL: '60' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('answers from the newer snapshot once it is in the store, whatever the TTL', async () => {
    await t.waitForLog((l) => l.msg === 'collected' && l.index === 'NIFTY');
    const headers = { 'content-type': 'application/json' };
    const before = await raw(`${t.httpUrl}/graphql`, 'POST', headers, JSON.stringify({ query: OVERVIEW }));
    const seq = json(before).data.overview.seq;
    await t.waitForLog((l) => l.msg === 'collected' && l.index === 'NIFTY' && (l.seq as number) > seq);
    const after = await raw(`${t.httpUrl}/graphql`, 'POST', headers, JSON.stringify({ query: OVERVIEW }));
    expect(after.headers['x-cache']).toBe('MISS');
    expect(json(after).data.overview.seq).toBeGreaterThan(seq);
  });
});
