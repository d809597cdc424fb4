import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** The code an HTTP-level refusal carries when yoga or a plugin gave none. */
export const CODE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  413: 'REQUEST_ENTITY_TOO_LARGE', // yoga's own code for its body limit: one name for both
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'SERVER_BUSY',
};

const STATUS_TEXT: Readonly<Record<number, string>> = {
  406: 'no representation the Accept header allows: ask for application/json or application/graphql-response+json',
  415: 'unsupported Content-Type: send application/json (or a GET with a query string)',
};

const FRAMING = new Set(['content-length', 'transfer-encoding', 'content-encoding', 'content-type']);

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
      try {
        if (type.includes('json')) {
          body = (await response.clone().json()) as ErrorBody;
        } else if (type.includes('event-stream')) {
          // A request error to an event-stream client: its one event holds the errors.
          const data = /^data: ?(.*)$/m.exec(await response.clone().text());
          body = data === null ? {} : (JSON.parse(data[1]!) as ErrorBody);
        }
      } catch {
        body = {};
      }
      const code = CODE_BY_STATUS[response.status] ?? 'BAD_REQUEST';
      const errors = (
        body.errors?.length ? body.errors : [{ message: STATUS_TEXT[response.status] ?? response.statusText }]
      ).map((error) => {
        const { originalError: _internal, ...extensions } = error.extensions ?? {};
        return { ...error, message: error.message ?? code, extensions: { code, ...extensions } };
      });
      // The body is new: the old one's framing (a multipart refusal is chunked) and length no longer apply.
      // Copied one by one: whatwg-node's Headers keeps an init object's key case, and delete() misses it.
      const headers = new fetchAPI.Headers();
      response.headers.forEach((value, name) => {
        if (!FRAMING.has(name.toLowerCase())) {
          headers.set(name, value);
        }
      });
      headers.set('content-type', 'application/json; charset=utf-8');
      setResponse(new fetchAPI.Response(JSON.stringify({ ...body, errors }), { status: response.status, headers }));
    },
  };
}

/**
 * yoga parses the JSON in a GET's or form's `variables` and `extensions` parameters without catching a
 * SyntaxError, which then surfaces as a 500; the POST body parser already answers 400. Both say so alike.
 */
export function useRequestParseErrors(): Plugin {
  return {
    onRequestParse({ requestParser, setRequestParser }) {
      if (requestParser === undefined) {
        return; // no parser for this content type: yoga answers 415
      }
      setRequestParser(async (request) => {
        try {
          return await requestParser(request);
        } catch (error) {
          if (error instanceof SyntaxError) {
            throw new GraphQLError('a request parameter (variables or extensions) is not valid JSON', {
              extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
            });
          }
          throw error;
        }
      });
    },
  };
}
