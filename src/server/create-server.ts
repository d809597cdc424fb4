import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { type DocumentNode, type ExecutionArgs, GraphQLError, type GraphQLSchema, getOperationAST } from 'graphql';
import type { OperationResult } from 'graphql-ws';
import { createYoga, useReadinessCheck, type YogaLogger } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { type WebSocket, WebSocketServer } from 'ws';
import type { ApiLimits } from '../config.ts';
import { ERROR_CODES } from '../domain/errors.ts';
import type { HealthReport } from '../health/readiness.ts';
import type { GraphQLContext } from '../schema/context.ts';
import { forbidden, principalOf, scopesOf, useApiKeys } from './api-auth.ts';
import { authenticate, keyFromAuthorization, type Principal } from './api-keys.ts';
import { useCompression } from './compression.ts';
import { useErrorCodes } from './error-codes.ts';
import { GRAPHIQL_DEFAULT_QUERY } from './graphiql-default-query.ts';
import { useGraphqlWs } from './graphql-ws-server.ts';
import { useJsonErrors, useRequestParseErrors } from './json-errors.ts';
import {
  createCostBudget,
  DEFAULT_OPERATION_LIMITS,
  type SharedBudgetStore,
  useOperationLimits,
} from './operation-limits.ts';
import { useOperationMetrics } from './operation-metrics.ts';
import { drainOversizedBody } from './oversized-body.ts';
import type { CostSettings } from './query-cost.ts';
import { createResponseCache } from './response-cache.ts';
import { registerServerMetrics } from './server-metrics.ts';
import { createSharedHttpAnswers, type SharedOutcome } from './shared-http-answers.ts';
import { createSubscriptionGroups, type MemberSocket } from './subscription-groups.ts';
import { createMessageWriter, type MessageWriter } from './ws-message-writer.ts';

interface EnvelopedRoot {
  execute(args: ExecutionArgs): OperationResult;
  subscribe(args: ExecutionArgs): OperationResult;
  /** Subscribers with the same key share one execution per event (see subscription-groups.ts). */
  groupKey: string;
  socket: MemberSocket;
  id: string;
}

export const GRAPHQL_PATH = '/graphql';
/** How long requests in flight may run on once the server stops. */
const DEFAULT_DRAIN_MS = 5_000;
/** How often sockets' unsent bytes are checked against `wsMaxBufferedBytes`. */
const SLOW_CONSUMER_SWEEP_MS = 1000;

export interface ServerOptions {
  readonly schema: GraphQLSchema;
  readonly createContext: () => GraphQLContext;
  readonly logger: Logger;
  /** Null when metrics are disabled (G6_METRICS_ENABLED=false). */
  readonly registry: Registry | null;
  readonly health: () => HealthReport;
  /** Keep graphql-js's "Did you mean …?" in validation messages (G6_DEBUG); off, they map the schema. */
  readonly fieldSuggestions?: boolean;
  readonly limits?: ApiLimits;
  /** List sizes the cost estimate cannot read from the arguments. */
  readonly costSettings?: CostSettings;
  /**
   * The data's version (the snapshot store's): identical HTTP requests share one answer while it holds.
   * Without it every request executes.
   */
  readonly dataVersion?: () => number;
  /**
   * Subscription fan-out waits on the promise this returns (settling within `maxWaitMs`; undefined: go
   * on), so serving yields to collection instead of stretching its cycles.
   */
  readonly fanOutYieldTo?: (maxWaitMs: number) => Promise<void> | undefined;
  /** Rate-limit counters shared across replicas (Redis); per process without it. */
  readonly sharedBudget?: SharedBudgetStore;
}

const DEFAULT_API_LIMITS: ApiLimits = {
  operation: DEFAULT_OPERATION_LIMITS,
  maxBodyBytes: 256 * 1024,
  wsMaxSubscriptions: 100,
  wsMaxSocketsPerClient: 50,
  wsMaxBufferedBytes: 4 * 1024 * 1024,
  wsInitTimeoutMs: 3000,
  maxInFlight: 256,
  apiKeys: [],
  corsOrigins: [],
  responseCacheTtlMs: 1000,
  responseCacheMaxBytes: 64 * 1024 * 1024,
};
/** Headers only a script allowed by CORS can set: a GET or form POST carrying one is no cross-site forgery. */
const CSRF_HEADERS = ['x-graphql-yoga-csrf', 'apollo-require-preflight'];

