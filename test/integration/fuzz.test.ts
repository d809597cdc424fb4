import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { buildClientSchema, getIntrospectionQuery, type IntrospectionQuery } from 'graphql';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { generateApiKey } from '../../src/server/api-keys.ts';
import {
  type GeneratedOperation,
  type OperationArbitraries,
  onceIn,
  operationArbitraries,
} from '../helpers/operation-arbitraries.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

/**
 * Thousands of operations generated from the live schema, sent the ways clients and attackers send them.
 * Whatever arrives, the answer is JSON (or an event stream of JSON), never a 5xx, every error has a code,
 * nothing internal leaks, and the server still serves normal clients afterwards. `G6_FUZZ_RUNS` and
 * `G6_FUZZ_SEED` reproduce or widen a run; a failure prints the seed and the first offending requests.
 */
const RUNS = Number(process.env.G6_FUZZ_RUNS ?? 10_000);
const WS_RUNS = Math.max(100, Math.round(RUNS / 10));
const SEED = Number(process.env.G6_FUZZ_SEED ?? 20261202);
const CONCURRENCY = 4;
const INDICES = ['NIFTY', 'BANKNIFTY', 'FINNIFTY', 'MIDCPNIFTY', 'SENSEX'];

const full = generateApiKey('fuzz', ['read', 'subscribe', 'history']);
const reader = generateApiKey('fuzz-reader', ['read']);

/** What leaking internals looks like in an answer. */
const LEAKS: ReadonlyArray<[string, RegExp]> = [
  ['a stack frame', /\bat (?:file:|node:|\/|async |new |Object\.)/],
  ['a source path', /\.(?:ts|js|mjs|cjs):\d+/],
  ['node_modules', /node_modules/],
  ['the checkout path', new RegExp(process.cwd().replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))],
  ['originalError', /originalError/],
  ['a stack property', /"stack"\s*:/],
  ['a JavaScript error name', /\b(?:TypeError|ReferenceError|RangeError|InternalError)\b/],
  ['a field suggestion', /Did you mean/],
];

