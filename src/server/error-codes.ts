import { type ExecutionResult, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ERROR_CODES } from '../domain/errors.ts';
import { CODE_BY_STATUS } from './json-errors.ts';

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

function withoutInternals(error: GraphQLError): GraphQLError {
  const { originalError: _internal, ...extensions } = error.extensions ?? {};
  const status = (extensions.http as { status?: number } | undefined)?.status;
  const code =
    typeof extensions.code === 'string' ? extensions.code : ((status && CODE_BY_STATUS[status]) ?? 'BAD_REQUEST');
  if (_internal === undefined && code === extensions.code) {
    return error;
  }
  // yoga answers application/json with 200 unless an error has a non-GraphQL originalError; without it,
  // the request error keeps its 4xx only if its status is not marked as the spec's (`http.spec`).
  const http = extensions.http as { spec?: boolean } | undefined;
  const { spec: _spec, ...httpWithoutSpec } = http ?? {};
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: {
      ...extensions,
      ...(_internal !== undefined && http !== undefined ? { http: httpWithoutSpec } : {}),
      code,
    },
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
    // Request errors (a body that is not JSON, say) reach clients in every result format — JSON, an event
    // stream, multipart — so they are cleaned here, before any of them is written: yoga's JSON parser puts
    // the SyntaxError in `extensions.originalError`, and some carry only an HTTP status.
    onResultProcess({ result, setResult }) {
      if (Symbol.asyncIterator in result) {
        return;
      }
      const clean = (one: ExecutionResult): ExecutionResult =>
        one.errors?.length ? { ...one, errors: one.errors.map(withoutInternals) } : one;
      setResult(Array.isArray(result) ? result.map(clean) : clean(result as ExecutionResult));
    },
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
