import type { ExecutionResult } from 'graphql';
import type { MessageWriter } from './ws-message-writer.ts';

/**
 * Longest a group writes to sockets before it yields to the event loop (timers, I/O, the collector):
 * a fan-out to thousands delays anything else by at most about this much at a time.
 */
const WRITE_SLICE_MS = 1;
const CLOSING_BRACE = Buffer.from('}');
/**
 * Longest one event's fan-out waits on `yieldTo` in all: higher-priority work that runs long (a sink
 * waiting out its timeout) delays subscribers by at most this much.
 */
const MAX_YIELD_PER_EVENT_MS = 100;

/** Where a member's events go: its WebSocket connection (see ws-message-writer.ts). */
export type MemberSocket = MessageWriter;

export interface SubscriptionGroupsHooks {
  /** A member had not taken the previous event when a newer one replaced it (it skips to the newest). */
  onConflated?(): void;
  /**
   * Asked before a fan-out starts and at every slice: a promise to wait on (settling within `maxWaitMs`)
   * while higher-priority work runs (the collector's), or undefined to go on. Waiting delays an event for
   * everyone alike, so the spread between members does not grow.
   */
  yieldTo?(maxWaitMs: number): Promise<void> | undefined;
  /**
   * One event of a group went out: how long it waited on `yieldTo`, then from the first socket write to
   * the last (the server's own share of the spread between a group's first and last subscriber).
   */
  onFannedOut?(members: number, waitedMs: number, writingMs: number): void;
}

export interface SubscriptionGroups {
  /**
   * Adds a subscriber to the group of `key` (same document, variables and operation name). `source` is
   * this subscriber's own execution, already admitted by every plugin: the first member's becomes the
   * group's, later members' are ended at once. An ExecutionResult (a refusal) is returned as it is.
   * The returned iterator yields nothing: the group writes `next` messages for `id` to `socket` itself;
   * the iterator ends when the group's execution does (graphql-ws then sends `complete`, or `error` if it
   * failed), and its `return()` takes the member out.
   */
  join(
    key: string,
    source: AsyncIterable<ExecutionResult> | ExecutionResult,
    socket: MemberSocket,
    id: string,
  ): AsyncIterableIterator<ExecutionResult> | ExecutionResult;
  groupCount(): number;
  memberCount(): number;
  close(): void;
}

interface Member {
  readonly socket: MemberSocket;
  /** `{"id":…,"type":"next","payload":` for this member, made once. */
  readonly head: Buffer;
  /** graphql-ws is iterating: it has registered the subscription, so `next` messages may go. */
  active: boolean;
  /** A write not yet taken by the socket: the next event waits (conflated) rather than queueing. */
  writing: boolean;
  waiting: Buffer | null;
  /** The newest payload written or waiting: a member activated during a fan-out must not get it twice. */
  latest: Buffer | null;
  done: boolean;
  end: (failure: { error: unknown } | null) => void;
}

