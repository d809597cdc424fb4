import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import { type AlertEvent, alertPayload } from './alert-event.ts';

export { alertPayload } from './alert-event.ts';

/** Header carrying `sha256=<hex>` when a secret is set. */
export const SIGNATURE_HEADER = 'X-G6-Signature';
/** Header carrying the unix seconds that were signed with the body. */
export const TIMESTAMP_HEADER = 'X-G6-Timestamp';

export interface AlertWebhookOptions {
  /** G6_ALERT_WEBHOOK_URLS: http or https. Credentials in the URL (`https://user:pass@…`) are sent as Basic auth. */
  readonly urls: readonly string[];
  /** G6_ALERT_WEBHOOK_SECRET: signs each request (see `signature`); null sends no signature headers. */
  readonly secret: string | null;
  /** Which G6 sends the alerts, e.g. its host:port; part of the payload. */
  readonly instance: string | (() => string);
  readonly logger: Logger;
  /** Events waiting per URL behind the one being delivered; beyond it one is dropped (see `send`). @default 100 */
  readonly maxQueue?: number;
  /** One attempt's limit in milliseconds, response headers included. @default 5000 */
  readonly timeoutMs?: number;
  /** Backoff ceiling before the first retry, in milliseconds; doubles per failed attempt. @default 1000 */
  readonly initialBackoffMs?: number;
  /** Longest wait between attempts in milliseconds, Retry-After included. @default 60000 */
  readonly maxBackoffMs?: number;
  /** Attempts per event, the first included, before it is given up. @default 8 */
  readonly maxAttempts?: number;
  /** The clock `sentAt` and `X-G6-Timestamp` are read from. */
  readonly now?: () => Date;
  /** In [0, 1): the backoff jitter. */
  readonly random?: () => number;
  readonly fetch?: typeof fetch;
  /**
   * Counter hooks. `webhook` is the URL's position in `urls` ("0", "1", …): a label that identifies the
   * receiver without carrying its token into metrics.
   */
  readonly onDelivered?: (webhook: string) => void;
  readonly onRetry?: (webhook: string) => void;
  readonly onGivenUp?: (webhook: string) => void;
  readonly onDropped?: (webhook: string) => void;
}

export const DEFAULT_ALERT_WEBHOOK_OPTIONS = {
  maxQueue: 100,
  timeoutMs: 5_000,
  initialBackoffMs: 1_000,
  maxBackoffMs: 60_000,
  maxAttempts: 8,
} as const;

export interface AlertWebhooks {
  /** Queues `event` for every URL and returns at once; never throws. */
  send(event: AlertEvent): void;
  /** Starts delivering (events sent before it wait in their queues). */
  start(): void;
  /**
   * Gives the queues up to `drainMs` to empty (the alerts of a shutdown itself, a RESOLVED waiting to
   * retry), then aborts what is in flight, clears every timer and logs what was never delivered.
   */
  close(drainMs?: number): Promise<void>;
  /** Events not yet delivered, given up or dropped, over all URLs (the ones in flight included). */
  queued(): number;
}

/**
 * `sha256=` and the hex HMAC-SHA256, keyed by `secret`, of `<timestamp>.<body>`: the unix seconds of
 * `X-G6-Timestamp`, a full stop, and the body's exact bytes. Signing the timestamp lets a receiver refuse
 * a captured request replayed later (it checks the timestamp is recent).
 */
