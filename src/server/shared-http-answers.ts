import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { type GraphQLSchema, parse } from 'graphql';
import { forbidden } from './api-auth.ts';
import { type ApiKeyEntry, authenticate, keyFromAuthorization, type Principal, requiredScopes } from './api-keys.ts';
import type { ClientOf, CostBudget } from './operation-limits.ts';
import { type CostSettings, estimateOperationCost } from './query-cost.ts';
import type { ResponseCache, SharedAnswer } from './response-cache.ts';

/** How a request the sharing path took was answered (`g6_http_shared_answers_total{outcome}`). */
export type SharedOutcome = 'hit' | 'miss' | 'not_modified' | 'unshareable';

export interface SharedHttpAnswersOptions {
  readonly cache: ResponseCache;
  /** yoga's fetch: the full path (limits, keys, masking, codes) that executes a miss. */
  readonly execute: (
    request: Request,
    serverContext: { req: IncomingMessage; res: ServerResponse },
  ) => Promise<Response>;
  readonly schema: GraphQLSchema;
  readonly costSettings: CostSettings;
  readonly budget: CostBudget;
  /** Who pays: the same rule as for executed operations (API key, else address). */
  readonly clientOf: ClientOf;
  readonly apiKeys: readonly ApiKeyEntry[];
  /** With CORS on, answers depend on the Origin: such requests take the full path. */
  readonly corsEnabled: boolean;
  readonly maxBodyBytes: number;
  readonly graphqlPath: string;
  /** Headers that let a GET through yoga's CSRF guard (the same list). */
  readonly csrfHeaders: readonly string[];
  readonly onOutcome?: (outcome: SharedOutcome) => void;
}

const STREAM_TYPES = /^(?:text\/event-stream|multipart\/mixed)/;
/** Below this, gzip's header costs more than it saves. */
const GZIP_MIN_BYTES = 1024;

function acceptsGzip(req: IncomingMessage): boolean {
  return /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
}

function readBody(req: IncomingMessage, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      chunks.push(chunk);
    });
    req.once('end', () => resolve(received === length ? Buffer.concat(chunks, received) : Buffer.alloc(0)));
    req.once('error', reject);
  });
}

/**
 * Identical GraphQL requests over one snapshot share one execution and one serialised body (Hasura's and
 * the CDNs' model): the first executes through yoga with every plugin, the rest — while the store's data
 * version is unchanged and within the TTL — get the same bytes, after the same key check, scope check and
 * charge to their own cost budget as an execution. Concurrent identical misses wait for the one execution
 * under way. Answers with any error, or refused, are never shared. Returns false for a request it does
 * not take (the caller hands it to yoga untouched): not a JSON POST or CSRF-safe GET of a query, a body
 * without Content-Length or over the cap, an Accept that asks for a stream or a page, CORS requests.
 */
