import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertEvent, AlertState } from '../../src/health/alert-event.ts';
import {
  type AlertWebhookOptions,
  type AlertWebhooks,
  alertPayload,
  createAlertWebhooks,
  signature,
} from '../../src/health/alert-webhooks.ts';
import { createDeferred, createEventQueue } from '../helpers/deferred.ts';

const NOW = new Date('2026-12-03T04:00:00.000Z'); // unix 1796270400
const SECRET = 'whsec-example-5f2c9d';
/** Carried by every webhook URL below, in the path and the query: none of it may reach a log line. */
const PATH_TOKEN = 'T0PATHSECRET';
const QUERY_TOKEN = 'qtok-81b4e7';

type Mode =
  | { readonly kind: 'answer'; readonly status: number; readonly headers?: Record<string, string> }
  | { readonly kind: 'stall' };

interface Received {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly json: Record<string, unknown>;
  /** Resolves when the request's connection closes. */
  readonly socketClosed: Promise<void>;
}

interface Receiver {
  /** The hook's URL, with a token in its path and query. */
  readonly url: string;
  readonly port: number;
  /** Answers for the next requests, in order; after them every request gets `fallback`. */
  plan(...modes: Mode[]): void;
  fallback: Mode;
  /** The next request to arrive (its body read in full). */
  next(): Promise<Received>;
  readonly received: Received[];
  /** Requests that are being held unanswered. */
  stalledOpen(): number;
  /** Answers every held request with `status`. */
  release(status: number): void;
  close(): Promise<void>;
}

const receivers: Receiver[] = [];
const hooks: AlertWebhooks[] = [];
const logs: string[] = [];

afterEach(async () => {
  await Promise.all(hooks.splice(0).map((h) => h.close()));
  await Promise.all(receivers.splice(0).map((r) => r.close()));
  // Every test's URLs carry tokens and every signed test a secret: none of them may be logged.
  const all = logs.splice(0).join('\n');
  expect(all).not.toContain(SECRET);
  expect(all).not.toContain(PATH_TOKEN);
  expect(all).not.toContain(QUERY_TOKEN);
  expect(all).not.toContain('pa55word');
});

const answer = (status: number, headers?: Record<string, string>): Mode => ({ kind: 'answer', status, headers });
const STALL: Mode = { kind: 'stall' };

