import { type Connect, KiteConnect } from 'kiteconnect';
import pThrottle from 'p-throttle';
import { classifyKiteError, isKiteErrorBody, type KiteFailure, kiteFailureToAppError } from './kite-errors.ts';
import { kiteTimestampToInstant } from './kite-quotes.ts';

/** Kite's documented limits: quote endpoints 1 request/s; everything else 10 requests/s per API key. */
export const KITE_LIMITS = {
  quoteRequestsPerSecond: 1,
  otherRequestsPerSecond: 10,
  instrumentsPerQuote: 500,
} as const;

export type KiteEndpoint = 'quote' | 'instruments' | 'profile' | 'session';
export type KiteRequestOutcome = 'ok' | 'retried' | 'token' | 'final' | 'failed';

export interface KiteClientOptions {
  readonly apiKey: string;
  readonly accessToken: string | null;
  /** REST base URL (G6_KITE_ROOT); kiteconnect's default `https://api.kite.trade` when undefined. */
  readonly root?: string;
  readonly timeoutMs: number;
  /** Requests per second on the quote endpoints (Kite: 1). */
  readonly quoteRequestsPerSecond?: number;
  /** Requests per second on every other endpoint (Kite: 10). */
  readonly otherRequestsPerSecond?: number;
  /** Attempts per call for retryable failures, the first included. */
  readonly maxAttempts?: number;
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly random?: () => number;
  /** Secret values to blank out of every message this client produces. */
  readonly secrets?: readonly string[];
  readonly onRequest?: (endpoint: KiteEndpoint, outcome: KiteRequestOutcome, durationMs: number) => void;
  readonly onTokenRejected?: (failure: KiteFailure) => void;
}

export interface KiteProfile {
  readonly userId: string;
  readonly userName: string;
}

export interface KiteSession {
  readonly accessToken: string;
  readonly userId: string;
  /** When Kite says the login happened (IST wall clock read back correctly), if it said. */
  readonly loginTime: Date | null;
}

/** The calls G6 makes, throttled to Kite's limits and retried with backoff. */
export interface KiteClient {
  setAccessToken(token: string | null): void;
  getQuote(keys: readonly string[], signal?: AbortSignal): Promise<Record<string, unknown>>;
  getInstruments(exchange: string, signal?: AbortSignal): Promise<unknown[]>;
  getProfile(signal?: AbortSignal): Promise<KiteProfile>;
  generateSession(requestToken: string, apiSecret: string): Promise<KiteSession>;
  /** Requests waiting for a quote slot (a gauge for back-pressure). */
  queuedQuoteRequests(): number;
}

/** Interval of the quote throttle: a margin over 1 s so request *arrivals* stay 1 s apart despite jitter. */
const THROTTLE_MARGIN_MS = 50;

/**
 * A KiteConnect whose `debug` switch is pinned off: with it on, the client console.logs every axios
 * request, Authorization header (api_key:access_token) included, bypassing pino's redaction.
 */
export function createGuardedKiteConnect(params: { apiKey: string; root?: string; timeoutMs: number }): Connect {
  const kite = new KiteConnect({
    api_key: params.apiKey,
    ...(params.root === undefined ? {} : { root: params.root }),
    timeout: params.timeoutMs,
    debug: false,
  });
  Object.defineProperty(kite, 'debug', { get: () => false, set: () => {}, configurable: false });
  return kite;
}

export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) {
      out = out.split(secret).join('[Redacted]');
    }
  }
  return out;
}

