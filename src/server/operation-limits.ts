import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import {
  type ExecutionArgs,
  GraphQLError,
  Lexer,
  Source,
  syntaxError,
  TokenKind,
  type ValidationContext,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { type CostSettings, estimateOperationCost } from './query-cost.ts';

/** Static per-document caps and the work budget of one operation. */
export interface OperationLimits {
  readonly maxDepth: number;
  readonly maxAliases: number;
  readonly maxDirectives: number;
  /** Lexer tokens: caps the parser's work (and recursion) before any validation runs. */
  readonly maxTokens: number;
  /** Estimated work units (see estimateOperationCost) one operation may ask for. */
  readonly maxCost: number;
  /** Units one client (API key, else IP address) may spend per minute; 0 turns the budget off. */
  readonly costPerMinute: number;
}

/**
 * Brackets (`{`, `[`, `(`) open at once in a document. graphql-js parses recursively, and a few thousand
 * nested list literals overflow the stack well inside the token cap; no real operation nests this deep
 * (selections stop at maxDepth, inputs at a few levels).
 */
export const MAX_NESTING = 64;

const OPENING = new Set<string>([TokenKind.BRACE_L, TokenKind.BRACKET_L, TokenKind.PAREN_L]);
const CLOSING = new Set<string>([TokenKind.BRACE_R, TokenKind.BRACKET_R, TokenKind.PAREN_R]);

/**
 * Refuses a document nested deeper than MAX_NESTING before the recursive parser sees it, with the same
 * syntax error (GRAPHQL_PARSE_FAILED, 400) as any unparsable document. The lexer is iterative; it stops
 * at the first lexical error and leaves the parser to report that one.
 */
export function useMaxNesting(maxTokens: number): Plugin {
  return {
    onParse({ params }) {
      const error = nestingError(
        typeof params.source === 'string' ? new Source(params.source) : params.source,
        maxTokens,
      );
      if (error !== null) {
        throw error;
      }
    },
  };
}

function nestingError(source: Source, maxTokens: number): GraphQLError | null {
  const lexer = new Lexer(source);
  let depth = 0;
  try {
    for (let tokens = 0; tokens <= maxTokens; tokens++) {
      const token = lexer.advance();
      if (token.kind === TokenKind.EOF) {
        return null;
      }
      if (OPENING.has(token.kind)) {
        depth += 1;
        if (depth > MAX_NESTING) {
          const error = syntaxError(source, token.start, `brackets nested deeper than ${MAX_NESTING}`);
          return new GraphQLError(error.message, {
            source,
            positions: error.positions,
            extensions: { code: 'GRAPHQL_PARSE_FAILED', http: { status: 400 } },
          });
        }
      } else if (CLOSING.has(token.kind)) {
        depth -= 1;
      }
    }
  } catch {
    // A lexical error: the parser reports it, as for any unparsable document.
  }
  return null;
}

export const DEFAULT_OPERATION_LIMITS: OperationLimits = {
  maxDepth: 12,
  maxAliases: 30,
  maxDirectives: 20,
  maxTokens: 4000,
  maxCost: 25_000,
  costPerMinute: 250_000,
};

/** Who pays for an operation: the API key's name, else the client's address. */
export type ClientOf = (contextValue: unknown) => string;

function tooCostly(cost: number, maxCost: number): GraphQLError {
  return new GraphQLError(
    `operation too costly: estimated ${cost} units against a budget of ${maxCost} per operation (fewer strikes, ` +
      'expiries, aliases or history rows per request)',
    { extensions: { code: 'QUERY_TOO_COSTLY', cost, maxCost } },
  );
}

/** Per-client spending of cost units per minute; `charge` answers the RATE_LIMITED error or null. */
export interface CostBudget {
  charge(client: string, units: number): Promise<GraphQLError | null>;
}

/** Where budgets are shared across API replicas (G6_REDIS_URL). */
export interface SharedBudgetStore {
  readonly redis: Redis;
  readonly keyPrefix: string;
  /** Told when the shared store fails (per-replica limits from then) and when it answers again. */
  readonly onSharedChanged: (shared: boolean, error?: unknown) => void;
  /** Monotonic milliseconds, for the retry pause. */
  readonly nowMs?: () => number;
}

/** After the shared store fails, budgets stay per replica this long before Redis is tried again. */
const SHARED_RETRY_MS = 5_000;

/**
 * One budget per client per minute, in the same units as the per-operation cost (GitHub's and Shopify's
 * model). Shared by executed and shared (cached) answers, so a cached answer costs what an executed one
 * does. With a shared store the counters live in Redis (rate-limiter-flexible's Redis store), so a key's
 * budget holds across replicas; while Redis fails, each replica counts on its own (an outage must not
 * refuse or stall requests: a stopped Redis would hold each one for the command timeout) and tries
 * Redis again after SHARED_RETRY_MS.
 */
export function createCostBudget(costPerMinute: number, store?: SharedBudgetStore): CostBudget {
  const local = costPerMinute > 0 ? new RateLimiterMemory({ points: costPerMinute, duration: 60 }) : null;
  const shared =
    costPerMinute > 0 && store !== undefined
      ? new RateLimiterRedis({
          storeClient: store.redis,
          keyPrefix: store.keyPrefix,
          points: costPerMinute,
          duration: 60,
          rejectIfRedisNotReady: true,
        })
      : null;
  const nowMs = store?.nowMs ?? (() => performance.now());
  let sharedFailedAt: number | null = null;
  const consume = async (client: string, units: number) => {
    if (shared === null || (sharedFailedAt !== null && nowMs() - sharedFailedAt < SHARED_RETRY_MS)) {
      return local?.consume(client, units);
    }
    try {
      const result = await shared.consume(client, units);
      if (sharedFailedAt !== null) {
        sharedFailedAt = null;
        store?.onSharedChanged(true);
      }
      return result;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        throw rejection;
      }
      if (sharedFailedAt === null) {
        store?.onSharedChanged(false, rejection);
      }
      sharedFailedAt = nowMs();
      return local?.consume(client, units);
    }
  };
  return {
    async charge(client, units) {
      if (local === null) {
        return null;
      }
      try {
        await consume(client, units);
        return null;
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) {
          throw rejection;
        }
        const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        return new GraphQLError(
          `rate limited: this client spent its ${costPerMinute} cost units of the minute; retry in ` +
            `${retryAfterSeconds} s`,
          {
            extensions: {
              code: 'RATE_LIMITED',
              retryAfterSeconds,
              costPerMinute,
              http: { status: 429, headers: { 'Retry-After': String(retryAfterSeconds) } },
            },
          },
        );
      }
    },
  };
}

