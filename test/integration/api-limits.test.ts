import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { postGraphQL, startTestApp, subscribe, type TestApp } from '../helpers/test-app.ts';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) {
    await step();
  }
});

async function app(env: Record<string, string> = {}): Promise<TestApp> {
  const started = await startTestApp({ G6_INDICES: 'NIFTY', ...env });
  cleanup.push(() => started.stop());
  return started;
}

/** A live subscription that must keep receiving snapshots while other clients hit the limits. */
async function bystander(t: TestApp) {
  const ws = subscribe<{ overviewUpdated: { seq: number } }>(
    t.wsUrl,
    'subscription { overviewUpdated(index: NIFTY) { seq } }',
  );
  cleanup.push(() => ws.close());
  const first = (await ws.next()).data!.overviewUpdated.seq;
  return {
    async stillReceiving() {
      expect((await ws.next()).data!.overviewUpdated.seq).toBeGreaterThan(first);
      expect((await fetch(`${t.httpUrl}/health`)).status).toBe(200);
    },
  };
}

function raw(
  t: TestApp,
  body: string,
  headers: Record<string, string>,
  localAddress?: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${t.httpUrl}/graphql`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        ...(localAddress === undefined ? {} : { localAddress }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const chainQuery = (strikes: number, extra = '') =>
  `{ optionChain(index: NIFTY, strikesAroundAtm: ${strikes}${extra}) { strikes { strike call { iv delta } put { iv delta } } } }`;

describe('API limits', () => {
  it('refuses too deep, too many aliases and too many tokens with coded errors; others carry on', async () => {
    const t = await app({ G6_MAX_QUERY_DEPTH: '3', G6_MAX_ALIASES: '5', G6_MAX_TOKENS: '300' });
    const watcher = await bystander(t);
    const deep = await postGraphQL(
      t.httpUrl,
      '{ optionChain(index: NIFTY) { overview { dataQuality { score } } strikes { call { buildUp } } } }',
    );
    expect(deep.errors?.[0]).toMatchObject({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    expect(deep.errors?.[0]?.message).toMatch(/depth limit of 3/);
    const aliases = await postGraphQL(
      t.httpUrl,
      `{ ${Array.from({ length: 6 }, (_, i) => `a${i}: indices { symbol }`).join(' ')} }`,
    );
    expect(aliases.errors?.[0]).toMatchObject({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    expect(aliases.errors?.[0]?.message).toMatch(/Aliases limit of 5/);
    // 10,000 nested braces: refused by the token cap before the parser could recurse that deep.
    const nested = await raw(t, JSON.stringify({ query: `${'{ a '.repeat(10_000)}${'}'.repeat(10_000)}` }), {});
    expect(nested.status).toBeLessThan(500);
    expect(JSON.parse(nested.body.toString()).errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    const ok = await postGraphQL(t.httpUrl, '{ a: indices { symbol } b: indices { lotSize } }');
    expect(ok.errors).toBeUndefined();
    await watcher.stillReceiving();
  });

  it('prices operations by the work they ask for, reports the cost and refuses one over budget', async () => {
    const t = await app({ G6_MAX_QUERY_COST: '150' });
    const watcher = await bystander(t);
    const cost = async (query: string) =>
      (await raw(t, JSON.stringify({ query }), {}).then((r) => JSON.parse(r.body.toString()))) as {
        extensions?: { cost?: { requested: number; maximum: number } };
        errors?: Array<{ extensions: { code: string; cost: number; maxCost: number } }>;
      };
    const small = await cost(chainQuery(2));
    const large = await cost(chainQuery(20));
    expect(small.extensions?.cost?.maximum).toBe(150);
    // Rows × (row + call + put): 5 rows against 41.
    expect(large.extensions!.cost!.requested).toBeGreaterThan(small.extensions!.cost!.requested * 6);
    // What-if repricing costs more than reading the same strikes.
    const repriced = await cost(chainQuery(20, ', scenario: { spotShiftPct: 1 }'));
    expect(repriced.extensions?.cost?.requested ?? repriced.errors?.[0]?.extensions.cost).toBeGreaterThan(
      large.extensions!.cost!.requested,
    );
    const aliases = `{ ${Array.from({ length: 12 }, (_, i) => `c${i}: ${chainQuery(30).slice(2, -2)}`).join(' ')} }`;
    const refused = await cost(aliases);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', maxCost: 150 });
    expect(refused.errors?.[0]?.extensions.cost).toBeGreaterThan(150);
    // The same budget holds for subscriptions.
    // The same budget holds for subscriptions: every collected strike (61 rows) is over 150.
    const sub = subscribe(
      t.wsUrl,
      'subscription { optionChainUpdated(index: NIFTY) { strikes { strike call { iv } put { iv } } } }',
    );
    cleanup.push(() => sub.close());
    const event = await sub.next();
    expect(event.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COSTLY');
    await watcher.stillReceiving();
  });

  it('charges each client its operations cost per minute: RATE_LIMITED with 429 and Retry-After past it', async () => {
    const t = await app({ G6_RATE_LIMIT_COST_PER_MINUTE: '200' });
    const query = JSON.stringify({ query: chainQuery(5) }); // 11 rows × 3 + 1 = 34 units
    const answers: Array<{ status: number; headers: Record<string, unknown>; body: Buffer }> = [];
    for (let i = 0; i < 7; i += 1) {
      answers.push(await raw(t, query, {}, '127.0.0.1'));
    }
    expect(answers.slice(0, 5).map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    const limited = answers.at(-1)!;
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(limited.body.toString()).errors[0].extensions).toMatchObject({
      code: 'RATE_LIMITED',
      costPerMinute: 200,
    });
    // Another client (another loopback address) has its own budget.
    expect((await raw(t, query, {}, '127.0.0.2')).status).toBe(200);
    // A subscription started by the spent client is refused with an error message, the socket stays.
    const sub = subscribe(t.wsUrl, 'subscription { optionChainUpdated(index: NIFTY, strikesAroundAtm: 5) { seq } }');
    cleanup.push(() => sub.close());
    expect((await sub.next()).errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  });

  it('refuses a body over G6_MAX_BODY_BYTES with 413, declared or streamed, and serves the next request', async () => {
    const t = await app({ G6_MAX_BODY_BYTES: '2048' });
    const big = JSON.stringify({ query: `{ indices { symbol } }${' '.repeat(4000)}` });
    const declared = await raw(t, big, {});
    expect(declared.status).toBe(413);
    const streamed = await raw(t, big, { 'transfer-encoding': 'chunked' });
    expect(streamed.status).toBe(413);
    expect((await postGraphQL(t.httpUrl, '{ indices { symbol } }')).errors).toBeUndefined();
    // Bodies a few times the limit are read before the answer, so a client still sending reads the 413
    // instead of a reset connection (ECONNRESET), however the race between its writes and our answer goes.
    const larger = JSON.stringify({ query: `{ indices { symbol } }${' '.repeat(600_000)}` });
    const answers = await Promise.all(Array.from({ length: 20 }, () => raw(t, larger, {})));
    for (const answer of answers) {
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body.toString()).errors[0]).toMatchObject({
        message: `request body of ${Buffer.byteLength(larger)} bytes exceeds G6_MAX_BODY_BYTES (2048)`,
        extensions: { code: 'REQUEST_ENTITY_TOO_LARGE' },
      });
    }
  });

  it('closes a WebSocket that sends a message over G6_MAX_BODY_BYTES with 1009, other sockets carry on', async () => {
    const t = await app({ G6_MAX_BODY_BYTES: '4096' });
    const watcher = await bystander(t);
    const { WebSocket } = await import('ws');
    const socket = new WebSocket(t.wsUrl, 'graphql-transport-ws');
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.once('open', () =>
      socket.send(JSON.stringify({ type: 'connection_init', payload: { pad: 'x'.repeat(8000) } })),
    );
    expect(await closed).toBe(1009);
    await watcher.stillReceiving();
  });

  it('caps WebSockets per client (4403 past it) and frees the place when one closes', async () => {
    const t = await app({ G6_WS_MAX_SOCKETS_PER_CLIENT: '2' });
    const { createClient } = await import('graphql-ws');
    const { WebSocket } = await import('ws');
    const clients = [0, 1, 2].map(() => {
      const closes: number[] = [];
      const client = createClient({
        url: t.wsUrl,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        lazy: true,
        on: { closed: (event) => closes.push((event as { code: number }).code) },
      });
      cleanup.push(() => client.dispose());
      return { client, closes };
    });
    const query = 'subscription { overviewUpdated(index: NIFTY) { seq } }';
    const first = clients[0]!.client.iterate({ query });
    await first.next();
    const second = clients[1]!.client.iterate({ query });
    await second.next();
    await expect(clients[2]!.client.iterate({ query }).next()).rejects.toMatchObject({ code: 4403 });
    await first.return?.();
    await clients[0]!.client.dispose();
    // The place is free again (the server counts the close as it happens; retry until it has).
    for (;;) {
      const again = createClient({ url: t.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
      const outcome = await again
        .iterate({ query })
        .next()
        .then(
          () => 'served',
          () => 'refused',
        );
      await again.dispose();
      if (outcome === 'served') {
        break;
      }
    }
    await second.return?.();
  });

  it('closes a WebSocket whose reader falls G6_WS_MAX_BUFFERED_BYTES behind (1013), counting it', async () => {
    const t = await app({ G6_WS_MAX_BUFFERED_BYTES: '16384', G6_COLLECTION_INTERVAL: '0.05' });
    const watcher = await bystander(t);
    const { WebSocket } = await import('ws');
    const slow = new WebSocket(t.wsUrl, 'graphql-transport-ws');
    cleanup.push(() => slow.terminate());
    const acked = new Promise<void>((resolve) => slow.once('message', () => resolve()));
    slow.once('open', () => slow.send(JSON.stringify({ type: 'connection_init' })));
    await acked;
    const fields =
      'strike call { tradingsymbol lastPrice bid ask oi volume iv delta gamma thetaPerDay vegaPerVolPoint } put { tradingsymbol lastPrice bid ask oi volume iv delta gamma thetaPerDay vegaPerVolPoint }';
    slow.send(
      JSON.stringify({
        id: '1',
        type: 'subscribe',
        payload: { query: `subscription { optionChainUpdated(index: NIFTY) { strikes { ${fields} } } }` },
      }),
    );
    // Stop reading: the kernel buffers fill, then the server's unsent bytes grow past the bound.
    (slow as unknown as { _socket: { pause(): void } })._socket.pause();
    for (;;) {
      const metrics = await (await fetch(`${t.httpUrl}/metrics`)).text();
      if (/^g6_ws_slow_consumers_closed_total [1-9]/m.test(metrics)) {
        break;
      }
      await new Promise<void>((resolve) => setTimeout(resolve, 50));
    }
    await watcher.stillReceiving();
  }, 60_000);

  it('caps subscriptions per WebSocket with RATE_LIMITED for the one over, keeping the others', async () => {
    const t = await app({ G6_WS_MAX_SUBSCRIPTIONS: '2' });
    const { createClient } = await import('graphql-ws');
    const { WebSocket } = await import('ws');
    const client = createClient({ url: t.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
    cleanup.push(() => client.dispose());
    const query = 'subscription { overviewUpdated(index: NIFTY) { seq } }';
    const one = client.iterate<{ overviewUpdated: { seq: number } }>({ query });
    const two = client.iterate<{ overviewUpdated: { seq: number } }>({ query });
    await one.next();
    await two.next();
    const three = client.iterate({ query });
    await expect(three.next()).rejects.toMatchObject([{ extensions: { code: 'RATE_LIMITED', limit: 2 } }]);
    const later = await one.next();
    expect(later.done).toBe(false);
    await one.return?.();
    await two.return?.();
  });

  it('sheds requests beyond G6_MAX_IN_FLIGHT with 503 and Retry-After, never /health', async () => {
    const t = await app({ G6_MAX_IN_FLIGHT: '1' });
    // A request whose body never finishes holds the only slot.
    const held = request(`${t.httpUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    });
    held.on('error', () => undefined);
    const accepted = new Promise<void>((resolve) => held.once('socket', (s) => s.once('connect', resolve)));
    held.write('{"query":');
    await accepted;
    let shed: { status: number; headers: Record<string, unknown>; body: Buffer } | undefined;
    do {
      shed = await raw(t, JSON.stringify({ query: '{ indices { symbol } }' }), {});
    } while (shed.status !== 503);
    expect(shed.headers['retry-after']).toBe('1');
    expect(JSON.parse(shed.body.toString()).errors[0].extensions.code).toBe('SERVER_BUSY');
    expect((await fetch(`${t.httpUrl}/health`)).status).toBe(200);
    const metrics = await (await fetch(`${t.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^g6_http_requests_shed_total [1-9]/m);
    held.destroy();
    let after = 0;
    do {
      after = (await raw(t, JSON.stringify({ query: '{ indices { symbol } }' }), {})).status;
    } while (after === 503);
    expect(after).toBe(200);
  });

  it('gzips a large answer for a client that accepts it', async () => {
    // One snapshot, then none: both answers are of the same data.
    const t = await app({ G6_COLLECTION_INTERVAL: '3600' });
    await t.waitForLog((line) => line.msg === 'collected');
    const body = JSON.stringify({ query: chainQuery(30) });
    const plain = await raw(t, body, {});
    const zipped = await raw(t, body, { 'accept-encoding': 'gzip' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.body.length).toBeLessThan(plain.body.length / 2);
    expect(JSON.parse(gunzipSync(zipped.body).toString())).toEqual(JSON.parse(plain.body.toString()));
  });
});