function abortableDelay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function createKiteClient(options: KiteClientOptions): KiteClient {
  const kite = createGuardedKiteConnect({
    apiKey: options.apiKey,
    ...(options.root === undefined ? {} : { root: options.root }),
    timeoutMs: options.timeoutMs,
  });
  let accessToken = options.accessToken;
  if (accessToken !== null) {
    kite.setAccessToken(accessToken);
  }
  const random = options.random ?? Math.random;
  const maxAttempts = options.maxAttempts ?? 4;
  const baseBackoffMs = options.baseBackoffMs ?? 500;
  const maxBackoffMs = options.maxBackoffMs ?? 8_000;
  const secrets = () => [...(options.secrets ?? []), ...(accessToken === null ? [] : [accessToken])];

  // p-throttle (strict) queues calls and starts at most `limit` per `interval`; nothing is dropped.
  const quoteThrottle = pThrottle({
    limit: 1,
    interval:
      Math.ceil(1000 / (options.quoteRequestsPerSecond ?? KITE_LIMITS.quoteRequestsPerSecond)) + THROTTLE_MARGIN_MS,
    strict: true,
  });
  const otherThrottle = pThrottle({
    limit: options.otherRequestsPerSecond ?? KITE_LIMITS.otherRequestsPerSecond,
    interval: 1000 + THROTTLE_MARGIN_MS,
    strict: true,
  });
  const quoteSlot = quoteThrottle(async <T>(call: () => Promise<T>) => call());
  const otherSlot = otherThrottle(async <T>(call: () => Promise<T>) => call());

  async function request<T>(
    endpoint: KiteEndpoint,
    what: string,
    call: () => Promise<unknown>,
    validate: (value: unknown) => T | null,
    signal: AbortSignal | undefined,
    attempts = maxAttempts,
  ): Promise<T> {
    const slot = endpoint === 'quote' ? quoteSlot : otherSlot;
    for (let attempt = 1; ; attempt += 1) {
      signal?.throwIfAborted();
      const started = performance.now();
      let failure: KiteFailure;
      try {
        const value = await slot(async () => {
          // A call whose collection was aborted while it queued spends its slot without a request.
          signal?.throwIfAborted();
          return call();
        });
        if (isKiteErrorBody(value)) {
          failure = classifyKiteError(value);
        } else {
          const valid = validate(value);
          if (valid !== null) {
            options.onRequest?.(endpoint, 'ok', performance.now() - started);
            return valid;
          }
          failure = { kind: 'retryable', errorType: 'DataException', message: `malformed ${what} response` };
        }
      } catch (error) {
        if (signal?.aborted) {
          throw signal.reason;
        }
        failure = classifyKiteError(error);
      }
      failure = { ...failure, message: scrubSecrets(failure.message, secrets()) };
      const durationMs = performance.now() - started;
      if (failure.kind === 'token') {
        options.onRequest?.(endpoint, 'token', durationMs);
        options.onTokenRejected?.(failure);
        throw kiteFailureToAppError(failure, what);
      }
      if (failure.kind === 'final' || attempt >= attempts) {
        options.onRequest?.(endpoint, failure.kind === 'final' ? 'final' : 'failed', durationMs);
        throw kiteFailureToAppError(failure, what);
      }
      options.onRequest?.(endpoint, 'retried', durationMs);
      // Full jitter over an exponential ceiling; a rate-limit reply waits at least a second.
      const ceiling = Math.min(maxBackoffMs, baseBackoffMs * 2 ** (attempt - 1));
      const floor = /too many requests/i.test(failure.message) ? 1000 : 0;
      await abortableDelay(floor + random() * ceiling, signal);
    }
  }

  return {
    setAccessToken(token) {
      accessToken = token;
      kite.setAccessToken(token ?? '');
    },
    getQuote(keys, signal) {
      if (keys.length > KITE_LIMITS.instrumentsPerQuote) {
        throw new RangeError(`at most ${KITE_LIMITS.instrumentsPerQuote} instruments per quote call`);
      }
      return request(
        'quote',
        'quote',
        () => kite.getQuote([...keys]),
        (value) =>
          typeof value === 'object' && value !== null && !Array.isArray(value)
            ? (value as Record<string, unknown>)
            : null,
        signal,
      );
    },
    getInstruments(exchange, signal) {
      return request(
        'instruments',
        `instruments ${exchange}`,
        () => kite.getInstruments(exchange as never),
        // A content type other than exactly `text/csv` leaves the CSV unparsed (a string).
        (value) => (Array.isArray(value) ? (value as unknown[]) : null),
        signal,
      );
    },
    getProfile(signal) {
      return request(
        'profile',
        'profile',
        () => kite.getProfile(),
        (value) => {
          const v = value as { user_id?: unknown; user_name?: unknown } | null;
          return typeof v === 'object' && v !== null && typeof v.user_id === 'string'
            ? { userId: v.user_id, userName: typeof v.user_name === 'string' ? v.user_name : '' }
            : null;
        },
        signal,
      );
    },
    generateSession(requestToken, apiSecret) {
      const hidden = [...(options.secrets ?? []), requestToken, apiSecret];
      return request(
        'session',
        'session',
        () => kite.generateSession(requestToken, apiSecret),
        (value) => {
          const v = value as { access_token?: unknown; user_id?: unknown; login_time?: unknown } | null;
          if (typeof v !== 'object' || v === null || typeof v.access_token !== 'string' || v.access_token === '') {
            return null;
          }
          return {
            accessToken: v.access_token,
            userId: typeof v.user_id === 'string' ? v.user_id : '',
            loginTime:
              v.login_time instanceof Date || typeof v.login_time === 'string'
                ? kiteTimestampToInstant(v.login_time)
                : null,
          };
        },
        undefined,
        // A request token is single-use: a blind retry after a lost reply could only fail.
        1,
      ).catch((error: unknown) => {
        if (error instanceof Error) {
          error.message = scrubSecrets(error.message, hidden);
        }
        throw error;
      });
    },
    queuedQuoteRequests() {
      return quoteSlot.queueSize;
    },
  };
}