async function startReceiver(): Promise<Receiver> {
  const planned: Mode[] = [];
  const arrivals = createEventQueue<Received>();
  const received: Received[] = [];
  const stalled: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    const socketClosed = new Promise<void>((resolve) => req.socket.once('close', () => resolve()));
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const entry: Received = { url: req.url ?? '', headers: req.headers, body, json: JSON.parse(body), socketClosed };
      const mode = planned.shift() ?? receiver.fallback;
      if (mode.kind === 'stall') {
        stalled.push(res);
        res.once('close', () => stalled.splice(stalled.indexOf(res), 1));
      } else {
        res.writeHead(mode.status, mode.headers).end();
      }
      received.push(entry);
      arrivals.push(entry);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}/hooks/${PATH_TOKEN}?token=${QUERY_TOKEN}`,
    port,
    plan: (...modes) => planned.push(...modes),
    fallback: answer(204),
    next: () => arrivals.next(),
    received,
    stalledOpen: () => stalled.length,
    release: (status) => {
      for (const res of [...stalled]) {
        res.writeHead(status).end();
      }
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  receivers.push(receiver);
  return receiver;
}

function captureLogger() {
  return pino({ level: 'debug' }, { write: (line: string) => logs.push(line) });
}

function logged(msg: string): Array<Record<string, unknown>> {
  return logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.msg === msg);
}

function hooksFor(urls: string[], overrides: Partial<AlertWebhookOptions> = {}): AlertWebhooks {
  const webhooks = createAlertWebhooks({
    urls,
    secret: SECRET,
    instance: 'g6-test:4000',
    logger: captureLogger(),
    timeoutMs: 2_000,
    initialBackoffMs: 20,
    maxBackoffMs: 40,
    maxAttempts: 5,
    maxQueue: 10,
    now: () => NOW,
    random: () => 0,
    ...overrides,
  });
  hooks.push(webhooks);
  return webhooks;
}

function alert(id: string, state: AlertState, reason = `${id} ${state.toLowerCase()}`): AlertEvent {
  const startsAt = new Date('2026-12-03T03:58:00.000Z');
  return state === 'FIRING'
    ? {
        id,
        component: `collector/${id}`,
        state,
        severity: 'CRITICAL',
        status: 'DOWN',
        reason,
        startsAt,
        endsAt: null,
        at: startsAt,
      }
    : {
        id,
        component: `collector/${id}`,
        state,
        severity: 'CRITICAL',
        status: 'HEALTHY',
        reason,
        startsAt,
        endsAt: new Date('2026-12-03T03:59:30.000Z'),
        at: new Date('2026-12-03T03:59:30.000Z'),
      };
}

const key = (r: Received) => `${r.json.id}:${r.json.state}`;

/** A counter per hook, and a queue to await its calls. */
function counting() {
  const calls = { delivered: [] as string[], retry: [] as string[], givenUp: [] as string[], dropped: [] as string[] };
  const delivered = createEventQueue<string>();
  const givenUp = createEventQueue<string>();
  return {
    calls,
    delivered,
    givenUp,
    options: {
      onDelivered: (w: string) => {
        calls.delivered.push(w);
        delivered.push(w);
      },
      onRetry: (w: string) => calls.retry.push(w),
      onGivenUp: (w: string) => {
        calls.givenUp.push(w);
        givenUp.push(w);
      },
      onDropped: (w: string) => calls.dropped.push(w),
    } satisfies Partial<AlertWebhookOptions>,
  };
}

// A tiny checker for the subset of JSON Schema the payload schema uses, so no validator dependency is needed.
type Schema = Record<string, unknown>;
function violations(schema: Schema, value: unknown, path = '$'): string[] {
  const out: string[] = [];
  const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  if ('const' in schema && value !== schema.const) {
    out.push(`${path}: expected ${JSON.stringify(schema.const)}`);
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
    out.push(`${path}: ${JSON.stringify(value)} not in ${schema.enum.join(', ')}`);
  }
  if (schema.type !== undefined) {
    const types = [schema.type].flat() as string[];
    if (!types.includes(typeOf(value))) {
      out.push(`${path}: expected ${types.join(' or ')}, got ${typeOf(value)}`);
    }
  }
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) {
      out.push(`${path}: shorter than ${schema.minLength}`);
    }
    if (schema.format === 'date-time' && !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value)) {
      out.push(`${path}: not a date-time`);
    }
  }
  if (typeOf(value) === 'object') {
    const object = value as Record<string, unknown>;
    for (const name of (schema.required as string[] | undefined) ?? []) {
      if (!(name in object)) {
        out.push(`${path}.${name}: required`);
      }
    }
    const properties = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [name, sub] of Object.entries(properties)) {
      if (name in object) {
        out.push(...violations(sub, object[name], `${path}.${name}`));
      }
    }
    if (schema.additionalProperties === false) {
      out.push(
        ...Object.keys(object)
          .filter((k) => !(k in properties))
          .map((k) => `${path}.${k}: not allowed`),
      );
    }
  }
  for (const part of (schema.allOf as Schema[] | undefined) ?? []) {
    if (part.if === undefined || violations(part.if as Schema, value, path).length === 0) {
      out.push(...violations((part.then ?? part) as Schema, value, path));
    }
  }
  return out;
}

const payloadSchema = JSON.parse(
  readFileSync(new URL('../../docs/alert-webhook.schema.json', import.meta.url), 'utf8'),
) as Schema;

describe('signature', () => {
  it('signature, given a secret, timestamp and body, is the HMAC-SHA256 of "<timestamp>.<body>" (Python reference)', () => {
    // python3: hmac.new(b'whsec-example', b'1796270400.{"schemaVersion":1}', hashlib.sha256).hexdigest()
    expect(signature('whsec-example', 1796270400, '{"schemaVersion":1}')).toBe(
      'sha256=ad0a0533fa061d218ab93dfa0e16128ae14a6ff37c0364ab69ebac48b0149ad8',
    );
    expect(signature('whsec-example', 1796270401, '{"schemaVersion":1}')).not.toBe(
      signature('whsec-example', 1796270400, '{"schemaVersion":1}'),
    );
  });
});

describe('alertPayload', () => {
  it('alertPayload, for a FIRING and a RESOLVED event, validates against docs/alert-webhook.schema.json', () => {
    for (const event of [alert('NIFTY', 'FIRING'), alert('NIFTY', 'RESOLVED')]) {
      expect(violations(payloadSchema, alertPayload(event, 'g6:4000', NOW))).toEqual([]);
    }
  });

  it('the schema checker, given payloads that break the schema, reports each break', () => {
    const good = alertPayload(alert('NIFTY', 'FIRING'), 'g6:4000', NOW);
    const { id: _, ...withoutId } = good;
    expect(violations(payloadSchema, withoutId)).toEqual(['$.id: required']);
    expect(violations(payloadSchema, { ...good, state: 'firing' })).toContain(
      '$.state: "firing" not in FIRING, RESOLVED',
    );
    expect(violations(payloadSchema, { ...good, schemaVersion: 2 })).toEqual(['$.schemaVersion: expected 1']);
    expect(violations(payloadSchema, { ...good, at: 'yesterday' })).toEqual(['$.at: not a date-time']);
    // A FIRING has no end, and a RESOLVED is HEALTHY with one.
    expect(violations(payloadSchema, { ...good, endsAt: good.at })).toEqual(['$.endsAt: expected null, got string']);
    const resolved = alertPayload(alert('NIFTY', 'RESOLVED'), 'g6:4000', NOW);
    expect(violations(payloadSchema, { ...resolved, status: 'DOWN' })).toEqual(['$.status: expected "HEALTHY"']);
  });
});

describe('createAlertWebhooks', () => {
  it('createAlertWebhooks, sending one event, POSTs a signed payload that validates and carries the URL credentials as Basic auth', async () => {
    const receiver = await startReceiver();
    const count = counting();
    const url = receiver.url.replace('http://', 'http://alice:pa55word@');
    const webhooks = hooksFor([url], count.options);
    webhooks.start();

    webhooks.send(alert('NIFTY', 'FIRING'));
    const request = await receiver.next();
    await count.delivered.next();

    expect(request.url).toBe(`/hooks/${PATH_TOKEN}?token=${QUERY_TOKEN}`);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers.authorization).toBe(`Basic ${Buffer.from('alice:pa55word').toString('base64')}`);
    const timestamp = request.headers['x-g6-timestamp'];
    expect(timestamp).toBe('1796270400');
    const expected = createHmac('sha256', SECRET).update(`${timestamp}.${request.body}`).digest('hex');
    expect(request.headers['x-g6-signature']).toBe(`sha256=${expected}`);
    expect(violations(payloadSchema, request.json)).toEqual([]);
    expect(request.json).toEqual({
      schemaVersion: 1,
      source: 'g6',
      instance: 'g6-test:4000',
      id: 'NIFTY',
      component: 'collector/NIFTY',
      state: 'FIRING',
      severity: 'CRITICAL',
      status: 'DOWN',
      reason: 'NIFTY firing',
      startsAt: '2026-12-03T03:58:00.000Z',
      endsAt: null,
      at: '2026-12-03T03:58:00.000Z',
      sentAt: '2026-12-03T04:00:00.000Z',
    });
    expect(count.calls.delivered).toEqual(['0']);
    expect(webhooks.queued()).toBe(0);
    // What is logged about the hook is its origin.
    const start = logged('alert webhook enabled');
    expect(start).toMatchObject([{ webhook: '0', origin: `http://127.0.0.1:${receiver.port}`, signed: true }]);
  });

  it('createAlertWebhooks, without a secret, sends no signature headers', async () => {
    const receiver = await startReceiver();
    const webhooks = hooksFor([receiver.url], { secret: null });
    webhooks.start();

    webhooks.send(alert('NIFTY', 'FIRING'));
    const request = await receiver.next();

    expect(request.headers['x-g6-signature']).toBeUndefined();
    expect(request.headers['x-g6-timestamp']).toBeUndefined();
  });

  it('createAlertWebhooks, when the receiver answers 500 then recovers, delivers each event once, in order, with exponential backoff', async () => {
    const receiver = await startReceiver();
    receiver.plan(answer(500), answer(503), answer(502));
    const count = counting();
    const webhooks = hooksFor([receiver.url], count.options);
    webhooks.start();

    webhooks.send(alert('NIFTY', 'FIRING'));
    webhooks.send(alert('NIFTY', 'RESOLVED'));
    await count.delivered.next();
    await count.delivered.next();

    expect(receiver.received.map(key)).toEqual([
      'NIFTY:FIRING',
      'NIFTY:FIRING',
      'NIFTY:FIRING',
      'NIFTY:FIRING',
      'NIFTY:RESOLVED',
    ]);
    expect(count.calls).toEqual({ delivered: ['0', '0'], retry: ['0', '0', '0'], givenUp: [], dropped: [] });
    // random() = 0: half of min(40, 20·2^(n−1)) after the n-th failure.
    const retries = logged('alert webhook attempt failed; retrying');
    expect(retries.map((r) => [r.status, r.delayMs])).toEqual([
      [500, 10],
      [503, 20],
      [502, 20],
    ]);
    expect(webhooks.queued()).toBe(0);
  });

  it('createAlertWebhooks, when the receiver answers 429, waits Retry-After seconds capped at maxBackoffMs', async () => {
    const receiver = await startReceiver();
    receiver.plan(answer(429, { 'retry-after': '0' }), answer(429, { 'retry-after': '120' }));
    const count = counting();
    const webhooks = hooksFor([receiver.url], count.options);
    webhooks.start();

    webhooks.send(alert('NIFTY', 'FIRING'));
    await count.delivered.next();

    expect(receiver.received.map(key)).toEqual(['NIFTY:FIRING', 'NIFTY:FIRING', 'NIFTY:FIRING']);
    // The backoff alone would wait 10 then 20 ms.
    expect(logged('alert webhook attempt failed; retrying').map((r) => r.delayMs)).toEqual([0, 40]);
  });

  it('createAlertWebhooks, when one receiver stalls, times the attempt out and retries while another URL gets its events at once', async () => {
    const stalling = await startReceiver();
    const healthy = await startReceiver();
    stalling.plan(STALL);
    const count = counting();
    const webhooks = hooksFor([stalling.url, healthy.url], { ...count.options, timeoutMs: 600 });
    webhooks.start();

    webhooks.send(alert('NIFTY', 'FIRING'));
    const held = await stalling.next();
    expect(key(await healthy.next())).toBe('NIFTY:FIRING');
    webhooks.send(alert('BANKNIFTY', 'FIRING'));
    expect(key(await healthy.next())).toBe('BANKNIFTY:FIRING');
    // Both reached the healthy hook while the stalled one still held its first request.
    expect(stalling.stalledOpen()).toBe(1);
    expect(stalling.received).toHaveLength(1);

    await held.socketClosed;
    expect(key(await stalling.next())).toBe('NIFTY:FIRING');
    expect(key(await stalling.next())).toBe('BANKNIFTY:FIRING');
    expect(count.calls.retry).toEqual(['0']);
    expect(logged('alert webhook attempt failed; retrying')).toMatchObject([
      { webhook: '0', status: null, error: 'no response within 600 ms' },
    ]);
  });

  it('createAlertWebhooks, when the queue is full, drops the oldest superseded event, else the oldest, keeping FIRING before RESOLVED', async () => {
    const receiver = await startReceiver();
    receiver.plan(STALL);
    const count = counting();
    const webhooks = hooksFor([receiver.url], { ...count.options, maxQueue: 3, timeoutMs: 10_000 });
    webhooks.start();

    webhooks.send(alert('A', 'FIRING'));
    await receiver.next(); // A:FIRING is in flight and held; the rest wait behind it.
    webhooks.send(alert('C', 'FIRING'));
    webhooks.send(alert('B', 'FIRING'));
    webhooks.send(alert('B', 'RESOLVED'));
    webhooks.send(alert('A', 'RESOLVED')); // over: B:FIRING goes, B:RESOLVED supersedes it (C:FIRING is older)
    webhooks.send(alert('D', 'FIRING')); // over, nothing superseded: the oldest waiting, C:FIRING, goes
    expect(webhooks.queued()).toBe(4);
    receiver.release(204);
    for (let i = 0; i < 4; i += 1) {
      await count.delivered.next();
    }

    expect(receiver.received.map(key)).toEqual(['A:FIRING', 'B:RESOLVED', 'A:RESOLVED', 'D:FIRING']);
    expect(count.calls.dropped).toEqual(['0', '0']);
    expect(logged('alert webhook queue full; event dropped').map((r) => `${r.alertId}:${r.alertState}`)).toEqual([
      'B:FIRING',
      'C:FIRING',
    ]);
    expect(webhooks.queued()).toBe(0);
  });

  it('createAlertWebhooks, before start, holds at most maxQueue events per URL and delivers them in order once started', async () => {
    const receiver = await startReceiver();
    const count = counting();
    const webhooks = hooksFor([receiver.url], { ...count.options, maxQueue: 2 });

    webhooks.send(alert('A', 'FIRING'));
    webhooks.send(alert('B', 'FIRING'));
    webhooks.send(alert('C', 'FIRING'));
    expect(webhooks.queued()).toBe(2);
    webhooks.start();
    await count.delivered.next();
    await count.delivered.next();

    expect(receiver.received.map(key)).toEqual(['B:FIRING', 'C:FIRING']);
    expect(count.calls.dropped).toEqual(['0']);
  });

  it('createAlertWebhooks, when the receiver answers 4xx, gives the event up at once and goes on with the next', async () => {
    const receiver = await startReceiver();
    receiver.plan(answer(400), answer(404));
    const count = counting();
    const webhooks = hooksFor([receiver.url], count.options);
    webhooks.start();

    webhooks.send(alert('A', 'FIRING'));
    webhooks.send(alert('B', 'FIRING'));
    webhooks.send(alert('C', 'FIRING'));
    await count.delivered.next();

    expect(receiver.received.map(key)).toEqual(['A:FIRING', 'B:FIRING', 'C:FIRING']);
    expect(count.calls).toEqual({ delivered: ['0'], retry: [], givenUp: ['0', '0'], dropped: [] });
    const refused = logged('alert webhook refused the event (not retried); check the URL and the receiver');
    expect(refused).toMatchObject([
      { level: 50, status: 400, alertId: 'A', attempts: 1 },
      { level: 50, status: 404, alertId: 'B', attempts: 1 },
    ]);
  });

  it('createAlertWebhooks, after maxAttempts failures, gives the event up, logs it at error and delivers the next', async () => {
    const receiver = await startReceiver();
    receiver.plan(answer(500), answer(500), answer(500));
    const count = counting();
    const webhooks = hooksFor([receiver.url], { ...count.options, maxAttempts: 3 });
    webhooks.start();

    webhooks.send(alert('A', 'FIRING'));
    webhooks.send(alert('B', 'FIRING'));
    await count.givenUp.next();
    await count.delivered.next();

    expect(receiver.received.map(key)).toEqual(['A:FIRING', 'A:FIRING', 'A:FIRING', 'B:FIRING']);
    expect(count.calls).toEqual({ delivered: ['0'], retry: ['0', '0'], givenUp: ['0'], dropped: [] });
    expect(logged('alert webhook failed every attempt; event given up')).toMatchObject([
      { level: 50, alertId: 'A', attempts: 3, status: 500 },
    ]);
  });

  it('createAlertWebhooks, when the receiver is unreachable, retries the network error without logging the URL', async () => {
    const receiver = await startReceiver();
    const url = receiver.url;
    await receiver.close(); // nothing listens on the port now
    const count = counting();
    const webhooks = hooksFor([url], { ...count.options, maxAttempts: 2 });
    webhooks.start();

    webhooks.send(alert('A', 'FIRING'));
    await count.givenUp.next();

    expect(count.calls.retry).toEqual(['0']);
    const [failure] = logged('alert webhook failed every attempt; event given up');
    expect(failure).toMatchObject({ status: null, origin: `http://127.0.0.1:${receiver.port}` });
    expect(String(failure?.error)).toMatch(/ECONNREFUSED/);
  });

  it('createAlertWebhooks, with a fetch that ignores its signal, still ends each attempt at timeoutMs and closes', async () => {
    const count = counting();
    const fetched = createEventQueue<string>();
    const webhooks = hooksFor(['http://127.0.0.1:9/hook'], {
      ...count.options,
      timeoutMs: 30,
      maxAttempts: 2,
      fetch: (_input, init) => {
        fetched.push(JSON.parse(String(init?.body)).id);
        return new Promise<Response>(() => {});
      },
    });
    webhooks.start();

    webhooks.send(alert('A', 'FIRING'));
    webhooks.send(alert('B', 'FIRING'));
    const attempts = [await fetched.next(), await fetched.next(), await fetched.next()];
    await count.givenUp.next();

    expect(attempts).toEqual(['A', 'A', 'B']);
    expect(logged('alert webhook failed every attempt; event given up')).toMatchObject([
      { alertId: 'A', attempts: 2, error: 'no response within 30 ms' },
    ]);
    await webhooks.close();
    expect(logged('alert webhooks closed with events not delivered')).toMatchObject([{ undelivered: 1 }]);
  });

  it('createAlertWebhooks.send, while the receiver stalls, returns at once, never throws, and keeps one request in flight', async () => {
    const receiver = await startReceiver();
    receiver.fallback = STALL;
    let fetches = 0;
    const webhooks = hooksFor([receiver.url], {
      maxQueue: 100,
      timeoutMs: 10_000,
      fetch: (input, init) => {
        fetches += 1;
        return fetch(input, init);
      },
    });
    webhooks.start();

    webhooks.send(alert('A', 'FIRING'));
    expect(receiver.received).toHaveLength(0); // send returned before the receiver saw anything
    await receiver.next();
    for (let i = 0; i < 50; i += 1) {
      webhooks.send(alert(`X${i}`, 'FIRING'));
    }
    expect(webhooks.queued()).toBe(51);
    expect(() => webhooks.send({ ...alert('BAD', 'FIRING'), startsAt: new Date(Number.NaN) })).not.toThrow();
    expect(webhooks.queued()).toBe(51);
    expect(logged('alert event could not be queued')).toMatchObject([{ level: 50, alertId: 'BAD' }]);
    expect(fetches).toBe(1);
    expect(receiver.stalledOpen()).toBe(1);
  });

  it('createAlertWebhooks.close, with a request in flight, aborts it, resolves and logs what was not delivered', async () => {
    const receiver = await startReceiver();
    receiver.fallback = STALL;
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const webhooks = hooksFor([receiver.url], { timeoutMs: 10_000 });
    webhooks.start();
    webhooks.send(alert('A', 'FIRING'));
    const held = await receiver.next();
    webhooks.send(alert('A', 'RESOLVED'));
    webhooks.send(alert('B', 'FIRING'));

    await webhooks.close();
    await held.socketClosed;

    expect(receiver.stalledOpen()).toBe(0);
    expect(webhooks.queued()).toBe(0);
    expect(logged('alert webhooks closed with events not delivered')).toMatchObject([{ webhook: '0', undelivered: 3 }]);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeLessThanOrEqual(timersBefore);
    webhooks.send(alert('C', 'FIRING'));
    expect(webhooks.queued()).toBe(0);
  });

  it('createAlertWebhooks.close, while waiting to retry, clears the backoff timer and resolves at once', async () => {
    const receiver = await startReceiver();
    receiver.fallback = answer(500);
    const retried = createDeferred();
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const webhooks = hooksFor([receiver.url], {
      initialBackoffMs: 600_000,
      maxBackoffMs: 600_000,
      onRetry: () => retried.resolve(),
    });
    webhooks.start();
    webhooks.send(alert('A', 'FIRING'));
    await retried.promise;

    await webhooks.close();

    expect(receiver.received).toHaveLength(1);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeLessThanOrEqual(timersBefore);
    expect(logged('alert webhooks closed with events not delivered')).toMatchObject([{ undelivered: 1 }]);
  });

  it('createAlertWebhooks.close(drainMs), with an event waiting to retry, delivers it before closing', async () => {
    const receiver = await startReceiver();
    receiver.plan(answer(503));
    const count = counting();
    const webhooks = hooksFor([receiver.url], count.options);
    webhooks.start();
    webhooks.send(alert('RESOLVE-ME', 'RESOLVED'));

    // What a shutdown does: the RESOLVED is queued or retrying, and close gets a moment to deliver it.
    await webhooks.close(5_000);

    expect(receiver.received.map(key)).toEqual(['RESOLVE-ME:RESOLVED', 'RESOLVE-ME:RESOLVED']);
    expect(count.calls.delivered).toEqual(['0']);
    expect(webhooks.queued()).toBe(0);
    expect(logged('alert webhooks closed with events not delivered')).toEqual([]);
  });

  it('createAlertWebhooks, given a URL that is not http(s), throws without quoting it', () => {
    expect(() => hooksFor([`ftp://host/${PATH_TOKEN}`])).toThrow(
      'alert webhook 0: expected an http:// or https:// URL',
    );
    expect(() => hooksFor(['not a url'])).toThrow('alert webhook 0: not a valid URL');
  });
});