interface FuzzRequest {
  readonly label: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

function describeRequest(r: FuzzRequest): string {
  const body =
    r.body === undefined ? '' : ` ${r.body.length > 300 ? `${r.body.slice(0, 300)}…(${r.body.length})` : r.body}`;
  const path = r.path.length > 300 ? `${r.path.slice(0, 300)}…` : r.path;
  return `${r.label}: ${r.method} ${path} ${JSON.stringify(r.headers)}${body}`;
}

interface Generators {
  readonly valid: OperationArbitraries;
  readonly wild: OperationArbitraries;
}

function requestArbitrary(ops: Generators): fc.Arbitrary<FuzzRequest> {
  // Half within the schema's rules, to reach the resolvers; the rest wrong in every way, or unparsable.
  const operation = fc.oneof(
    { arbitrary: ops.valid.operation, weight: 6 },
    { arbitrary: ops.wild.operation, weight: 3 },
    { arbitrary: ops.wild.broken, weight: 1 },
  );
  const garbageJson = fc.constantFrom('{bad', '[', '"x"', '1', 'null', '[]', '{"a":', 'undefined', '\u0000');
  const variablesJson = (op: GeneratedOperation) =>
    fc.oneof(
      { arbitrary: fc.constant(op.variables === undefined ? undefined : JSON.stringify(op.variables)), weight: 15 },
      { arbitrary: garbageJson, weight: 1 },
    );
  const auth = fc.oneof(
    { arbitrary: fc.constant<Record<string, string>>({ authorization: `Bearer ${full.key}` }), weight: 30 },
    { arbitrary: fc.constant<Record<string, string>>({ 'x-api-key': reader.key }), weight: 2 },
    { arbitrary: fc.constant<Record<string, string>>({}), weight: 1 },
    {
      arbitrary: fc
        .constantFrom(
          'Bearer ',
          'Bearer nope',
          'Basic Zm9vOmJhcg==',
          `bearer ${full.key}x`,
          `Bearer ${'k'.repeat(5000)}`,
        )
        .map((value) => ({ authorization: value })),
      weight: 1,
    },
  );
  const accept = fc.oneof(
    {
      arbitrary: fc.constantFrom(
        undefined,
        'application/json',
        'application/graphql-response+json',
        'application/graphql-response+json, application/json;q=0.9',
        '*/*',
        'application/json, text/event-stream',
      ),
      weight: 8,
    },
    { arbitrary: fc.constantFrom('text/event-stream', 'multipart/mixed', 'image/png'), weight: 1 },
  );
  const common = fc.record({
    auth,
    accept,
    csrf: fc.oneof({ arbitrary: fc.constant(true), weight: 9 }, { arbitrary: fc.constant(false), weight: 1 }),
  });
  const headersOf = (c: { auth: Record<string, string>; accept: string | undefined; csrf: boolean }) => ({
    ...c.auth,
    ...(c.accept === undefined ? {} : { accept: c.accept }),
    ...(c.csrf ? { 'x-graphql-yoga-csrf': '1' } : {}),
  });

  const postJson = fc.tuple(operation, common, onceIn(30, garbageJson)).chain(([op, c, raw]) =>
    variablesJson(op).map(
      (variables): FuzzRequest => ({
        label: 'POST json',
        method: 'POST',
        path: '/graphql',
        headers: { ...headersOf(c), 'content-type': 'application/json' },
        body:
          raw ??
          `{"query":${JSON.stringify(op.query)}${variables === undefined ? '' : `,"variables":${variables}`}${
            op.operationName === undefined ? '' : `,"operationName":${JSON.stringify(op.operationName)}`
          }}`,
      }),
    ),
  );
  const batch = fc.tuple(fc.array(ops.wild.operation, { minLength: 1, maxLength: 3 }), common).map(
    ([list, c]): FuzzRequest => ({
      label: 'POST batch',
      method: 'POST',
      path: '/graphql',
      headers: { ...headersOf(c), 'content-type': 'application/json' },
      body: JSON.stringify(list),
    }),
  );
  const params = (op: GeneratedOperation, variables: string | undefined, extensions: string | undefined) => {
    const search = new URLSearchParams({ query: op.query });
    if (variables !== undefined) {
      search.set('variables', variables);
    }
    if (extensions !== undefined) {
      search.set('extensions', extensions);
    }
    if (op.operationName !== undefined) {
      search.set('operationName', op.operationName);
    }
    return search.toString();
  };
  const extensionsJson = onceIn(3, fc.oneof(garbageJson, fc.constant('{"persistedQuery":{"version":1}}')));
  const get = fc.tuple(operation, common, extensionsJson).chain(([op, c, extensions]) =>
    variablesJson(op).map(
      (variables): FuzzRequest => ({
        label: 'GET',
        method: 'GET',
        path: `/graphql?${params(op, variables, extensions ?? undefined)}`,
        // A browser's text/html GET is GraphiQL, a page on purpose: the fuzz speaks as an API client.
        headers: headersOf(c),
      }),
    ),
  );
  const form = fc.tuple(operation, common, extensionsJson).chain(([op, c, extensions]) =>
    variablesJson(op).map(
      (variables): FuzzRequest => ({
        label: 'POST form',
        method: 'POST',
        path: '/graphql',
        headers: { ...headersOf(c), 'content-type': 'application/x-www-form-urlencoded' },
        body: params(op, variables, extensions ?? undefined),
      }),
    ),
  );
  const rawQuery = fc.tuple(operation, common).map(
    ([op, c]): FuzzRequest => ({
      label: 'POST application/graphql',
      method: 'POST',
      path: '/graphql',
      headers: { ...headersOf(c), 'content-type': 'application/graphql' },
      body: op.query,
    }),
  );
  const wrongType = fc
    .tuple(
      operation,
      common,
      fc.constantFrom(
        'text/plain',
        'application/xml',
        'multipart/form-data; boundary=x',
        'application/json; charset=latin1',
        'application/octet-stream',
        '',
      ),
      fc.boolean(),
    )
    .map(
      ([op, c, type, asJson]): FuzzRequest => ({
        label: 'POST wrong content type',
        method: 'POST',
        path: '/graphql',
        headers: { ...headersOf(c), ...(type === '' ? {} : { 'content-type': type }) },
        body: asJson ? JSON.stringify({ query: op.query }) : op.query,
      }),
    );
  const otherMethod = fc.tuple(fc.constantFrom('PUT', 'DELETE', 'PATCH'), common).map(
    ([method, c]): FuzzRequest => ({
      label: 'other method',
      method,
      path: '/graphql',
      headers: { ...headersOf(c), 'content-type': 'application/json' },
      body: '{"query":"{ __typename }"}',
    }),
  );
  const pathological = fc
    .tuple(
      fc.constantFrom('nested selections', 'nested lists', 'nested objects', 'aliases', 'oversized body', 'directives'),
      fc.integer({ min: 50, max: 20_000 }),
      common,
    )
    .map(([kind, n, c]): FuzzRequest => {
      const query =
        kind === 'nested selections'
          ? `{ index(symbol: NIFTY) ${'{ expiry(nearest: true) '.repeat(n)}${'}'.repeat(n + 1)}`
          : kind === 'nested lists'
            ? `{ contracts(tradingsymbols: ${'['.repeat(n)}"x"${']'.repeat(n)}) { tradingsymbol } }`
            : kind === 'nested objects'
              ? `{ optionChain(index: NIFTY, scenario: ${'{spotShift: '.repeat(n)}1${'}'.repeat(n)}) { seq } }`
              : kind === 'aliases'
                ? `{ ${Array.from({ length: Math.min(n, 3000) }, (_, i) => `a${i}: optionChain(index: NIFTY) { seq }`).join(' ')} }`
                : kind === 'directives'
                  ? `{ __typename ${'@include(if: true) '.repeat(Math.min(n, 5000))}}`
                  : `{ __typename } #${'x'.repeat(300_000 + n)}`;
      return {
        label: `pathological: ${kind} ×${n}`,
        method: 'POST',
        path: '/graphql',
        headers: { ...headersOf(c), 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      };
    });
  return fc.oneof(
    { arbitrary: postJson, weight: 16 },
    { arbitrary: get, weight: 4 },
    { arbitrary: form, weight: 2 },
    { arbitrary: batch, weight: 1 },
    { arbitrary: rawQuery, weight: 1 },
    { arbitrary: wrongType, weight: 2 },
    { arbitrary: otherMethod, weight: 1 },
    { arbitrary: pathological, weight: 1 },
  );
}

/** The JSON payloads of an answer: the body, or each event of a stream up to its first result. */
async function payloadsOf(response: Response): Promise<{ payloads: unknown[]; problem?: string }> {
  const type = response.headers.get('content-type') ?? '';
  if (type.startsWith('text/event-stream') || type.startsWith('multipart/mixed')) {
    // A subscription streams until cancelled: read up to the first complete result, then hang up.
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const payloads: unknown[] = [];
    try {
      while (payloads.length === 0) {
        const { value, done } = await reader.read();
        if (done) {
          break;
        }
        text += decoder.decode(value, { stream: true });
        payloads.push(...(type.startsWith('text/event-stream') ? sseEvents(text) : multipartParts(text)));
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
    return payloads.length === 0
      ? { payloads, problem: `a ${type} answer with no JSON result: ${text}` }
      : { payloads };
  }
  const text = await response.text();
  if (!type.includes('json')) {
    return { payloads: [], problem: `content-type ${JSON.stringify(type)}: ${text.slice(0, 200)}` };
  }
  try {
    return { payloads: [JSON.parse(text)] };
  } catch {
    return { payloads: [], problem: `not JSON: ${text.slice(0, 200)}` };
  }
}

function sseEvents(text: string): unknown[] {
  const events: unknown[] = [];
  for (const block of text.split('\n\n').slice(0, -1)) {
    const data = block
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trim())
      .join('\n');
    if (data !== '') {
      events.push(JSON.parse(data));
    }
  }
  return events;
}

function multipartParts(text: string): unknown[] {
  return text
    .split(/\r\n---/)
    .map((part) => part.split('\r\n\r\n')[1])
    .filter((body): body is string => body?.trim().startsWith('{') === true)
    .map((body) => JSON.parse(body.trim()));
}

function codesOf(payloads: readonly unknown[]): string[] {
  const results = payloads.flatMap((p) => (Array.isArray(p) ? p : [p])) as Array<{ errors?: unknown }>;
  return results.flatMap((r) =>
    Array.isArray(r?.errors)
      ? r.errors.map((e: { extensions?: { code?: unknown } }) => String(e.extensions?.code))
      : [],
  );
}

/** Every problem with one answer's payloads: uncoded errors and leaked internals. */
function problemsOf(payloads: readonly unknown[]): string[] {
  const problems: string[] = [];
  const results = payloads.flatMap((p) => (Array.isArray(p) ? p : [p])) as Array<Record<string, unknown>>;
  for (const result of results) {
    const errors = (result?.errors ?? (result?.payload as Record<string, unknown> | undefined)?.errors) as
      | Array<{ message?: unknown; extensions?: { code?: unknown } }>
      | undefined;
    for (const error of errors ?? []) {
      if (typeof error.extensions?.code !== 'string') {
        problems.push(`an error without extensions.code: ${JSON.stringify(error).slice(0, 300)}`);
      }
      if (typeof error.message !== 'string' || error.message === '') {
        problems.push(`an error without a message: ${JSON.stringify(error).slice(0, 300)}`);
      }
    }
  }
  const text = JSON.stringify(payloads);
  for (const [what, pattern] of LEAKS) {
    const match = pattern.exec(text);
    if (match !== null) {
      problems.push(`${what}: …${text.slice(Math.max(0, match.index - 120), match.index + 120)}…`);
    }
  }
  return problems;
}

/** Every failure, in full, in a file: the assertion shows only the first few. */
function report(failures: readonly string[]): string {
  if (failures.length === 0) {
    return 'none';
  }
  const path = join(tmpdir(), `g6-fuzz-failures-${process.pid}.txt`);
  writeFileSync(path, failures.join('\n\n'));
  return `all in ${path}`;
}

async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next++]!;
        await work(item);
      }
    }),
  );
}

