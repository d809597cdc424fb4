import { KiteTicker } from 'kiteconnect';
import type { Logger } from 'pino';

/** Kite allows 3000 instruments per ticker connection. */
export const MAX_TICKER_TOKENS = 3000;

export interface TickerStreamOptions {
  readonly apiKey: string;
  readonly accessToken: string;
  /** WebSocket URL (G6_KITE_TICKER_ROOT); kiteconnect's default `wss://ws.kite.trade/` when undefined. */
  readonly root?: string;
  readonly onTicks: (ticks: readonly unknown[]) => void;
  readonly onConnectionChange?: (connected: boolean) => void;
  readonly onReconnectScheduled?: (attempt: number, delayMs: number) => void;
  readonly logger: Logger;
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly random?: () => number;
}

export interface TickerStream {
  start(): void;
  /** Closes the socket for good; resolves once the stream released the process-wide ticker. */
  stop(): void;
  /** Instruments to stream in full mode (the first 3000 are kept); resubscribes on every reconnect. */
  setTokens(tokens: readonly number[]): void;
  /** Disconnects until `resume` (no token, no point in knocking). */
  pause(): void;
  resume(accessToken: string): void;
  isConnected(): boolean;
  subscribedTokens(): number;
  /** Tokens asked for beyond the 3000 a connection carries. */
  droppedTokens(): number;
}

interface Owner {
  onConnect(): void;
  onTicks(ticks: unknown[]): void;
  onDown(): void;
  onError(message: string): void;
}

// kiteconnect keeps the socket, timers and handler lists at module level: one ticker per process, and
// handlers added with `on()` accumulate across instances. So handlers are registered once and forwarded
// to whichever stream currently owns the ticker.
let owner: Owner | null = null;
let handlersRegistered = false;

function registerHandlers(ticker: InstanceType<typeof KiteTicker>): void {
  if (handlersRegistered) {
    return;
  }
  handlersRegistered = true;
  // An exception thrown from a handler would escape through ws's event emitter and end the process.
  const guard =
    <A extends unknown[]>(fn: (current: Owner, ...args: A) => void) =>
    (...args: A) => {
      const current = owner;
      if (current === null) {
        return;
      }
      try {
        fn(current, ...args);
      } catch (error) {
        current.onError(`tick handler failed: ${(error as Error).message}`);
      }
    };
  ticker.on(
    'connect',
    guard((o) => o.onConnect()),
  );
  ticker.on(
    'ticks',
    guard((o, ticks: unknown) => o.onTicks(Array.isArray(ticks) ? ticks : [])),
  );
  // The library reports a drop by `disconnect`, except a server close on a later connection, which it
  // takes for a "ghost" and reports only by `close`; both land in the same idempotent handler.
  ticker.on(
    'disconnect',
    guard((o) => o.onDown()),
  );
  ticker.on(
    'close',
    guard((o) => o.onDown()),
  );
  // The ws error event carries the socket, whose URL holds the access token: only the message is kept.
  ticker.on(
    'error',
    guard((o, event: unknown) => o.onError(String((event as { message?: unknown } | null)?.message ?? 'socket error'))),
  );
}

/**
 * KiteTicker in full mode with G6's own reconnect loop. The library's reconnect is switched off and its
 * retry entry point replaced, because it ends in `process.exit(1)` once its attempts run out (or as soon
 * as `disconnect()` is called while it is on). Backoff is exponential with full jitter, capped.
 */
export function createTickerStream(options: TickerStreamOptions): TickerStream {
  if (owner !== null) {
    throw new Error('a Kite ticker stream is already running in this process (kiteconnect allows one)');
  }
  const baseBackoffMs = options.baseBackoffMs ?? 1000;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const random = options.random ?? Math.random;
  const ticker = new KiteTicker({
    api_key: options.apiKey,
    access_token: options.accessToken,
    reconnect: false,
    ...(options.root === undefined ? {} : { root: options.root }),
  } as ConstructorParameters<typeof KiteTicker>[0]);
  ticker.autoReconnect(false, 0, 0);
  (ticker as unknown as { attemptReconnection: () => void }).attemptReconnection = () => {};
  registerHandlers(ticker);

  let tokens: number[] = [];
  let dropped = 0;
  let subscribed = new Set<number>();
  let connected = false;
  let running = false;
  let paused = false;
  let attempts = 0;
  let reconnectTimer: NodeJS.Timeout | undefined;

  const setConnected = (value: boolean) => {
    if (connected !== value) {
      connected = value;
      options.onConnectionChange?.(value);
    }
  };

  const connect = () => {
    if (!running || paused) {
      return;
    }
    ticker.connect();
  };

  const scheduleReconnect = () => {
    if (!running || paused || reconnectTimer !== undefined) {
      return;
    }
    attempts += 1;
    const ceiling = Math.min(maxBackoffMs, baseBackoffMs * 2 ** Math.min(attempts - 1, 20));
    const delayMs = ceiling / 2 + (random() * ceiling) / 2;
    options.onReconnectScheduled?.(attempts, delayMs);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      connect();
    }, delayMs);
  };

  const subscribeAll = () => {
    subscribed = new Set(tokens);
    if (tokens.length > 0) {
      ticker.subscribe(tokens);
      ticker.setMode(ticker.modeFull, tokens);
    }
  };

  const self: Owner = {
    onConnect() {
      attempts = 0;
      setConnected(true);
      // Subscriptions belong to the connection on Kite's side: every new socket starts empty.
      subscribeAll();
    },
    onTicks(ticks) {
      options.onTicks(ticks);
    },
    onDown() {
      // A late close of an earlier socket must not tear down the live one.
      if (ticker.connected()) {
        return;
      }
      setConnected(false);
      subscribed = new Set();
      scheduleReconnect();
    },
    onError(message) {
      options.logger.warn({ error: message }, 'kite ticker error');
    },
  };

  return {
    start() {
      if (running) {
        return;
      }
      owner = self;
      running = true;
      connect();
    },
    stop() {
      running = false;
      clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      ticker.autoReconnect(false, 0, 0);
      ticker.disconnect();
      setConnected(false);
      if (owner === self) {
        owner = null;
      }
    },
    setTokens(next) {
      const wanted = [...new Set(next)];
      dropped = Math.max(0, wanted.length - MAX_TICKER_TOKENS);
      tokens = wanted.slice(0, MAX_TICKER_TOKENS);
      if (!connected) {
        return;
      }
      const keep = new Set(tokens);
      const removed = [...subscribed].filter((t) => !keep.has(t));
      const added = tokens.filter((t) => !subscribed.has(t));
      if (removed.length > 0) {
        ticker.unsubscribe(removed);
      }
      if (added.length > 0) {
        ticker.subscribe(added);
        ticker.setMode(ticker.modeFull, added);
      }
      subscribed = keep;
    },
    pause() {
      paused = true;
      clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      ticker.disconnect();
      setConnected(false);
    },
    resume(accessToken) {
      (ticker as unknown as { access_token: string }).access_token = accessToken;
      paused = false;
      attempts = 0;
      connect();
    },
    isConnected() {
      return connected;
    },
    subscribedTokens() {
      return subscribed.size;
    },
    droppedTokens() {
      return dropped;
    },
  };
}
