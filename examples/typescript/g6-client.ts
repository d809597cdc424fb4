/**
 * A small typed G6 client: queries over HTTP (fetch), subscriptions over WebSocket (graphql-ws, the
 * `graphql-transport-ws` protocol). Documents come from `graphql()` in ./graphql.ts, so `query` and
 * `subscribe` return the exact shape of the selection.
 */
import type { TadaDocumentNode } from 'gql.tada';
import { print } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface G6ClientOptions {
  /** The GraphQL endpoint, e.g. `http://localhost:4000/graphql`; the WebSocket uses the same path. */
  readonly url: string;
  /** A key from `g6 keygen` when the server sets G6_API_KEYS. */
  readonly apiKey?: string | undefined;
}

/** A GraphQL error answer, with the server's `extensions.code` (UNAUTHENTICATED, STALE_DATA, …). */
export class G6Error extends Error {
  override readonly name = 'G6Error';
  /** The server's `extensions.code`, when it sent one. */
  readonly code: string | undefined;
  /** The HTTP status, or the WebSocket close code. */
  readonly status: number | undefined;
  constructor(message: string, code: string | undefined, status?: number) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

interface GraphQLResponse<Result> {
  data?: Result | null;
  errors?: ReadonlyArray<{ message: string; extensions?: { code?: string } }>;
}

function toG6Error(errors: NonNullable<GraphQLResponse<unknown>['errors']>, status?: number): G6Error {
  const first = errors[0];
  const code = first?.extensions?.code;
  return new G6Error(errors.map((e) => e.message).join('; '), code, status);
}

export interface G6Client {
  query<Result, Variables>(document: TadaDocumentNode<Result, Variables>, variables: Variables): Promise<Result>;
  /** Each event of the subscription; breaking out of the loop unsubscribes. */
  subscribe<Result, Variables>(
    document: TadaDocumentNode<Result, Variables>,
    variables: Variables,
  ): AsyncGenerator<Result>;
  /** Closes the WebSocket (if one was opened). */
  close(): Promise<void>;
}

export function createG6Client(options: G6ClientOptions): G6Client {
  const authorization = options.apiKey ? `Bearer ${options.apiKey}` : undefined;
  let ws: Client | undefined;

  function socket(): Client {
    ws ??= createClient({
      url: options.url.replace(/^http/, 'ws'),
      // Browsers have a WebSocket of their own; Node 20 needs the `ws` package (Node 22 has one too).
      webSocketImpl: WebSocket,
      // G6 reads the key from connectionParams.authorization on connection_init.
      connectionParams: authorization ? { authorization } : {},
      // A refused key closes with 4403; do not retry into the same refusal.
      retryAttempts: 0,
    });
    return ws;
  }

  async function query<Result, Variables>(
    document: TadaDocumentNode<Result, Variables>,
    variables: Variables,
  ): Promise<Result> {
    const response = await fetch(options.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(authorization ? { authorization } : {}),
      },
      body: JSON.stringify({ query: print(document), variables }),
    });
    const body = (await response.json()) as GraphQLResponse<Result>;
    if (body.errors && body.errors.length > 0) {
      throw toG6Error(body.errors, response.status);
    }
    if (!response.ok || body.data === undefined || body.data === null) {
      throw new G6Error(`HTTP ${response.status} without data`, undefined, response.status);
    }
    return body.data;
  }

  async function* subscribe<Result, Variables>(
    document: TadaDocumentNode<Result, Variables>,
    variables: Variables,
  ): AsyncGenerator<Result> {
    const events = socket().iterate<Result>({
      query: print(document),
      variables: variables as Record<string, unknown>,
    });
    try {
      for await (const event of events) {
        if (event.errors && event.errors.length > 0) {
          throw toG6Error(event.errors);
        }
        if (event.data === undefined || event.data === null) {
          throw new G6Error('subscription event without data', undefined);
        }
        yield event.data;
      }
    } catch (error) {
      // graphql-ws rejects with the `error` message's GraphQL errors when the server refuses the
      // subscription (FORBIDDEN, RATE_LIMITED, …), and with the CloseEvent when it closes the socket
      // (4403: no valid key).
      if (Array.isArray(error)) {
        throw toG6Error(error as NonNullable<GraphQLResponse<unknown>['errors']>);
      }
      if (isCloseEvent(error)) {
        throw new G6Error(`WebSocket closed: ${error.code} ${error.reason}`.trim(), undefined, error.code);
      }
      throw error;
    } finally {
      await events.return?.();
    }
  }

  return {
    query,
    subscribe,
    async close() {
      await ws?.dispose();
    },
  };
}

function isCloseEvent(value: unknown): value is { code: number; reason: string } {
  return typeof value === 'object' && value !== null && 'code' in value && typeof value.code === 'number';
}