/** A GraphQL-shaped JSON error body for answers given outside yoga (shedding). */
function jsonError(res: ServerResponse, status: number, message: string, code: string, headers = {}): void {
  res
    .writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
    .end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

export interface G6Server {
  /** Resolves with the bound port (useful with port 0). */
  start(port: number, host: string): Promise<number>;
  /** Closes WebSockets (1001), then HTTP, giving requests in flight up to `drainMs`; once. */
  stop(drainMs?: number): Promise<void>;
  /** In-process fetch into the GraphQL app, no socket (tests). */
  readonly fetch: (input: string, init?: RequestInit) => Promise<Response>;
}

function toYogaLogger(logger: Logger): YogaLogger {
  const log =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: unknown[]) => {
      const [first, ...rest] = args;
      if (first instanceof Error) {
        logger[level]({ err: first }, 'graphql');
      } else {
        logger[level]({ detail: rest.length > 0 ? rest : undefined }, String(first));
      }
    };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/**
 * One HTTP server: GraphQL over HTTP and GraphiQL (yoga) and GraphQL over WebSocket (graphql-ws, same path,
 * run through yoga's envelop so masking and plugins apply), plus /health, /ready and /metrics.
 */
export function createServer(options: ServerOptions): G6Server {
  const { logger } = options;
  const limits = options.limits ?? DEFAULT_API_LIMITS;
  const costSettings = options.costSettings ?? { indices: 5, defaultStrikesAroundAtm: 30 };
  let inFlight = 0;
  // Scraped lazily: the groups exist by the time anyone reads /metrics.
  const metrics =
    options.registry === null
      ? null
      : registerServerMetrics(options.registry, {
          groupCount: () => groups.groupCount(),
          memberCount: () => groups.memberCount(),
        });
  const budget = createCostBudget(limits.operation.costPerMinute, options.sharedBudget);
  // HTTP operations carry yoga's `request` (and Node's `req`); WebSocket ones the principal set at connect.
  const clientOf = (contextValue: unknown): string => {
    const context = contextValue as {
      request?: Request;
      principal?: Principal;
      req?: { socket?: { remoteAddress?: string } };
    };
    const principal = context.principal ?? principalOf(context.request);
    return principal !== null && principal !== undefined
      ? `key:${principal.name}`
      : `ip:${context.req?.socket?.remoteAddress ?? 'unknown'}`;
  };
  const yoga = createYoga<Record<string, unknown>, GraphQLContext>({
    // Refused with 413 from Content-Length before the body is read, and while streaming one without it.
    maxRequestBodySize: limits.maxBodyBytes,
    // No cross-origin page may read answers unless G6_CORS_ORIGINS names it (GraphiQL is same-origin).
    cors:
      limits.corsOrigins.length === 0
        ? false
        : {
            origin: limits.corsOrigins.includes('*') ? '*' : [...limits.corsOrigins],
            methods: ['GET', 'POST', 'OPTIONS'],
            allowedHeaders: ['content-type', 'authorization', 'x-api-key', 'x-graphql-yoga-csrf'],
          },
    schema: options.schema,
    graphqlEndpoint: GRAPHQL_PATH,
    context: () => options.createContext(),
    graphiql: { title: 'G6 GraphiQL', subscriptionsProtocol: 'WS', defaultQuery: GRAPHIQL_DEFAULT_QUERY },
    // Served from the package, not a CDN: GraphiQL works offline and behind firewalls. Loaded on the first
    // page view: its 9 MB of assets cost every process (an API replica scaling out) a quarter second at start.
    renderGraphiQL: async (graphiqlOptions) =>
      (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(graphiqlOptions),
    landingPage: false,
    healthCheckEndpoint: '/health',
    logging: toYogaLogger(logger.child({ component: 'graphql' })),
    // Internals (originalError, stacks) never reach a client, whatever NODE_ENV says.
    maskedErrors: { isDev: false },
    plugins: [
      ...(metrics === null ? [] : [useOperationMetrics(metrics)]),
      useJsonErrors(GRAPHQL_PATH),
      useRequestParseErrors(),
      useApiKeys(limits.apiKeys, GRAPHQL_PATH),
      // A request a browser would send cross-site without a preflight (GET, form or text/plain POST) must
      // carry a header only a script with CORS permission can set: JSON POSTs and GraphiQL pass.
      useCSRFPrevention({ requestHeaders: CSRF_HEADERS }),
      ...useOperationLimits(limits.operation, costSettings, clientOf, budget),
      // After the limits, so their refusals are coded too.
      useErrorCodes({ suggestions: options.fieldSuggestions ?? false }),
      useCompression(),
      useReadinessCheck({
        endpoint: '/ready',
        // The whatwg-node Response (not Node's global one): the content-encoding plugin can only compress its own.
        check: ({ fetchAPI }) => {
          const report = options.health();
          // The same body either way, so a probe or a person sees what is wrong while it still serves.
          const body = {
            ready: report.ready,
            status: report.status,
            degraded: report.degraded,
            ...(report.marketOpen === null ? {} : { marketOpen: report.marketOpen }),
            problems: report.problems,
            components: report.components.map((c) => ({
              name: c.name,
              status: c.status,
              reason: c.reason,
              since: c.since.toISOString(),
            })),
          };
          return new fetchAPI.Response(JSON.stringify(body), {
            status: report.ready ? 200 : 503,
            headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
          });
        },
      }),
    ],
  });

  const shared = createSharedHttpAnswers({
    cache: createResponseCache({
      // Without a data version nothing says when an answer goes out of date: nothing is shared.
      ttlMs: options.dataVersion === undefined ? 0 : limits.responseCacheTtlMs,
      maxBytes: limits.responseCacheMaxBytes,
      dataVersion: options.dataVersion ?? (() => 0),
    }),
    execute: async (request, serverContext) => yoga.fetch(request, serverContext),
    schema: options.schema,
    costSettings,
    budget,
    clientOf,
    apiKeys: limits.apiKeys,
    corsEnabled: limits.corsOrigins.length > 0,
    maxBodyBytes: limits.maxBodyBytes,
    graphqlPath: GRAPHQL_PATH,
    csrfHeaders: CSRF_HEADERS,
    ...(metrics === null ? {} : { onOutcome: (outcome: SharedOutcome) => metrics.sharedAnswer(outcome) }),
  });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/metrics' || req.url?.startsWith('/metrics?')) {
      if (options.registry === null) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('metrics are disabled (G6_METRICS_ENABLED=false)\n');
        return;
      }
      try {
        const body = await options.registry.metrics();
        res.writeHead(200, { 'content-type': options.registry.contentType }).end(body);
      } catch (error) {
        logger.error({ err: error }, 'metrics scrape failed');
        res.writeHead(500).end();
      }
      return;
    }
    if (req.url === '/') {
      res.writeHead(302, { location: GRAPHQL_PATH }).end();
      return;
    }
    // Only GraphQL operations count: /health and /ready must answer however busy the API is.
    const operation = req.url === GRAPHQL_PATH || req.url?.startsWith(`${GRAPHQL_PATH}?`) === true;
    if (!operation) {
      await yoga(req, res);
      return;
    }
    if (inFlight >= limits.maxInFlight) {
      // Shed at once rather than queue without bound: the client retries, the server keeps its latency.
      metrics?.shed();
      jsonError(res, 503, `server busy: ${limits.maxInFlight} requests in flight; retry shortly`, 'SERVER_BUSY', {
        'retry-after': '1',
      });
      return;
    }
    inFlight += 1;
    res.once('close', () => {
      inFlight -= 1;
    });
    const oversized = await drainOversizedBody(req, limits.maxBodyBytes);
    if (oversized !== null) {
      jsonError(
        res,
        413,
        `request body of ${oversized.declaredBytes} bytes exceeds G6_MAX_BODY_BYTES (${limits.maxBodyBytes})`,
        'REQUEST_ENTITY_TOO_LARGE',
        oversized.drained ? {} : { connection: 'close' },
      );
      return;
    }
    if (!(await shared(req, res))) {
      await yoga(req, res);
    }
  };

  const http: Server = createHttpServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error }, 'request failed');
      if (!res.headersSent) {
        jsonError(res, 500, 'internal error', 'INTERNAL_SERVER_ERROR');
      }
    });
  });
  // Node answers a request it cannot parse (headers over its 16 KiB cap, say a GET with a huge query
  // string) with an empty body; API clients get the same coded JSON as for any other refusal.
  http.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
    const message = tooLarge
      ? 'request headers (with the URL) exceed 16 KiB: send a long query as a POST body'
      : 'malformed HTTP request';
    const body = JSON.stringify({
      errors: [{ message, extensions: { code: tooLarge ? 'REQUEST_HEADER_FIELDS_TOO_LARGE' : 'BAD_REQUEST' } }],
    });
    socket.end(
      `HTTP/1.1 ${status}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  const wsPrincipals = new WeakMap<object, Principal>();
  const socketsPerClient = new Map<string, number>();
  const wsClient = new WeakMap<object, string>();
  const writers = new WeakMap<WebSocket, MessageWriter>();
  const writerOf = (socket: WebSocket, raw: Duplex) => {
    let writer = writers.get(socket);
    if (writer === undefined) {
      writer = createMessageWriter(socket, raw);
      writers.set(socket, writer);
    }
    return writer;
  };
  const wss = new WebSocketServer({ server: http, path: GRAPHQL_PATH, maxPayload: limits.maxBodyBytes });
  const wsLogger = logger.child({ component: 'graphql-ws' });
  const groups = createSubscriptionGroups({
    onFannedOut: (written, waitedMs, writingMs) => {
      metrics?.fanOut(waitedMs, writingMs);
      metrics?.subscriptionEventsSent(written);
    },
    onConflated: () => metrics?.subscriptionEventSkipped(),
    ...(options.fanOutYieldTo === undefined ? {} : { yieldTo: options.fanOutYieldTo }),
  });
  const wsServer = useGraphqlWs(
    {
      // onSubscribe puts yoga's enveloped execute/subscribe on rootValue so plugins and masking apply.
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
      // Each subscriber is admitted (limits, cost, charge) by its own enveloped subscribe; then it joins
      // the group of identical subscriptions, whose one execution serves them all.
      subscribe: async (args) => {
        const root = args.rootValue as EnvelopedRoot;
        return groups.join(root.groupKey, await root.subscribe(args), root.socket, root.id);
      },
      connectionInitWaitTimeout: limits.wsInitTimeoutMs,
      onConnect: (ctx) => {
        if (limits.apiKeys.length > 0) {
          const params = ctx.connectionParams ?? {};
          const presented = keyFromAuthorization(
            (params.authorization ?? params.Authorization ?? params.apiKey) as string | undefined,
          );
          const principal = authenticate(limits.apiKeys, presented);
          if (principal === null) {
            // graphql-ws closes with 4403 Forbidden, which its clients do not retry into a storm.
            wsLogger.info('WebSocket refused: no valid API key in connectionParams');
            return false;
          }
          wsPrincipals.set(ctx, principal);
        }
        const client = clientOf({ principal: wsPrincipals.get(ctx), req: ctx.extra.request });
        const open = socketsPerClient.get(client) ?? 0;
        if (open >= limits.wsMaxSocketsPerClient) {
          wsLogger.info({ limit: limits.wsMaxSocketsPerClient }, 'WebSocket refused: too many sockets for this client');
          return false;
        }
        socketsPerClient.set(client, open + 1);
        wsClient.set(ctx, client);
        metrics?.wsConnectionsChanged(1);
        wsLogger.debug('client connected');
        return true;
      },
      onClose: (ctx) => {
        const client = wsClient.get(ctx);
        if (client === undefined) {
          return; // refused at connect: never counted
        }
        const left = (socketsPerClient.get(client) ?? 1) - 1;
        if (left > 0) {
          socketsPerClient.set(client, left);
        } else {
          socketsPerClient.delete(client);
        }
        metrics?.wsConnectionsChanged(-1);
        wsLogger.debug('client disconnected');
      },
      onSubscribe: async (ctx, id, payload) => {
        // graphql-ws reserves this subscription's id before asking, so it is among those counted.
        if (Object.keys(ctx.subscriptions).length > limits.wsMaxSubscriptions) {
          return [
            new GraphQLError(
              `at most ${limits.wsMaxSubscriptions} subscriptions per WebSocket (G6_WS_MAX_SUBSCRIPTIONS); end one first`,
              { extensions: { code: 'RATE_LIMITED', limit: limits.wsMaxSubscriptions } },
            ),
          ];
        }
        const principal = wsPrincipals.get(ctx);
        if (principal !== undefined) {
          const refused = forbidden(principal, scopesOf(payload.query, payload.operationName));
          if (refused !== null) {
            return [refused];
          }
        }
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
          principal,
        });
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (error) {
          // One bad document fails its own subscription (an `error` message), never the socket and the
          // client's other subscriptions, as HTTP answers it with a 400.
          const message = error instanceof Error ? error.message : 'the document could not be parsed';
          return [new GraphQLError(message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
        }
        const args = {
          schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: await contextFactory(),
          rootValue: {
            execute,
            subscribe,
            groupKey: JSON.stringify([payload.operationName ?? null, payload.query, payload.variables ?? null]),
            socket: writerOf(ctx.extra.socket, ctx.extra.request.socket),
            id,
          } as EnvelopedRoot,
        };
        const errors = validate(args.schema, args.document);
        if (errors.length > 0) {
          return errors;
        }
        // graphql-ws would answer an operationName the document lacks with an uncoded error.
        if (getOperationAST(document, payload.operationName) === null) {
          return [
            new GraphQLError(
              payload.operationName
                ? `no operation named "${payload.operationName}" in the document`
                : 'the document has several operations: name one in operationName',
              { extensions: { code: ERROR_CODES.BAD_USER_INPUT } },
            ),
          ];
        }
        return args;
      },
    },
    wss,
    { logger: wsLogger },
  );

  // graphql-ws awaits each send, so a stalled reader holds at most one unsent message per subscription
  // (and the conflating pub/sub one snapshot): bounded, but kept open. A socket whose unsent bytes stay
  // over the bound for two sweeps is closed with 1013 and, if even the close frame cannot go out, dropped.
  const overLimit = new WeakSet<object>();
  const sweep = setInterval(() => {
    for (const socket of wss.clients) {
      if (socket.bufferedAmount <= limits.wsMaxBufferedBytes) {
        overLimit.delete(socket);
      } else if (!overLimit.has(socket)) {
        overLimit.add(socket);
      } else if (socket.readyState === socket.OPEN) {
        metrics?.slowConsumerClosed();
        wsLogger.warn({ bufferedBytes: socket.bufferedAmount }, 'WebSocket closed: the reader fell too far behind');
        socket.close(1013, 'reader too slow: reconnect and resubscribe');
        setTimeout(() => socket.terminate(), 1000).unref();
      }
    }
  }, SLOW_CONSUMER_SWEEP_MS);
  sweep.unref();

  let stopping: Promise<void> | null = null;
  return {
    fetch: (input, init) => Promise.resolve(yoga.fetch(new Request(`http://g6.local${input}`, init))),
    start(port, host) {
      return new Promise((resolve, reject) => {
        http.once('error', reject);
        http.listen(port, host, () => {
          http.off('error', reject);
          resolve((http.address() as AddressInfo).port);
        });
      });
    },
    stop(drainMs = DEFAULT_DRAIN_MS) {
      stopping ??= (async () => {
        // Close WebSockets with 1001 "Going away" so clients reconnect elsewhere, then HTTP: no new
        // connections, idle ones closed, requests in flight given up to drainMs to finish.
        clearInterval(sweep);
        groups.close();
        await wsServer.dispose();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        const closed = http.listening ? new Promise<void>((resolve) => http.close(() => resolve())) : null;
        http.closeIdleConnections();
        if (closed !== null) {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            closed,
            new Promise<void>((resolve) => {
              timer = setTimeout(resolve, drainMs);
            }),
          ]);
          clearTimeout(timer);
          http.closeAllConnections();
          await closed;
        }
        await yoga.dispose();
      })();
      return stopping;
    },
  };
}
