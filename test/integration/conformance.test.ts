import { auditServer } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ G6_INDICES: 'NIFTY' });
});
afterAll(async () => {
  await t?.stop();
});

describe('GraphQL over HTTP conformance', () => {
  it("passes every graphql-http server audit, MUST and SHOULD (a client sending yoga's CSRF header)", async () => {
    const results = await auditServer({
      url: `${t.httpUrl}/graphql`,
      // GET and form requests need the CSRF header (README "API keys and browsers"); JSON POSTs do not.
      fetchFn: (input: RequestInfo | URL, init?: RequestInit) => {
        const headers = new Headers(init?.headers);
        headers.set('x-graphql-yoga-csrf', '1');
        return fetch(input, { ...init, headers });
      },
    });
    const failed = results.filter((r) => r.status !== 'ok').map((r) => `${r.status} ${r.name}`);
    expect(failed).toEqual([]);
    expect(results.length).toBeGreaterThan(50);
  });

  it('answers every refusal with a JSON GraphQL error that has a code, and no internals', async () => {
    const cases: Array<[string, RequestInit, number, string, string?]> = [
      [
        'no CSRF header on a simple request',
        { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' },
        403,
        'FORBIDDEN',
      ],
      [
        'an Accept the server cannot meet',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/xml' },
          body: '{"query":"{ __typename }"}',
        },
        406,
        'NOT_ACCEPTABLE',
      ],
      [
        'an unsupported content type',
        { method: 'POST', headers: { 'content-type': 'application/xml', 'x-graphql-yoga-csrf': '1' }, body: '<x/>' },
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      [
        'invalid JSON',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{bad' },
        400,
        'BAD_REQUEST',
      ],
      [
        'a method GraphQL does not use',
        { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' },
        405,
        'BAD_REQUEST',
      ],
      // Found by the fuzz (test/integration/fuzz.test.ts): each was a 500, an unreadable or a leaky answer.
      [
        'invalid JSON in a GET’s extensions',
        { method: 'GET', headers: { 'x-graphql-yoga-csrf': '1' } },
        400,
        'BAD_REQUEST',
        '?query=%7B__typename%7D&extensions=%7B%22a%22%3A',
      ],
      [
        'invalid JSON in a form’s variables',
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-graphql-yoga-csrf': '1' },
          body: 'query=%7B__typename%7D&variables=%5B',
        },
        400,
        'BAD_REQUEST',
      ],
      [
        'a refusal to a client that accepts multipart (was chunked and sized at once)',
        { method: 'PUT', headers: { 'content-type': 'application/json', accept: 'multipart/mixed' }, body: '{}' },
        405,
        'METHOD_NOT_ALLOWED',
      ],
      [
        'list literals nested 5,000 deep (overflowed the parser’s stack)',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            query: `{ contracts(tradingsymbols: ${'['.repeat(5000)}"x"${']'.repeat(5000)}) { oi } }`,
          }),
        },
        400,
        'GRAPHQL_PARSE_FAILED',
      ],
      [
        'a query string past Node’s 16 KiB header cap',
        { method: 'GET', headers: { 'x-graphql-yoga-csrf': '1' } },
        431,
        'REQUEST_HEADER_FIELDS_TOO_LARGE',
        `?query=${'x'.repeat(20_000)}`,
      ],
    ];
    for (const [what, init, status, code, search] of cases) {
      const response = await fetch(`${t.httpUrl}/graphql${search ?? ''}`, init);
      expect(response.status, what).toBe(status);
      expect(response.headers.get('content-type'), what).toMatch(/json/);
      const body = (await response.json()) as {
        errors: Array<{ message: string; extensions: Record<string, unknown> }>;
      };
      expect(body.errors[0]?.extensions.code, what).toBe(code);
      expect(body.errors[0]?.message.length, what).toBeGreaterThan(0);
      expect(JSON.stringify(body), what).not.toMatch(/originalError|stack|at file:|node_modules/);
    }
  });

  // fetch asks for gzip; a client that accepts anything must get the stream uncompressed all the same
  // (a compressor holds events back, so the first never arrived).
  it.each([
    'text/event-stream',
    '*/*',
  ])('streams subscriptions over Server-Sent Events (Accept %s, gzip accepted)', async (accept) => {
    const response = await fetch(`${t.httpUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept, 'accept-encoding': 'gzip' },
      body: JSON.stringify({ query: 'subscription { overviewUpdated(index: NIFTY) { seq spot } }' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('content-encoding')).toBeNull();
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const seqs: number[] = [];
    while (seqs.length < 2) {
      const { value, done } = await reader.read();
      expect(done).toBe(false);
      text += decoder.decode(value, { stream: true });
      for (const match of text.matchAll(/^data: (.+)$/gm)) {
        const event = JSON.parse(match[1]!) as { data?: { overviewUpdated: { seq: number } } };
        if (event.data && !seqs.includes(event.data.overviewUpdated.seq)) {
          seqs.push(event.data.overviewUpdated.seq);
        }
      }
    }
    await reader.cancel();
    expect(seqs[1]).toBeGreaterThan(seqs[0]!);
  });

  it('answers a request error to an event-stream client with a coded 400, without the parser’s internals', async () => {
    const response = await fetch(`${t.httpUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: '{"query":',
    });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      errors: [{ message: 'POST body sent invalid JSON.', extensions: { code: 'BAD_REQUEST' } }],
    });
    expect(text).not.toMatch(/originalError|SyntaxError/);
  });
});
