import { GraphQLError, parse } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import {
  type ApiKeyEntry,
  type ApiScope,
  authenticate,
  keyFromAuthorization,
  type Principal,
  requiredScopes,
} from './api-keys.ts';

/** The principal of each HTTP request, set when it arrives and read when its operation is known. */
const principals = new WeakMap<Request, Principal>();

function unauthenticated(fetchAPI: { Response: typeof Response }): Response {
  return new fetchAPI.Response(
    JSON.stringify({
      errors: [
        {
          message: 'an API key is required: send Authorization: Bearer <key> (G6_API_KEYS)',
          extensions: { code: 'UNAUTHENTICATED' },
        },
      ],
    }),
    {
      status: 401,
      headers: { 'content-type': 'application/json; charset=utf-8', 'www-authenticate': 'Bearer realm="g6"' },
    },
  );
}

/** The key owner of an HTTP request (null without keys or before authentication). */
export function principalOf(request: Request | undefined): Principal | null {
  return request === undefined ? null : (principals.get(request) ?? null);
}

/** The FORBIDDEN error for a principal lacking scopes the operation needs; null when it has them. */
export function forbidden(principal: Principal, needed: ReadonlySet<ApiScope>): GraphQLError | null {
  const missing = [...needed].filter((scope) => !principal.scopes.has(scope));
  return missing.length === 0
    ? null
    : new GraphQLError(`the API key "${principal.name}" lacks the scope ${missing.join(', ')} this operation needs`, {
        extensions: { code: 'FORBIDDEN', missingScopes: missing },
      });
}

/** The scopes a document asks for; empty when it does not parse (yoga answers that itself). */
export function scopesOf(query: string | undefined, operationName?: string | null): Set<ApiScope> {
  try {
    return typeof query === 'string' ? requiredScopes(parse(query, { maxTokens: 50_000 }), operationName) : new Set();
  } catch {
    return new Set();
  }
}

/**
 * With keys configured, every GraphQL request over HTTP carries one (`Authorization: Bearer`, or
 * `x-api-key`): UNAUTHENTICATED (401) without a known key, FORBIDDEN when its scopes do not cover the
 * operation (read, subscribe, history). The GraphiQL page itself loads without a key; its requests need one.
 */
export function useApiKeys(keys: readonly ApiKeyEntry[], graphqlPath: string): Plugin {
  return {
    onRequest({ request, url, fetchAPI, endResponse }) {
      if (keys.length === 0 || url.pathname !== graphqlPath) {
        return;
      }
      const page = request.method === 'GET' && (request.headers.get('accept') ?? '').includes('text/html');
      if (page) {
        return;
      }
      const presented = keyFromAuthorization(request.headers.get('authorization') ?? request.headers.get('x-api-key'));
      const principal = authenticate(keys, presented);
      if (principal === null) {
        endResponse(unauthenticated(fetchAPI));
        return;
      }
      principals.set(request, principal);
    },
    onParams({ request, params, setResult }) {
      const principal = principals.get(request);
      if (keys.length === 0 || principal === undefined) {
        return;
      }
      const error = forbidden(principal, scopesOf(params.query, params.operationName));
      if (error !== null) {
        setResult({ errors: [error] });
      }
    },
  };
}