export function signature(secret: string, timestamp: number, body: string | Uint8Array): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${timestamp}.`);
  hmac.update(body);
  return `sha256=${hmac.digest('hex')}`;
}

type Outcome =
  | { readonly kind: 'delivered'; readonly status: number }
  | { readonly kind: 'rejected'; readonly status: number }
  | {
      readonly kind: 'retry';
      readonly status: number | null;
      readonly error: string;
      readonly retryAfterMs: number | null;
    }
  | { readonly kind: 'closed' };

interface Entry {
  readonly event: AlertEvent;
  attempts: number;
}

interface Lane {
  readonly label: string;
  /** Scheme, host and port only: the one part of the URL that is logged (paths and queries carry tokens). */
  readonly origin: string;
  /** The URL without its credentials (fetch refuses them). */
  readonly target: string;
  readonly authorization: string | null;
  /** The URL's parts that must never reach a log line, should an error message quote them. */
  readonly secrets: readonly string[];
  readonly queue: Entry[];
  running: Promise<void> | null;
  inFlight: AbortController | null;
  timer: NodeJS.Timeout | undefined;
  wake: (() => void) | null;
}

function parseLane(raw: string, index: number): Lane {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // The URL itself is not quoted: it may carry a token.
    throw new Error(`alert webhook ${index}: not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`alert webhook ${index}: expected an http:// or https:// URL`);
  }
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  const authorization =
    user === '' && password === '' ? null : `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const secrets = [raw, url.href, url.username, url.password, user, password, `${url.pathname}${url.search}`].filter(
    (s) => s.length > 1,
  );
  url.username = '';
  url.password = '';
  return {
    label: String(index),
    origin: url.origin,
    target: url.href,
    authorization,
    secrets,
    queue: [],
    running: null,
    inFlight: null,
    timer: undefined,
    wake: null,
  };
}

/** Seconds or an HTTP date, as milliseconds from `nowMs`; null when absent or unreadable. */
function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) {
    return null;
  }
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    return Number(text) * 1000;
  }
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    const code = cause instanceof Error ? ((cause as { code?: unknown }).code ?? cause.message) : undefined;
    return code === undefined ? error.message : `${error.message} (${String(code)})`;
  }
  return String(error);
}

/**
 * Delivers alert events to webhooks, each URL on its own: one request in flight per URL, events in the
 * order they were sent, so a RESOLVED never arrives before its FIRING. A stalled or failing receiver only
 * ever delays its own queue, and `send` never waits for any of them: the health loop calls it.
 *
 * - 2xx: delivered. 4xx other than 408 and 429, and 3xx (redirects are not followed, so a signed body never
 *   goes to a host nobody configured): given up at once, retrying the same request cannot help.
 * - 5xx, 408, 429, network errors and timeouts: retried after `min(maxBackoffMs, initialBackoffMs·2^(n−1))`
 *   scaled into its upper half by `random` (n failed attempts so far), or after `Retry-After` on a 429 or
 *   503 (capped at `maxBackoffMs`), until `maxAttempts`; then given up.
 * - A full queue drops, among the events waiting (not the one being delivered), the oldest one that a later
 *   event of the same alert id supersedes, else the oldest: the alert that is still firing is the last to
 *   go. Order is never changed, so what is left stays in FIRING-then-RESOLVED order.
 */
export function createAlertWebhooks(options: AlertWebhookOptions): AlertWebhooks {
  const maxQueue = options.maxQueue ?? DEFAULT_ALERT_WEBHOOK_OPTIONS.maxQueue;
  const timeoutMs = options.timeoutMs ?? DEFAULT_ALERT_WEBHOOK_OPTIONS.timeoutMs;
  const initialBackoffMs = options.initialBackoffMs ?? DEFAULT_ALERT_WEBHOOK_OPTIONS.initialBackoffMs;
  const maxBackoffMs = options.maxBackoffMs ?? DEFAULT_ALERT_WEBHOOK_OPTIONS.maxBackoffMs;
  const maxAttempts = options.maxAttempts ?? DEFAULT_ALERT_WEBHOOK_OPTIONS.maxAttempts;
  const now = options.now ?? (() => new Date());
  // A function when the port is bound after the webhooks are made (G6_PORT=0).
  const instanceName = typeof options.instance === 'function' ? options.instance : () => options.instance as string;
  const random = options.random ?? Math.random;
  const fetchFn = options.fetch ?? globalThis.fetch;
  const log = options.logger.child({ component: 'alert-webhooks' });
  if (!Number.isInteger(maxQueue) || maxQueue < 1) {
    throw new Error('alert webhooks: maxQueue must be a positive integer');
  }
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new Error('alert webhooks: maxAttempts must be a positive integer');
  }
  const lanes = options.urls.map(parseLane);
  let started = false;
  let closed = false;

  const scrub = (lane: Lane, text: string): string =>
    lane.secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), text);

  // A metrics hook that throws must not break delivery, nor `send`.
  const hook = (fn: ((webhook: string) => void) | undefined, lane: Lane) => {
    try {
      fn?.(lane.label);
    } catch (error) {
      log.warn({ webhook: lane.label, error: describeError(error) }, 'alert webhook metrics hook threw');
    }
  };

  const about = (lane: Lane, event: AlertEvent) => ({
    webhook: lane.label,
    origin: lane.origin,
    alertId: event.id,
    alertComponent: event.component,
    alertState: event.state,
  });

  function backoffMs(failures: number): number {
    const ceiling = Math.min(maxBackoffMs, initialBackoffMs * 2 ** Math.min(failures - 1, 30));
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
  }

  function wait(lane: Lane, ms: number): Promise<void> {
    return new Promise((resolve) => {
      lane.wake = () => {
        clearTimeout(lane.timer);
        lane.timer = undefined;
        lane.wake = null;
        resolve();
      };
      lane.timer = setTimeout(lane.wake, ms);
    });
  }

  async function attempt(lane: Lane, event: AlertEvent): Promise<Outcome> {
    const sentAt = now();
    const body = JSON.stringify(alertPayload(event, instanceName(), sentAt));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'g6-alert-webhook/1',
    };
    if (options.secret !== null) {
      const timestamp = Math.floor(sentAt.getTime() / 1000);
      headers[TIMESTAMP_HEADER] = String(timestamp);
      headers[SIGNATURE_HEADER] = signature(options.secret, timestamp, body);
    }
    if (lane.authorization !== null) {
      headers.authorization = lane.authorization;
    }
    const controller = new AbortController();
    lane.inFlight = controller;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`no response within ${timeoutMs} ms`));
    }, timeoutMs);
    // Raced against the request, so the limit holds even for a fetch that ignores its signal.
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
    });
    aborted.catch(() => {});
    try {
      const response = await Promise.race([
        fetchFn(lane.target, { method: 'POST', headers, body, signal: controller.signal, redirect: 'manual' }),
        aborted,
      ]);
      // Nothing in the answer is used; releasing it frees the connection.
      await Promise.race([response.body?.cancel().catch(() => {}), aborted]);
      const status = response.status;
      if (status >= 200 && status < 300) {
        return { kind: 'delivered', status };
      }
      if (status >= 500 || status === 408 || status === 429) {
        const retryAfterMs =
          status === 429 || status === 503
            ? parseRetryAfter(response.headers.get('retry-after'), sentAt.getTime())
            : null;
        return { kind: 'retry', status, error: `HTTP ${status}`, retryAfterMs };
      }
      return { kind: 'rejected', status };
    } catch (error) {
      if (closed && !timedOut) {
        return { kind: 'closed' };
      }
      const message = timedOut ? `no response within ${timeoutMs} ms` : scrub(lane, describeError(error));
      return { kind: 'retry', status: null, error: message, retryAfterMs: null };
    } finally {
      clearTimeout(timer);
      lane.inFlight = null;
    }
  }

  async function drain(lane: Lane): Promise<void> {
    while (!closed) {
      const entry = lane.queue[0];
      if (entry === undefined) {
        return;
      }
      const outcome = await attempt(lane, entry.event);
      if (outcome.kind === 'closed') {
        return;
      }
      entry.attempts += 1;
      if (outcome.kind === 'delivered') {
        lane.queue.shift();
        hook(options.onDelivered, lane);
        log.debug({ ...about(lane, entry.event), attempts: entry.attempts }, 'alert webhook delivered');
        continue;
      }
      if (outcome.kind === 'rejected') {
        lane.queue.shift();
        hook(options.onGivenUp, lane);
        log.error(
          { ...about(lane, entry.event), status: outcome.status, attempts: entry.attempts },
          'alert webhook refused the event (not retried); check the URL and the receiver',
        );
        continue;
      }
      if (entry.attempts >= maxAttempts) {
        lane.queue.shift();
        hook(options.onGivenUp, lane);
        log.error(
          { ...about(lane, entry.event), status: outcome.status, error: outcome.error, attempts: entry.attempts },
          'alert webhook failed every attempt; event given up',
        );
        continue;
      }
      const delayMs =
        outcome.retryAfterMs === null ? backoffMs(entry.attempts) : Math.min(maxBackoffMs, outcome.retryAfterMs);
      if (closed) {
        return;
      }
      hook(options.onRetry, lane);
      log.warn(
        {
          ...about(lane, entry.event),
          status: outcome.status,
          error: outcome.error,
          attempts: entry.attempts,
          delayMs,
        },
        'alert webhook attempt failed; retrying',
      );
      await wait(lane, delayMs);
    }
  }

  function kick(lane: Lane): void {
    if (!started || closed || lane.running !== null || lane.queue.length === 0) {
      return;
    }
    lane.running = drain(lane)
      .catch((error: unknown) => {
        // Unreachable by design; if it happens, the lane must not stay wedged.
        log.error({ webhook: lane.label, error: scrub(lane, describeError(error)) }, 'alert webhook lane failed');
      })
      .finally(() => {
        lane.running = null;
        kick(lane);
      });
  }

  /** The waiting event to drop for room: the oldest superseded by a later one of its alert, else the oldest. */
  function dropIndex(lane: Lane): number {
    const first = lane.running === null ? 0 : 1;
    const laterIds = new Set<string>();
    let superseded = -1;
    for (let i = lane.queue.length - 1; i >= first; i -= 1) {
      const id = lane.queue[i]!.event.id;
      if (laterIds.has(id)) {
        superseded = i;
      }
      laterIds.add(id);
    }
    return superseded === -1 ? first : superseded;
  }

  function enqueue(lane: Lane, event: AlertEvent): void {
    // Pushed first, so the new event can supersede one that waits.
    lane.queue.push({ event, attempts: 0 });
    const waiting = lane.queue.length - (lane.running === null ? 0 : 1);
    if (waiting > maxQueue) {
      const [dropped] = lane.queue.splice(dropIndex(lane), 1);
      hook(options.onDropped, lane);
      if (dropped !== undefined) {
        log.warn({ ...about(lane, dropped.event), maxQueue }, 'alert webhook queue full; event dropped');
      }
    }
    kick(lane);
  }

  return {
    send(event) {
      try {
        if (closed) {
          log.warn({ alertId: event.id, alertComponent: event.component }, 'alert webhooks closed; event not sent');
          return;
        }
        // An event that cannot be serialised fails here, once, rather than on every attempt of every URL.
        alertPayload(event, instanceName(), now());
        for (const lane of lanes) {
          enqueue(lane, event);
        }
      } catch (error) {
        log.error({ alertId: event?.id, error: describeError(error) }, 'alert event could not be queued');
      }
    },
    start() {
      if (started || closed) {
        return;
      }
      started = true;
      for (const lane of lanes) {
        log.info(
          { webhook: lane.label, origin: lane.origin, signed: options.secret !== null },
          'alert webhook enabled',
        );
        kick(lane);
      }
    },
    async close(drainMs = 0) {
      if (closed) {
        return;
      }
      if (drainMs > 0 && started) {
        let timer: NodeJS.Timeout | undefined;
        const idle = async () => {
          // A lane that empties starts no new run; one that got more events meanwhile has a new one.
          while (lanes.some((lane) => lane.running !== null)) {
            await Promise.all(lanes.map((lane) => lane.running));
          }
        };
        await Promise.race([
          idle(),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, drainMs);
          }),
        ]);
        clearTimeout(timer);
      }
      closed = true;
      for (const lane of lanes) {
        lane.inFlight?.abort(new Error('alert webhooks closed'));
        lane.wake?.();
      }
      await Promise.all(lanes.map((lane) => lane.running));
      for (const lane of lanes) {
        if (lane.queue.length > 0) {
          log.warn(
            { webhook: lane.label, origin: lane.origin, undelivered: lane.queue.length },
            'alert webhooks closed with events not delivered',
          );
          lane.queue.length = 0;
        }
      }
    },
    queued() {
      return lanes.reduce((sum, lane) => sum + lane.queue.length, 0);
    },
  };
}