export function createSharedHttpAnswers(
  options: SharedHttpAnswersOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const { cache } = options;

  const eligible = (req: IncomingMessage): boolean => {
    const accept = req.headers.accept ?? '';
    if (/text\/event-stream|multipart\/mixed|text\/html/.test(accept) || req.headers.upgrade !== undefined) {
      return false;
    }
    if (options.corsEnabled && req.headers.origin !== undefined) {
      return false;
    }
    if (req.method === 'POST') {
      const length = Number(req.headers['content-length']);
      return (
        /^application\/json\s*(?:;|$)/i.test(req.headers['content-type'] ?? '') &&
        Number.isInteger(length) &&
        length > 0 &&
        length <= options.maxBodyBytes &&
        req.headers['transfer-encoding'] === undefined
      );
    }
    return req.method === 'GET' && options.csrfHeaders.some((h) => req.headers[h] !== undefined);
  };

  const principalOf = (req: IncomingMessage): Principal | null =>
    options.apiKeys.length === 0
      ? null
      : authenticate(
          options.apiKeys,
          keyFromAuthorization(
            (req.headers.authorization as string | undefined) ?? (req.headers['x-api-key'] as string | undefined),
          ),
        );

  const sendShared = async (
    req: IncomingMessage,
    res: ServerResponse,
    answer: SharedAnswer,
    principal: Principal | null,
  ): Promise<boolean> => {
    if (principal !== null && forbidden(principal, answer.scopes) !== null) {
      return false; // the full path answers FORBIDDEN
    }
    const refused = await options.budget.charge(options.clientOf({ principal, req }), answer.units);
    if (refused !== null) {
      const { http, ...extensions } = refused.extensions as { http?: { status: number; headers: object } };
      res
        .writeHead(429, { 'content-type': 'application/json; charset=utf-8', ...http?.headers })
        .end(JSON.stringify({ errors: [{ message: refused.message, extensions }] }));
      return true;
    }
    const headers: Record<string, string | number> = {
      'content-type': answer.contentType,
      etag: answer.etag,
      vary: 'accept, accept-encoding',
      'x-cache': 'HIT',
    };
    if (req.headers['if-none-match'] === answer.etag) {
      options.onOutcome?.('not_modified');
      res.writeHead(304, headers).end();
      return true;
    }
    options.onOutcome?.('hit');
    const gzip = answer.body.length >= GZIP_MIN_BYTES && acceptsGzip(req);
    const body = gzip ? answer.gzipped() : answer.body;
    res.writeHead(200, { ...headers, ...(gzip ? { 'content-encoding': 'gzip' } : {}), 'content-length': body.length });
    res.end(body);
    return true;
  };

  /** What the operation costs and needs, for a shareable answer (its execution was admitted already). */
  const priceOf = (req: IncomingMessage, body: Buffer) => {
    const params =
      req.method === 'POST'
        ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>)
        : Object.fromEntries(new URL(req.url ?? '/', 'http://g6.local').searchParams);
    const variables =
      typeof params.variables === 'string'
        ? (JSON.parse(params.variables) as Record<string, unknown>)
        : (params.variables as Record<string, unknown> | undefined);
    const operationName = typeof params.operationName === 'string' ? params.operationName : undefined;
    const document = parse(String(params.query));
    return {
      units: estimateOperationCost(
        options.schema,
        document,
        variables ?? undefined,
        options.costSettings,
        operationName,
      ),
      scopes: requiredScopes(document, operationName),
    };
  };

  /** The answer to share, or null for one with errors or not of one operation (a batch). */
  const shareable = (req: IncomingMessage, body: Buffer, bytes: Buffer, contentType: string) => {
    try {
      const result = JSON.parse(bytes.toString('utf8')) as unknown;
      if (typeof result !== 'object' || result === null || Array.isArray(result) || 'errors' in result) {
        return null;
      }
      return { contentType, body: bytes, ...priceOf(req, body) };
    } catch {
      return null;
    }
  };

  const execute = async (
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    key: string | null,
  ): Promise<void> => {
    // An unknown client's request is answered (401) by the full path and never shared or waited on.
    const finish = key === null ? () => null : cache.begin(key);
    const version = cache.version();
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      // The body is compressed here (once for a shared answer), not per request inside yoga.
      if (value !== undefined && name !== 'accept-encoding') {
        headers.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
    }
    let response: Response;
    try {
      response = await options.execute(
        new Request(`http://${req.headers.host ?? 'g6.local'}${req.url ?? options.graphqlPath}`, {
          method: req.method,
          headers,
          ...(req.method === 'POST' ? { body: new Uint8Array(body) } : {}),
        }),
        { req, res },
      );
    } catch (error) {
      finish(null, version);
      throw error;
    }
    const contentType = response.headers.get('content-type') ?? '';
    if (STREAM_TYPES.test(contentType) && response.body !== null) {
      // A subscription answered as a stream to a client that accepts anything: relay it as it comes.
      finish(null, version);
      options.onOutcome?.('unshareable');
      res.writeHead(response.status, Object.fromEntries(response.headers));
      const reader = response.body.getReader();
      res.once('close', () => void reader.cancel().catch(() => undefined));
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          break;
        }
        res.write(value);
      }
      res.end();
      return;
    }
    const bytes = Buffer.from(await response.arrayBuffer());
    let shared: SharedAnswer | null = null;
    if (response.status === 200 && /json/.test(contentType)) {
      shared = finish(shareable(req, body, bytes, contentType), version);
    }
    if (shared === null) {
      finish(null, version);
    }
    options.onOutcome?.(shared === null ? 'unshareable' : 'miss');
    const out: Record<string, string | number> = Object.fromEntries(response.headers);
    delete out['content-length'];
    delete out['content-encoding'];
    if (shared !== null) {
      out.etag = shared.etag;
      out.vary = 'accept, accept-encoding';
      out['x-cache'] = 'MISS';
    }
    const gzip = bytes.length >= GZIP_MIN_BYTES && acceptsGzip(req);
    const sent = gzip ? (shared?.gzipped() ?? gzipSync(bytes)) : bytes;
    if (gzip) {
      out['content-encoding'] = 'gzip';
    }
    out['content-length'] = sent.length;
    res.writeHead(response.status, out).end(sent);
  };

  return async (req, res) => {
    if (!cache.enabled || !eligible(req)) {
      return false;
    }
    const body = req.method === 'POST' ? await readBody(req, Number(req.headers['content-length'])) : Buffer.alloc(0);
    const key = `${req.method}\n${req.headers.accept ?? ''}\n${req.method === 'POST' ? body.toString('latin1') : req.url}`;
    const principal = principalOf(req);
    const knownClient = options.apiKeys.length === 0 || principal !== null;
    if (knownClient) {
      const answer = cache.get(key) ?? (await cache.pending(key));
      if (answer !== null && answer !== undefined && (await sendShared(req, res, answer, principal))) {
        return true;
      }
    }
    await execute(req, res, body, knownClient ? key : null);
    return true;
  };
}
