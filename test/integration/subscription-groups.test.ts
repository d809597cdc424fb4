import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { generateApiKey } from '../../src/server/api-keys.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

/** A graphql-transport-ws socket speaking the protocol by hand, keeping every frame as sent. */
interface RawSocket {
  readonly frames: string[];
  subscribe(id: string, query: string): void;
  /** Resolves with the frame matching `predicate`, already received or yet to come. */
  frame(predicate: (frame: Record<string, unknown>, text: string) => boolean): Promise<string>;
  pause(): void;
  close(): Promise<void>;
}

const sockets: RawSocket[] = [];

async function open(t: TestApp, key: string): Promise<RawSocket> {
  const ws = new WebSocket(t.wsUrl, 'graphql-transport-ws');
  const frames: string[] = [];
  const waiters: Array<{ test: (text: string) => boolean; resolve: (text: string) => void }> = [];
  ws.on('message', (data) => {
    const text = String(data);
    frames.push(text);
    for (const waiter of [...waiters]) {
      if (waiter.test(text)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(text);
      }
    }
  });
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  const socket: RawSocket = {
    frames,
    subscribe(id, query) {
      ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query } }));
    },
    frame(predicate) {
      const test = (text: string) => predicate(JSON.parse(text) as Record<string, unknown>, text);
      const seen = frames.find(test);
      return seen !== undefined
        ? Promise.resolve(seen)
        : new Promise((resolve, reject) => {
            waiters.push({ test, resolve });
            void closed.then(() => reject(new Error(`socket closed; frames: ${frames.slice(-3).join(' | ')}`)));
          });
    },
    pause() {
      (ws as unknown as { _socket: { pause(): void } })._socket.pause();
    },
    async close() {
      ws.terminate();
      await closed;
    },
  };
  sockets.push(socket);
  await new Promise<void>((resolve) => ws.once('open', () => resolve()));
  ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${key}` } }));
  await socket.frame((f) => f.type === 'connection_ack');
  return socket;
}

interface Next {
  id: string;
  type: string;
  payload: { data?: { overviewUpdated?: { seq: number }; optionChainUpdated?: { seq: number } }; errors?: unknown[] };
}
const next =
  (id: string, minSeq = 0) =>
  (f: Record<string, unknown>) => {
    const frame = f as unknown as Next;
    const data = frame.payload?.data;
    const seq = data?.overviewUpdated?.seq ?? data?.optionChainUpdated?.seq ?? -1;
    return frame.type === 'next' && frame.id === id && seq >= minSeq;
  };
const seqOf = (text: string) => {
  const data = (JSON.parse(text) as Next).payload.data!;
  return (data.overviewUpdated ?? data.optionChainUpdated)!.seq;
};
/** The payload's JSON exactly as it went on the wire (the envelope's `id` removed). */
const payloadText = (text: string) => text.slice(text.indexOf('"payload":'));

async function gauge(t: TestApp, name: string): Promise<number> {
  const text = await (await fetch(`${t.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
}

const OVERVIEW = 'subscription { overviewUpdated(index: NIFTY) { seq spot pcrOi } }';
const CHAIN = 'subscription { optionChainUpdated(index: NIFTY, strikesAroundAtm: 20) { seq strikes { strike } } }';
const subscriber = generateApiKey('subscriber', ['subscribe']);
const thrifty = generateApiKey('thrifty', ['subscribe']);
const host = generateApiKey('host', ['subscribe']);

