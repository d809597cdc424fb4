import { createClient } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { postGraphQL, startTestApp } from '../helpers/test-app.ts';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) {
    await step();
  }
});

const historyOf = (from: string) =>
  `{ history(index: NIFTY, from: "${from}", to: "2026-12-31T00:00:00Z") { totalCount } }`;

describe('coded errors and strict input', () => {
  it('fails only the subscription whose document is broken; the socket and its other subscription carry on', async () => {
    const app = await startTestApp({ G6_INDICES: 'NIFTY' });
    cleanup.push(() => app.stop());
    const closes: number[] = [];
    const client = createClient({
      url: app.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      on: { closed: (event) => closes.push((event as { code: number }).code) },
    });
    cleanup.push(() => client.dispose());
    const good = client.iterate<{ overviewUpdated: { seq: number } }>({
      query: 'subscription { overviewUpdated(index: NIFTY) { seq } }',
    });
    const first = await good.next();
    const broken = client.iterate({ query: 'subscription { overviewUpdated(index: NIFTY' });
    await expect(broken.next()).rejects.toMatchObject([
      { message: expect.stringContaining('Syntax Error'), extensions: { code: 'GRAPHQL_PARSE_FAILED' } },
    ]);
    const invalid = client.iterate({ query: 'subscription { overviewUpdated(index: NIFTY) { sequ } }' });
    const rejection = await invalid.next().catch((errors: unknown) => errors);
    expect(rejection).toMatchObject([{ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }]);
    expect(JSON.stringify(rejection)).not.toContain('Did you mean');
    // An operationName the document lacks (graphql-ws's own answer had no code), or a deep nesting.
    const unnamed = client.iterate({
      query: 'subscription A { overviewUpdated(index: NIFTY) { seq } }',
      operationName: 'B',
    });
    await expect(unnamed.next()).rejects.toMatchObject([
      { message: 'no operation named "B" in the document', extensions: { code: 'BAD_USER_INPUT' } },
    ]);
    const deep = client.iterate({ query: `subscription { contractsTicked(tradingsymbols: ${'['.repeat(3000)}) }` });
    await expect(deep.next()).rejects.toMatchObject([
      { message: expect.stringContaining('nested deeper than 64'), extensions: { code: 'GRAPHQL_PARSE_FAILED' } },
    ]);
    // The good subscription still gets the next collection on the same socket.
    const next = await good.next();
    expect((next.value as { data: { overviewUpdated: { seq: number } } }).data.overviewUpdated.seq).toBeGreaterThan(
      (first.value as { data: { overviewUpdated: { seq: number } } }).data.overviewUpdated.seq,
    );
    await good.return?.();
    expect(closes).toEqual([]);
  });

  it('codes request errors and keeps field suggestions out of validation messages unless G6_DEBUG', async () => {
    const app = await startTestApp({ G6_INDICES: 'NIFTY' });
    cleanup.push(() => app.stop());
    const typo = await postGraphQL(app.httpUrl, '{ overview(index: NIFTY) { spo } }');
    expect(typo.errors?.[0]).toMatchObject({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    expect(typo.errors?.[0]?.message).toBe('Cannot query field "spo" on type "Overview".');
    const mutation = await postGraphQL(app.httpUrl, 'mutation { anything }');
    expect(mutation.errors?.[0]).toMatchObject({
      message: 'Schema is not configured to execute mutation operation.',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    const coercion = await postGraphQL(
      app.httpUrl,
      'query ($n: Int) { optionChain(index: NIFTY, strikesAroundAtm: $n) { expiry } }',
      { n: 'twelve' },
    );
    expect(coercion.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    const debug = await startTestApp({ G6_INDICES: 'NIFTY', G6_DEBUG: 'true' });
    cleanup.push(() => debug.stop());
    const suggested = await postGraphQL(debug.httpUrl, '{ overview(index: NIFTY) { spo } }');
    expect(suggested.errors?.[0]?.message).toContain('Did you mean "spot"');
  });

  it('reads DateTime strictly: a real calendar date and an explicit offset, else BAD_USER_INPUT', async () => {
    const app = await startTestApp({ G6_INDICES: 'NIFTY' });
    cleanup.push(() => app.stop());
    for (const bad of ['2026-02-30T00:00:00Z', '2026-08-18T10:00:00', '2026-08-18T24:00:00Z', '18/08/2026', '']) {
      const result = await postGraphQL(app.httpUrl, historyOf(bad));
      expect(result.errors?.[0]?.extensions?.code, bad).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0]?.message, bad).toContain('DateTime must be an ISO 8601 instant');
    }
    for (const good of ['2026-08-18T09:30:00+05:30', '2026-08-18T04:00:00.123456Z', '2026-08-18 04:00Z']) {
      const result = await postGraphQL(app.httpUrl, historyOf(good));
      expect(result.errors, good).toBeUndefined();
      expect((result.data!.history as { totalCount: number }).totalCount, good).toBeGreaterThanOrEqual(0);
    }
  });
});
