import type { ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createSubscriptionGroups } from '../../src/server/subscription-groups.ts';
import type { MessageWriter } from '../../src/server/ws-message-writer.ts';

/** A source the test feeds; `drained()` resolves once the group has fanned out all it was given. */
function channel() {
  const queued: ExecutionResult[] = [];
  let wake: (() => void) | null = null;
  let idle: (() => void) | null = null;
  const iterator: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      while (queued.length === 0) {
        idle?.();
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      return { done: false, value: queued.shift()! };
    },
    async return() {
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return {
    iterator,
    push(seq: number) {
      queued.push({ data: { seq } });
      wake?.();
    },
    drained() {
      return new Promise<void>((resolve) => {
        idle = resolve;
      });
    },
  };
}

/** A socket that takes a write only when the test says so, recording each message's seq. */
function slowSocket() {
  const received: number[] = [];
  const pending: (() => void)[] = [];
  const socket: MessageWriter = {
    isOpen: () => true,
    write(parts, done) {
      const message = JSON.parse(Buffer.concat(parts).toString()) as { payload: { data: { seq: number } } };
      received.push(message.payload.data.seq);
      pending.push(() => done());
    },
  };
  return {
    socket,
    received,
    /** The socket takes the oldest write: its callback runs (and may write what waited). */
    takeOne() {
      pending.shift()?.();
    },
  };
}

describe('subscription groups', () => {
  it('sends the event that waited behind a slow write once that write is taken, counting only replaced ones', async () => {
    let conflated = 0;
    const groups = createSubscriptionGroups({ onConflated: () => (conflated += 1) });
    const source = channel();
    const ws = slowSocket();
    const member = groups.join('doc', source.iterator, ws.socket, '1') as AsyncIterableIterator<ExecutionResult>;
    const ended = member.next();

    let drained = source.drained();
    source.push(1);
    await drained;
    expect(ws.received).toEqual([1]);
    // The socket has not taken 1: 2 waits, then 3 replaces it (one counted skip).
    drained = source.drained();
    source.push(2);
    source.push(3);
    await drained;
    expect(ws.received).toEqual([1]);
    ws.takeOne();
    expect(ws.received).toEqual([1, 3]);
    expect(conflated).toBe(1);

    // One event behind a slow write is not dropped: it goes as soon as the socket takes the previous one.
    drained = source.drained();
    source.push(4);
    await drained;
    ws.takeOne();
    expect(ws.received).toEqual([1, 3, 4]);
    drained = source.drained();
    source.push(5);
    await drained;
    ws.takeOne();
    expect(ws.received).toEqual([1, 3, 4, 5]);
    expect(conflated).toBe(1);

    await member.return?.();
    await ended;
    groups.close();
  });
});
