import { type DocumentNode, type GraphQLError, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { OperationType, ServerMetrics } from './server-metrics.ts';

interface ResultLike {
  readonly errors?: readonly GraphQLError[];
}

function codesOf(result: unknown): string[] {
  const errors = (result as ResultLike | null)?.errors ?? [];
  return errors.map((e) => {
    const code = e.extensions?.code;
    return typeof code === 'string' ? code : 'UNCODED';
  });
}

function describe(document: DocumentNode, operationName: string | null | undefined) {
  const operation = getOperationAST(document, operationName ?? undefined);
  return {
    name: operationName ?? operation?.name?.value ?? null,
    type: (operation?.operation ?? 'unknown') as OperationType,
  };
}

/**
 * Counts every GraphQL operation by name, type and outcome, with its execution time: executions where
 * they finish (HTTP and WebSocket alike), and HTTP requests refused before executing (parse,
 * validation, limits) from the result yoga sends.
 */
export function useOperationMetrics(metrics: ServerMetrics): Plugin {
  const executed = new WeakSet<object>();
  const parsed = new WeakMap<object, { name: string | null; type: OperationType }>();
  const requestOf = (context: unknown): object | undefined => {
    const request = (context as { request?: unknown } | null)?.request;
    return typeof request === 'object' && request !== null ? request : undefined;
  };
  return {
    onExecute({ args }) {
      const startedAt = performance.now();
      const { name, type } = describe(args.document, args.operationName);
      const request = requestOf(args.contextValue);
      if (request !== undefined) {
        executed.add(request);
      }
      return {
        onExecuteDone({ result }) {
          metrics.operationDone(name, type, performance.now() - startedAt, codesOf(result));
        },
      };
    },
    onSubscribe({ args }) {
      const startedAt = performance.now();
      const { name } = describe(args.document, args.operationName);
      const request = requestOf(args.contextValue);
      if (request !== undefined) {
        executed.add(request);
      }
      return {
        onSubscribeResult({ result }) {
          metrics.operationDone(name, 'subscription', performance.now() - startedAt, codesOf(result));
        },
      };
    },
    onParse({ context }) {
      // Remembered for a refusal after parsing (validation, limits), which has only the request to go on.
      const request = requestOf(context);
      return ({ result }) => {
        if (request !== undefined && (result as DocumentNode | null)?.kind === 'Document') {
          parsed.set(
            request,
            describe(
              result as DocumentNode,
              (context as { params?: { operationName?: string } }).params?.operationName ?? null,
            ),
          );
        }
      };
    },
    onResultProcess({ request, result }) {
      if (executed.has(request)) {
        return;
      }
      const operation = parsed.get(request) ?? { name: null, type: 'unknown' as const };
      metrics.operationDone(operation.name, operation.type, null, codesOf(Array.isArray(result) ? result[0] : result));
    },
  };
}
