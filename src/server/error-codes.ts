import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ERROR_CODES } from '../domain/errors.ts';

/** graphql-js appends these to validation messages; they map a private schema for anyone who probes it. */
const SUGGESTION = / Did you mean .*\?$/;

function withCode(error: GraphQLError, code: string, message = error.message): GraphQLError {
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
}

/**
 * Every error a client sees carries `extensions.code`: validation errors GRAPHQL_VALIDATION_FAILED (yoga
 * codes them on HTTP only; this covers WebSocket too), request errors raised before execution (variable
 * coercion, an operation type the schema lacks) BAD_USER_INPUT. Field suggestions ("Did you mean …?") are
 * stripped unless `suggestions` is on (G6_DEBUG).
 */
export function useErrorCodes(options: { readonly suggestions: boolean }): Plugin {
  return {
    onValidate() {
      return ({ result, setResult }) => {
        if (result.length === 0) {
          return;
        }
        setResult(
          result.map((error) =>
            withCode(
              error,
              typeof error.extensions.code === 'string' ? error.extensions.code : 'GRAPHQL_VALIDATION_FAILED',
              options.suggestions ? error.message : error.message.replace(SUGGESTION, ''),
            ),
          ),
        );
      };
    },
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          if (!('errors' in result) || result.errors === undefined) {
            return;
          }
          const errors = result.errors.map((error) =>
            typeof error.extensions?.code === 'string' || error.path !== undefined
              ? error
              : withCode(error, ERROR_CODES.BAD_USER_INPUT),
          );
          setResult({ ...result, errors });
        },
      };
    },
  };
}