/**
 * graphql-armor's static caps (depth, aliases, directives, tokens; its own selection-shaped cost rule and
 * suggestion blocking are off: the cost below counts list sizes, and suggestions are handled with error
 * codes), then a cost check from the arguments before execution: over budget is refused with
 * QUERY_TOO_COSTLY and its computed cost; within it, the cost is reported in `extensions.cost`.
 * Applies to HTTP and (through yoga's envelop in graphql-ws's onSubscribe) WebSocket alike.
 */
export function useOperationLimits(
  limits: OperationLimits,
  settings: CostSettings,
  clientOf: ClientOf,
  budget: CostBudget = createCostBudget(limits.costPerMinute),
): Plugin[] {
  const costOf = (args: ExecutionArgs) =>
    estimateOperationCost(
      args.schema,
      args.document,
      args.variableValues as Record<string, unknown> | undefined,
      settings,
      args.operationName,
    );
  // Reported as validation errors (armor would throw them, uncoded, prefixed "Syntax Error"), so they are
  // answered like any other invalid document.
  const report = {
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) =>
        context?.reportError(
          new GraphQLError(error.message.replace(/^Syntax Error: /, ''), {
            extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
          }),
        ),
    ],
  };
  const armor = EnvelopArmorPlugin({
    maxDepth: { n: limits.maxDepth, ignoreIntrospection: true, ...report },
    maxAliases: { n: limits.maxAliases, ...report },
    maxDirectives: { n: limits.maxDirectives, ...report },
    maxTokens: { n: limits.maxTokens },
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: false },
  });
  /** Prices the operation and charges the client: the units, or the error that refuses it. */
  const admit = async (args: ExecutionArgs): Promise<number | GraphQLError> => {
    const units = costOf(args);
    if (units > limits.maxCost) {
      return tooCostly(units, limits.maxCost);
    }
    return (await budget.charge(clientOf(args.contextValue), units)) ?? units;
  };
  const cost: Plugin = {
    async onExecute({ args, setResultAndStopExecution }) {
      const units = await admit(args);
      if (units instanceof GraphQLError) {
        setResultAndStopExecution({ errors: [units] });
        return;
      }
      return {
        onExecuteDone({ result, setResult }) {
          if (Symbol.asyncIterator in result) {
            return;
          }
          setResult({
            ...result,
            extensions: { ...result.extensions, cost: { requested: units, maximum: limits.maxCost } },
          });
        },
      };
    },
    // Starting a subscription is priced and charged once; its events are the server's to send.
    async onSubscribe({ args, setResultAndStopExecution }) {
      const units = await admit(args);
      if (units instanceof GraphQLError) {
        setResultAndStopExecution({ errors: [units] });
      }
    },
  };
  return [useMaxNesting(limits.maxTokens), armor as Plugin, cost];
}
