import type { Plugin } from 'graphql-yoga';

/** The code an HTTP-level refusal carries when yoga or a plugin gave none. */
const CODE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'SERVER_BUSY',
};

const STATUS_TEXT: Readonly<Record<number, string>> = {
  406: 'no representation the Accept header allows: ask for application/json or application/graphql-response+json',
  415: 'unsupported Content-Type: send application/json (or a GET with a query string)',
};

interface ErrorBody {
  errors?: Array<{ message?: string; extensions?: Record<string, unknown> }>;
}

/**
 * Every refusal of the GraphQL endpoint is a JSON GraphQL error with `extensions.code`: yoga answers 406
 * and 415 with empty bodies, and its CSRF plugin without a code; internals (`originalError`) never leave.
 */
export function useJsonErrors(graphqlPath: string): Plugin {
  return {
    async onResponse({ request, response, setResponse, fetchAPI }) {
      if (response.status < 400 || new URL(request.url).pathname !== graphqlPath) {
        return;
      }
      const type = response.headers.get('content-type') ?? '';
      let body: ErrorBody = {};
      if (type.includes('json')) {
        try {
          body = (await response.clone().json()) as ErrorBody;
        } catch {
          body = {};
        }
      }
      const code = CODE_BY_STATUS[response.status] ?? 'BAD_REQUEST';
      const errors = (
        body.errors?.length ? body.errors : [{ message: STATUS_TEXT[response.status] ?? response.statusText }]
      ).map((error) => {
        const { originalError: _internal, ...extensions } = error.extensions ?? {};
        return { ...error, message: error.message ?? code, extensions: { code, ...extensions } };
      });
      const headers = new fetchAPI.Headers(response.headers);
      headers.set('content-type', 'application/json; charset=utf-8');
      headers.delete('content-length');
      setResponse(new fetchAPI.Response(JSON.stringify({ ...body, errors }), { status: response.status, headers }));
    },
  };
}
