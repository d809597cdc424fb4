import { Writable } from 'node:stream';
import { createClient } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { generateApiKey } from '../../src/server/api-keys.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) {
    await step();
  }
});

const reader = generateApiKey('dashboard', ['read']);
const full = generateApiKey('notebook', ['read', 'subscribe', 'history']);

async function keyedApp(env: Record<string, string> = {}): Promise<TestApp> {
  const t = await startTestApp({ G6_INDICES: 'NIFTY', G6_API_KEYS: `${reader.entry},${full.entry}`, ...env });
  cleanup.push(() => t.stop());
  return t;
}

async function post(t: TestApp, query: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${t.httpUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, never> };
}

const HISTORY = '{ history(index: NIFTY, from: "2026-12-01T00:00:00Z", to: "2026-12-03T00:00:00Z") { totalCount } }';

describe('API keys', () => {
  it('answers UNAUTHENTICATED without a known key, FORBIDDEN without the scope, and serves a key that has it', async () => {
    const t = await keyedApp();
    const none = await post(t, '{ indices { symbol } }');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="g6"');
    expect(none.body).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    const wrong = await post(t, '{ indices { symbol } }', { authorization: `Bearer ${reader.key}x` });
    expect(wrong.status).toBe(401);
    const read = await post(t, '{ indices { symbol } }', { authorization: `Bearer ${reader.key}` });
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ data: { indices: [{ symbol: 'NIFTY' }] }, extensions: expect.anything() });
    const history = await post(t, HISTORY, { authorization: `bearer ${reader.key}` });
    expect(history.body).toMatchObject({
      errors: [{ extensions: { code: 'FORBIDDEN', missingScopes: ['history'] } }],
    });
    const allowed = await post(t, HISTORY, { 'x-api-key': full.key });
    expect(allowed.body).toMatchObject({ data: { history: { totalCount: expect.any(Number) } } });
    // Liveness, readiness and metrics stay open for probes and Prometheus.
    expect((await fetch(`${t.httpUrl}/health`)).status).toBe(200);
    expect((await fetch(`${t.httpUrl}/metrics`)).status).toBe(200);
    // The GraphiQL page loads in a browser without a key (its requests then need one).
    const page = await fetch(`${t.httpUrl}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('GraphiQL');
    // No key ever reaches a log line.
    const logs = t.logLines.join('\n');
    expect(logs).not.toContain(reader.key);
    expect(logs).not.toContain(full.key);
  });

  it('takes the WebSocket key from connectionParams: 4403 without one, FORBIDDEN without subscribe', async () => {
    const t = await keyedApp();
    const closes: number[] = [];
    const anonymous = createClient({
      url: t.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      on: { closed: (event) => closes.push((event as { code: number }).code) },
    });
    cleanup.push(() => anonymous.dispose());
    await expect(
      anonymous.iterate({ query: 'subscription { overviewUpdated(index: NIFTY) { seq } }' }).next(),
    ).rejects.toMatchObject({
      code: 4403,
    });
    expect(closes).toEqual([4403]);

    const readOnly = createClient({
      url: t.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${reader.key}` },
    });
    cleanup.push(() => readOnly.dispose());
    await expect(
      readOnly.iterate({ query: 'subscription { overviewUpdated(index: NIFTY) { seq } }' }).next(),
    ).rejects.toMatchObject([{ extensions: { code: 'FORBIDDEN', missingScopes: ['subscribe'] } }]);

    const notebook = createClient({
      url: t.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${full.key}` },
    });
    cleanup.push(() => notebook.dispose());
    const stream = notebook.iterate<{ overviewUpdated: { seq: number } }>({
      query: 'subscription { overviewUpdated(index: NIFTY) { seq } }',
    });
    const first = await stream.next();
    expect((first.value as { data: { overviewUpdated: { seq: number } } }).data.overviewUpdated.seq).toBeGreaterThan(0);
    await stream.return?.();
  });

  it('refuses bad G6_API_KEYS entries at start-up, naming the entry, never echoing it', () => {
    const result = loadConfig({ G6_API_KEYS: `${full.entry},bad:1234:read,x:${'a'.repeat(64)}:admin` }, []);
    expect(result.kind).toBe('invalid');
    const errors = result.kind === 'invalid' ? result.errors.join('\n') : '';
    expect(errors).toContain('G6_API_KEYS: entry 2 (bad): expected the key');
    expect(errors).toContain('G6_API_KEYS: entry 3 (x): scopes must be read, subscribe, history');
    expect(errors).not.toContain('1234');
    const fromFile = loadConfig({ G6_API_KEYS: '@/run/secrets/g6-keys' }, [], false, (path) =>
      path === '/run/secrets/g6-keys' ? `${reader.entry}\n${full.entry}\n` : '',
    );
    expect(fromFile.kind === 'config' && fromFile.config.api.apiKeys.map((k) => k.name)).toEqual([
      'dashboard',
      'notebook',
    ]);
  });

  it('redacts Authorization in any case wherever a logged object carries it', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ logLevel: 'info', logFormat: 'json' }, sink);
    logger.error({ err: { config: { headers: { Authorization: `Bearer ${full.key}` } } } }, 'request failed');
    logger.info({ headers: { authorization: `Bearer ${full.key}`, 'x-api-key': full.key } }, 'request');
    expect(lines.join('')).not.toContain(full.key);
    expect(lines.join('')).toContain('[Redacted]');
  });
});

describe('browsers', () => {
  it('needs the CSRF header on requests a page could send without a preflight', async () => {
    const t = await startTestApp({ G6_INDICES: 'NIFTY' });
    cleanup.push(() => t.stop());
    const url = `${t.httpUrl}/graphql?query=${encodeURIComponent('{ indices { symbol } }')}`;
    const bare = await fetch(url, { headers: { accept: 'application/json' } });
    expect(bare.status).toBe(403);
    const withHeader = await fetch(url, { headers: { accept: 'application/json', 'x-graphql-yoga-csrf': '1' } });
    expect(withHeader.status).toBe(200);
  });

  it('lets only the configured origins read answers across sites', async () => {
    const closed = await startTestApp({ G6_INDICES: 'NIFTY' });
    cleanup.push(() => closed.stop());
    const ask = (t: TestApp, origin: string) =>
      fetch(`${t.httpUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin },
        body: JSON.stringify({ query: '{ indices { symbol } }' }),
      });
    expect((await ask(closed, 'https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
    const open = await startTestApp({ G6_INDICES: 'NIFTY', G6_CORS_ORIGINS: 'https://app.example.com' });
    cleanup.push(() => open.stop());
    expect((await ask(open, 'https://app.example.com')).headers.get('access-control-allow-origin')).toBe(
      'https://app.example.com',
    );
    expect((await ask(open, 'https://evil.example')).headers.get('access-control-allow-origin')).not.toBe(
      'https://evil.example',
    );
  });
});