interface Group {
  readonly key: string;
  readonly members: Set<Member>;
  readonly source: AsyncIterator<ExecutionResult>;
  /** The newest event's payload: a member starts from it, as a lone subscriber starts from the store. */
  last: Buffer | null;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function serialise(result: ExecutionResult): Buffer {
  const { errors, ...rest } = result;
  return Buffer.from(JSON.stringify(errors === undefined ? rest : { ...rest, errors: errors.map((e) => e.toJSON()) }));
}

/**
 * Subscribers with the same operation form one group (Hasura's multiplexing): each event is executed once
 * per group and serialised once, and the same bytes are written to every member's socket under its own
 * id, without a promise, a copy of the result or of its bytes per member. A member whose socket has not taken the last
 * write skips to the newest event instead of queueing (memory per member: one pending payload), so a slow
 * socket never delays the others. Writing yields to the event loop every WRITE_SLICE_MS, so a
 * fan-out to thousands never holds up a collection, a sink's I/O or a timer for its whole length.
 */
export function createSubscriptionGroups(hooks: SubscriptionGroupsHooks = {}): SubscriptionGroups {
  const groups = new Map<string, Group>();
  let members = 0;

  const write = (member: Member, payload: Buffer) => {
    if (member.done || member.latest === payload || !member.socket.isOpen()) {
      return;
    }
    member.latest = payload;
    if (member.writing) {
      if (member.waiting !== null) {
        hooks.onConflated?.();
      }
      member.waiting = payload;
      return;
    }
    send(member, payload);
  };

  // Not through `write`: the waiting payload is already `latest`, which `write` would take as sent.
  const send = (member: Member, payload: Buffer) => {
    member.writing = true;
    member.socket.write([member.head, payload, CLOSING_BRACE], () => {
      member.writing = false;
      const next = member.waiting;
      member.waiting = null;
      if (next !== null && !member.done && member.socket.isOpen()) {
        send(member, next);
      }
    });
  };

  const leave = (group: Group, member: Member, failure: { error: unknown } | null) => {
    if (member.done) {
      return;
    }
    member.done = true;
    member.waiting = null;
    members -= 1;
    group.members.delete(member);
    member.end(failure);
    if (group.members.size === 0 && groups.get(group.key) === group) {
      groups.delete(group.key);
      void group.source.return?.();
    }
  };

  const pump = async (group: Group) => {
    let failure: { error: unknown } | null = null;
    try {
      for (;;) {
        const next = await group.source.next();
        if (next.done) {
          break;
        }
        const payload = serialise(next.value);
        group.last = payload;
        const yieldsEndMs = performance.now() + MAX_YIELD_PER_EVENT_MS;
        const priority = () => {
          const leftMs = yieldsEndMs - performance.now();
          return leftMs > 0 ? hooks.yieldTo?.(leftMs) : undefined;
        };
        const readyAt = performance.now();
        const first = priority();
        if (first !== undefined) {
          await first;
        }
        const writingFrom = performance.now();
        let sliceEndsMs = writingFrom + WRITE_SLICE_MS;
        let written = 0;
        for (const member of [...group.members]) {
          if (!member.active) {
            continue;
          }
          write(member, payload);
          written += 1;
          if (performance.now() >= sliceEndsMs) {
            await (priority() ?? yieldToEventLoop());
            sliceEndsMs = performance.now() + WRITE_SLICE_MS;
          }
        }
        hooks.onFannedOut?.(written, writingFrom - readyAt, performance.now() - writingFrom);
      }
    } catch (error) {
      failure = { error };
    } finally {
      if (groups.get(group.key) === group) {
        groups.delete(group.key);
      }
      for (const member of [...group.members]) {
        leave(group, member, failure);
      }
    }
  };

  const memberIterator = (group: Group, member: Member, ended: Promise<{ error: unknown } | null>) => {
    const iterator: AsyncIterableIterator<ExecutionResult> = {
      async next() {
        if (!member.active && !member.done) {
          member.active = true;
          if (group.last !== null) {
            write(member, group.last);
          }
        }
        const failure = await ended;
        if (failure !== null) {
          throw failure.error;
        }
        return { done: true, value: undefined };
      },
      async return() {
        leave(group, member, null);
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  };

  return {
    join(key, source, socket, id) {
      if (!(Symbol.asyncIterator in source)) {
        return source;
      }
      let group = groups.get(key);
      if (group === undefined) {
        group = { key, members: new Set(), source: source[Symbol.asyncIterator](), last: null };
        groups.set(key, group);
        void pump(group);
      } else {
        // Admitted and charged like any subscription; the group's execution serves it.
        void source[Symbol.asyncIterator]().return?.();
      }
      let end: (failure: { error: unknown } | null) => void = () => undefined;
      const ended = new Promise<{ error: unknown } | null>((resolve) => {
        end = resolve;
      });
      const member: Member = {
        socket,
        head: Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`),
        active: false,
        writing: false,
        waiting: null,
        latest: null,
        done: false,
        end,
      };
      group.members.add(member);
      members += 1;
      return memberIterator(group, member, ended);
    },
    groupCount: () => groups.size,
    memberCount: () => members,
    close() {
      for (const group of [...groups.values()]) {
        for (const member of [...group.members]) {
          leave(group, member, null);
        }
      }
    },
  };
}
