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
    const ask = (init: RequestInit) => fetch(`${t.httpUrl}/graphql`, init);
    const cases: Array<[string, RequestInit, number, string]> = [
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
    ];
    for (const [what, init, status, code] of cases) {
      const response = await ask(init);
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

  it('streams subscriptions over Server-Sent Events for clients without WebSockets', async () => {
    const response = await fetch(`${t.httpUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { overviewUpdated(index: NIFTY) { seq spot } }' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
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
});
