import type { ExecutionResult } from 'graphql';

/** How many members are handed an event before the group yields to the event loop (timers, I/O). */
const HAND_OUT_BATCH = 256;

export interface SubscriptionGroupsHooks {
  /** A member had not taken the previous event when a newer one replaced it (it skips to the newest). */
  onConflated?(): void;
}

export interface SubscriptionGroups {
  /**
   * Adds a subscriber to the group of `key` (same document, variables and operation name) and returns its
   * events. `source` is this subscriber's own execution, already admitted by every plugin: the first
   * member's becomes the group's, later members' are ended at once. An ExecutionResult (a refusal) is
   * returned as it is.
   */
  join(
    key: string,
    source: AsyncIterable<ExecutionResult> | ExecutionResult,
  ): AsyncIterableIterator<ExecutionResult> | ExecutionResult;
  /** The JSON of an event handed out by a group, made once for all its members; undefined for others. */
  serialised(result: unknown): Buffer | undefined;
  groupCount(): number;
  memberCount(): number;
  close(): void;
}

interface Member {
  pending: ExecutionResult | null;
  wake: (() => void) | null;
  failure: { error: unknown } | null;
  done: boolean;
}

interface Group {
  readonly key: string;
  readonly members: Set<Member>;
  readonly source: AsyncIterator<ExecutionResult>;
  /** The newest event: a member joining later starts from it, as a lone subscriber starts from the store. */
  last: ExecutionResult | null;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Subscribers with the same operation form one group (Hasura's multiplexing): each event is executed once
 * per group and serialised once, and every member takes the same result object. Each member holds only the
 * newest event it has not taken, so a slow socket skips ahead instead of delaying the others or queueing.
 * Hand-out yields to the event loop every HAND_OUT_BATCH members so thousands of sockets never hold up a
 * collection or a timer for the whole fan-out.
 */
export function createSubscriptionGroups(hooks: SubscriptionGroupsHooks = {}): SubscriptionGroups {
  const groups = new Map<string, Group>();
  const json = new WeakMap<object, Buffer>();
  let members = 0;

  const wake = (member: Member) => {
    const resume = member.wake;
    member.wake = null;
    resume?.();
  };

  const leave = (group: Group, member: Member) => {
    if (member.done) {
      return;
    }
    member.done = true;
    members -= 1;
    group.members.delete(member);
    wake(member);
    if (group.members.size === 0 && groups.get(group.key) === group) {
      groups.delete(group.key);
      void group.source.return?.();
    }
  };

  const pump = async (group: Group) => {
    try {
      for (;;) {
        const next = await group.source.next();
        if (next.done) {
          break;
        }
        group.last = next.value;
        let handed = 0;
        for (const member of [...group.members]) {
          if (member.done) {
            continue;
          }
          if (member.pending !== null) {
            hooks.onConflated?.();
          }
          member.pending = next.value;
          wake(member);
          handed += 1;
          if (handed % HAND_OUT_BATCH === 0) {
            await yieldToEventLoop();
          }
        }
      }
      for (const member of [...group.members]) {
        leave(group, member);
      }
    } catch (error) {
      for (const member of [...group.members]) {
        member.failure = { error };
        wake(member);
      }
    } finally {
      if (groups.get(group.key) === group) {
        groups.delete(group.key);
      }
    }
  };

  const memberIterator = (group: Group, member: Member): AsyncIterableIterator<ExecutionResult> => {
    const iterator: AsyncIterableIterator<ExecutionResult> = {
      async next() {
        while (!member.done && member.pending === null && member.failure === null) {
          await new Promise<void>((resolve) => {
            member.wake = resolve;
          });
        }
        if (member.failure !== null && member.pending === null) {
          const { error } = member.failure;
          leave(group, member);
          throw error;
        }
        if (member.pending !== null && !member.done) {
          const value = member.pending;
          member.pending = null;
          return { done: false, value };
        }
        leave(group, member);
        return { done: true, value: undefined };
      },
      async return() {
        leave(group, member);
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  };

  return {
    join(key, source) {
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
      const member: Member = { pending: group.last, wake: null, failure: null, done: false };
      group.members.add(member);
      members += 1;
      return memberIterator(group, member);
    },
    serialised(result) {
      if (typeof result !== 'object' || result === null) {
        return undefined;
      }
      const known = json.get(result);
      if (known !== undefined) {
        return known;
      }
      const { errors, ...rest } = result as ExecutionResult;
      const bytes = Buffer.from(
        JSON.stringify(errors === undefined ? rest : { ...rest, errors: errors.map((e) => e.toJSON()) }),
      );
      json.set(result, bytes);
      return bytes;
    },
    groupCount: () => groups.size,
    memberCount: () => members,
    close() {
      for (const group of [...groups.values()]) {
        for (const member of [...group.members]) {
          leave(group, member);
        }
      }
    },
  };
}
