import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { type ExecutionArgs, GraphQLError, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
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
}

export const DEFAULT_OPERATION_LIMITS: OperationLimits = {
  maxDepth: 12,
  maxAliases: 30,
  maxDirectives: 20,
  maxTokens: 4000,
  maxCost: 25_000,
};

function tooCostly(cost: number, maxCost: number): GraphQLError {
  return new GraphQLError(
    `operation too costly: estimated ${cost} units against a budget of ${maxCost} per operation (fewer strikes, ` +
      'expiries, aliases or history rows per request)',
    { extensions: { code: 'QUERY_TOO_COSTLY', cost, maxCost } },
  );
}

/**
 * graphql-armor's static caps (depth, aliases, directives, tokens; its own selection-shaped cost rule and
 * suggestion blocking are off: the cost below counts list sizes, and suggestions are handled with error
 * codes), then a cost check from the arguments before execution: over budget is refused with
 * QUERY_TOO_COSTLY and its computed cost; within it, the cost is reported in `extensions.cost`.
 * Applies to HTTP and (through yoga's envelop in graphql-ws's onSubscribe) WebSocket alike.
 */
export function useOperationLimits(limits: OperationLimits, settings: CostSettings): Plugin[] {
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
  const cost: Plugin = {
    onExecute({ args, setResultAndStopExecution }) {
      const units = costOf(args);
      if (units > limits.maxCost) {
        setResultAndStopExecution({ errors: [tooCostly(units, limits.maxCost)] });
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
    onSubscribe({ args, setResultAndStopExecution }) {
      const units = costOf(args);
      if (units > limits.maxCost) {
        setResultAndStopExecution({ errors: [tooCostly(units, limits.maxCost)] });
      }
    },
  };
  return [armor as Plugin, cost];
}