let t: TestApp;
let arbitraries: Generators;

beforeAll(async () => {
  t = await startTestApp({
    G6_INDICES: INDICES.join(','),
    G6_API_KEYS: `${full.entry},${reader.entry}`,
    // The rate limit would turn most of the run into RATE_LIMITED; it has its own tests.
    G6_RATE_LIMIT_COST_PER_MINUTE: '0',
    // Five indices every 0.2 s kept a core busy collecting, and the run's length followed the machine's
    // speed (10 minutes on a slow day); the fuzz needs snapshots to exist, not to change.
    G6_COLLECTION_INTERVAL: '5',
    // An alert firing from the start (any process is above 16 MiB): alertRaised, like every other
    // subscription, then answers at once with it.
    G6_HEALTH_MAX_RSS_MB: '16',
    G6_ALERT_FOR: '0',
  });
  const first = await fetch(`${t.httpUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${full.key}` },
    body: JSON.stringify({ query: getIntrospectionQuery() }),
  });
  const introspection = (await first.json()) as { data: IntrospectionQuery };
  const schema = buildClientSchema(introspection.data);
  // Every index has its first snapshot before the run: a subscription then answers at once.
  for (const index of INDICES) {
    await t.waitForLog((line) => line.msg === 'collected' && line.index === index);
  }
  arbitraries = {
    valid: operationArbitraries(schema, { wild: false }),
    wild: operationArbitraries(schema, { wild: true }),
  };
});
afterAll(async () => {
  await t?.stop();
});