describe('identical subscriptions are executed once per event and share one serialised payload', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      G6_INDICES: 'NIFTY',
      G6_COLLECTION_INTERVAL: '0.1',
      G6_API_KEYS: [subscriber, thrifty, host].map((k) => k.entry).join(','),
      G6_RATE_LIMIT_COST_PER_MINUTE: '200',
    });
    await t.waitForLog((l) => l.msg === 'collected' && l.index === 'NIFTY');
  });
  afterEach(async () => {
    await Promise.all(sockets.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('groups subscribers by operation, and every member of a group gets the same bytes under its own id', async () => {
    const [a, b, c] = await Promise.all([open(t, subscriber.key), open(t, subscriber.key), open(t, subscriber.key)]);
    a!.subscribe('a', OVERVIEW);
    b!.subscribe('b', OVERVIEW);
    c!.subscribe('c', OVERVIEW);
    c!.subscribe('c2', 'subscription { overviewUpdated(index: NIFTY) { seq atmIv } }');
    const first = seqOf(await a!.frame(next('a')));
    await c!.frame(next('c2'));
    expect(await gauge(t, 'g6_ws_subscription_groups')).toBe(2);
    expect(await gauge(t, 'g6_ws_subscription_group_members')).toBe(4);

    // Three events later every member has each one, byte for byte the same.
    const target = first + 3;
    const [fa, fb, fc] = await Promise.all([
      a!.frame(next('a', target)),
      b!.frame(next('b', target)),
      c!.frame(next('c', target)),
    ]);
    expect(payloadText(fb)).toBe(payloadText(fa));
    expect(payloadText(fc)).toBe(payloadText(fa));
    expect(JSON.parse(fb).id).toBe('b');
    // A member misses no event while it keeps up.
    const seqs = a!.frames.filter((f) => next('a')(JSON.parse(f))).map(seqOf);
    expect(seqs.slice(1)).toEqual(seqs.slice(1).map((_, i) => seqs[1]! + i));
  });

  it('starts a late member from the newest event and ends the group with its last member', async () => {
    const early = await open(t, subscriber.key);
    early.subscribe('early', CHAIN);
    const seen = seqOf(await early.frame(next('early', 0)));
    const newest = seqOf(await early.frame(next('early', seen + 2)));
    const late = await open(t, subscriber.key);
    late.subscribe('late', CHAIN);
    // Its first event is the group's newest (or one that came since), never an older one.
    expect(seqOf(await late.frame(next('late')))).toBeGreaterThanOrEqual(newest);
    expect(await gauge(t, 'g6_ws_subscription_groups')).toBe(1);
    await early.close();
    await late.close();
    // Both sockets gone: the group and its execution end (looked at until the server has processed the closes).
    let groups = Number.NaN;
    for (let i = 0; i < 500 && groups !== 0; i++) {
      groups = await gauge(t, 'g6_ws_subscription_groups');
    }
    expect(groups).toBe(0);
  });

  it('keeps serving a group when one member stops reading', async () => {
    const [healthy, stalled] = await Promise.all([open(t, subscriber.key), open(t, subscriber.key)]);
    healthy.subscribe('h', CHAIN);
    stalled.subscribe('s', CHAIN);
    await stalled.frame(next('s'));
    stalled.pause();
    const from = seqOf(await healthy.frame(next('h')));
    // Ten more events reach the reading member while the other one reads nothing.
    expect(seqOf(await healthy.frame(next('h', from + 10)))).toBeGreaterThanOrEqual(from + 10);
  });

  it('admits and charges every member as a subscription of its own, whatever the group', async () => {
    const socket = await open(t, thrifty.key);
    const chain = 'subscription { optionChainUpdated(index: NIFTY, strikesAroundAtm: 30) { seq strikes { strike } } }';
    // The group exists already (another client's subscription), so no member starts an execution.
    const other = await open(t, host.key);
    other.subscribe('o', chain);
    await other.frame(next('o'));
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      socket.subscribe(`t${i}`, chain);
      const answer = JSON.parse(
        await socket.frame((f) => (f.type === 'next' || f.type === 'error') && f.id === `t${i}`),
      ) as Next;
      // graphql-ws sends a refused start as a `next` carrying only errors, then `complete`.
      const errors = (answer.payload.errors ?? []) as Array<{ extensions: { code: string } }>;
      outcomes.push(errors[0]?.extensions.code ?? 'next');
    }
    // 200 units a minute buy a few ±30-strike chain subscription starts, then every start is refused.
    const served = outcomes.indexOf('RATE_LIMITED');
    expect(served).toBeGreaterThan(0);
    expect(outcomes.slice(0, served).every((o) => o === 'next')).toBe(true);
    expect(outcomes.slice(served).every((o) => o === 'RATE_LIMITED')).toBe(true);
    expect(await gauge(t, 'g6_ws_subscription_groups')).toBe(1);
  });
});