describe(`fuzz: ${RUNS} generated HTTP requests and ${WS_RUNS} WebSocket subscriptions (seed ${SEED})`, () => {
  it('answers every HTTP request with coded JSON, no 5xx and no internals, and serves normal clients after', async () => {
    const requests = fc.sample(requestArbitrary(arbitraries), { numRuns: RUNS, seed: SEED });
    expect(requests).toHaveLength(RUNS);
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let executed = 0;
    const codes = new Map<string, number>();
    await pool(requests, CONCURRENCY, async (request) => {
      let response: Response;
      try {
        response = await fetch(`${t.httpUrl}${request.path}`, {
          method: request.method,
          headers: request.headers,
          body: request.body,
          // A bound on a hung answer, far above any real one: the failure names the request instead of
          // the whole run timing out. Subscriptions send their first event at once.
          signal: AbortSignal.timeout(30_000),
        });
      } catch (error) {
        // An answer HTTP clients cannot read (a malformed response, a dropped connection) is a failure too.
        const cause = (error as Error & { cause?: Error }).cause;
        failures.push(`no readable answer: ${cause?.message ?? String(error)}\n  ← ${describeRequest(request)}`);
        return;
      }
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      let answer: { payloads: unknown[]; problem?: string };
      try {
        answer = await payloadsOf(response);
      } catch (error) {
        failures.push(
          `HTTP ${response.status}, the body never completed: ${String(error)}\n  ← ${describeRequest(request)}`,
        );
        return;
      }
      const { payloads, problem } = answer;
      if (payloads.some((p) => typeof p === 'object' && p !== null && (p as { data?: unknown }).data != null)) {
        executed += 1;
      }
      for (const code of codesOf(payloads)) {
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
      const problems = [
        ...(response.status >= 500 ? [`HTTP ${response.status} ${JSON.stringify(payloads).slice(0, 300)}`] : []),
        ...(problem === undefined ? [] : [`HTTP ${response.status}, ${problem}`]),
        ...problemsOf(payloads),
      ];
      if (problems.length > 0) {
        failures.push(`${problems.join('; ')}\n  ← ${describeRequest(request)}`);
      }
    });
    expect(
      failures.slice(0, 10),
      `${failures.length} of ${RUNS} answers failed (seed ${SEED}); ${report(failures)}`,
    ).toEqual([]);
    // The run reached the server's every layer: successes, refusals before and after parsing.
    console.info(
      `fuzz: ${executed} of ${RUNS} executed with data; statuses ${JSON.stringify([...statuses])}; codes ${JSON.stringify(
        [...codes].sort((a, b) => b[1] - a[1]),
      )}`,
    );
    expect(executed).toBeGreaterThan(RUNS / 10);
    for (const refused of [400, 401, 403, 413]) {
      expect(statuses.get(refused) ?? 0, `HTTP ${refused} answers`).toBeGreaterThan(0);
    }

    const health = await fetch(`${t.httpUrl}/health`);
    expect(health.status).toBe(200);
    const after = await fetch(`${t.httpUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${full.key}` },
      body: JSON.stringify({ query: '{ optionChain(index: NIFTY, strikesAroundAtm: 2) { seq strikes { strike } } }' }),
    });
    const body = (await after.json()) as { data: { optionChain: { seq: number; strikes: unknown[] } } };
    expect(body.data.optionChain.strikes).toHaveLength(5);
  }, 600_000);

  it('answers every generated subscription on one socket with next, error or complete — coded, the socket never closed', async () => {
    const operations = fc.sample(
      fc.oneof(
        { arbitrary: arbitraries.valid.subscription, weight: 2 },
        { arbitrary: arbitraries.wild.subscription, weight: 1 },
        { arbitrary: arbitraries.wild.broken, weight: 1 },
      ),
      { numRuns: WS_RUNS, seed: SEED + 1 },
    );
    const closes: unknown[] = [];
    const client = createClient({
      url: t.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${full.key}` },
      on: { closed: (event) => closes.push((event as { code?: number }).code) },
    });
    const failures: string[] = [];
    const kinds = new Map<string, number>();
    try {
      await pool(operations, CONCURRENCY, async (op) => {
        const outcome = await new Promise<{ kind: string; payload?: unknown }>((resolve) => {
          let dispose = () => {};
          dispose = client.subscribe(op as never, {
            next: (value) => {
              resolve({ kind: 'next', payload: value });
              dispose();
            },
            error: (error) => resolve({ kind: 'error', payload: error }),
            complete: () => resolve({ kind: 'complete' }),
          });
        });
        kinds.set(outcome.kind, (kinds.get(outcome.kind) ?? 0) + 1);
        const payload = Array.isArray(outcome.payload) ? { errors: outcome.payload } : outcome.payload;
        const problems = outcome.payload === undefined ? [] : problemsOf([payload]);
        if (outcome.payload instanceof Error || (outcome.kind === 'error' && !Array.isArray(outcome.payload))) {
          problems.push(`the socket failed: ${String(outcome.payload)}`);
        }
        if (problems.length > 0) {
          failures.push(`${problems.join('; ')}\n  ← ${JSON.stringify(op).slice(0, 400)}`);
        }
      });
    } finally {
      await client.dispose();
    }
    expect(
      failures.slice(0, 10),
      `${failures.length} of ${WS_RUNS} subscriptions failed (seed ${SEED}); ${report(failures)}`,
    ).toEqual([]);
    expect(closes.filter((code) => code !== 1000)).toEqual([]);
    expect(kinds.get('next') ?? 0).toBeGreaterThan(0);
    expect(kinds.get('error') ?? 0).toBeGreaterThan(0);

    // Another client on a fresh socket is served as usual.
    const normal = createClient({
      url: t.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${full.key}` },
    });
    try {
      const events = normal.iterate<{ overviewUpdated: { seq: number } }>({
        query: 'subscription { overviewUpdated(index: NIFTY) { seq } }',
      });
      const first = await events.next();
      expect(first.done).toBe(false);
      expect(first.value?.data?.overviewUpdated.seq).toBeGreaterThan(0);
      await events.return?.();
    } finally {
      await normal.dispose();
    }
  }, 600_000);
});
