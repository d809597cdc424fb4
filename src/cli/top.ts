import { parseArgs } from 'node:util';
import type { GraphQLFormattedError } from 'graphql';
import { type Client, createClient, type FormattedExecutionResult } from 'graphql-ws';
import { WebSocket } from 'ws';
import { istWallClockToInstant } from '../domain/ist-time.ts';
import {
  type AlertSeverity,
  type AlertState,
  chooseBaseline,
  createTopState,
  type HealthStatus,
  needsBaseline,
  type StoredSpot,
  type TopAlert,
  type TopOverview,
  type TopState,
  withAlert,
  withBaseline,
  withConnection,
  withHealth,
  withHealthUnavailable,
  withIndices,
  withMarket,
  withOverview,
  withRowError,
  withServer,
  withServerError,
} from './top-state.ts';
import { renderTop } from './top-view.ts';

const DEFAULT_URL = 'http://localhost:4000/graphql';
/** How long --once waits for every index's first data before printing what it has. */
const ONCE_WAIT_MS = 15_000;

export const TOP_USAGE = `Usage: g6 top [--url <url>] [--api-key <key>] [--once] [--no-color]

A live view of a running G6 server: per index spot, change, ATM IV, PCR (OI), max pain, the age of the
last collection and the market session; provider, ticker and sink health; firing alerts. Built on the
server's GraphQL subscriptions. Keys: q or Ctrl-C quits.

  --url <url>      the server's GraphQL endpoint (G6_TOP_URL; default ${DEFAULT_URL});
                   http(s):// is reached as ws(s):// on the same path
  --api-key <key>  when the server has G6_API_KEYS (G6_API_KEY; prefer the variable: arguments show in ps);
                   the key needs the read and subscribe scopes (history too, for CHG against the close)
  --once           print one frame, without colours unless on a terminal, as soon as every index has
                   data (or after ${ONCE_WAIT_MS / 1000} s), then exit: for scripts and pipes
  --no-color       no ANSI colours (also NO_COLOR)

Exit status: 0 on q, Ctrl-C, SIGTERM or after --once; 1 when the first connection fails or is refused;
2 for bad arguments, or a live view asked for with standard output not a terminal.
`;

/** Reconnect delays: doubling from the first, capped. */
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 10_000;
/** A ping every so often; no pong within PONG_TIMEOUT_MS means the connection is dead (no FIN seen). */
const KEEP_ALIVE_MS = 10_000;
const PONG_TIMEOUT_MS = 5_000;
/** A server accepting the socket but never acknowledging it counts as down after this long. */
const CONNECT_TIMEOUT_MS = 10_000;
/** serverInfo (provider readiness, interval) has no subscription, and health reasons carry readings that
 * change without a status change (spool size, free disk): both are asked again this often. */
const REFRESH_MS = 10_000;
/** Days back the previous close is looked for (weekends, holidays). */
const CLOSE_LOOKBACK_DAYS = 14;
const DAY_MS = 86_400_000;

const ALT_SCREEN_ON = '\x1b[?1049h';
const ALT_SCREEN_OFF = '\x1b[?1049l';
const CURSOR_HIDE = '\x1b[?25l';
const CURSOR_SHOW = '\x1b[?25h';

export interface TopIo {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin?: NodeJS.ReadStream;
}

export interface TopOptions {
  /** The clock ages, reconnect times and history ranges are measured on. */
  readonly now?: () => Date;
}

interface TopTarget {
  /** ws:// or wss:// */
  readonly wsUrl: string;
  /** The URL as given, without credentials: what is printed. */
  readonly shownUrl: string;
  readonly apiKey: string | null;
}

type ParsedArgs =
  | { readonly kind: 'help' }
  | { readonly kind: 'invalid'; readonly error: string }
  | { readonly kind: 'run'; readonly target: TopTarget; readonly once: boolean; readonly color: boolean };

/** The endpoint to dial for `text`, or why it cannot be one. */
export function toTarget(text: string, apiKey: string | null): TopTarget | { error: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { error: `--url: not a URL: ${text}` };
  }
  const schemes: Record<string, string> = { 'http:': 'ws:', 'https:': 'wss:', 'ws:': 'ws:', 'wss:': 'wss:' };
  const scheme = schemes[url.protocol];
  if (scheme === undefined) {
    return { error: `--url: expected http(s):// or ws(s)://, got ${url.protocol}` };
  }
  const shown = new URL(url.href);
  shown.username = '';
  shown.password = '';
  const ws = new URL(url.href);
  ws.protocol = scheme;
  return { wsUrl: ws.href, shownUrl: shown.href, apiKey };
}

export function parseTopArgs(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedArgs {
  let values: { url?: string; 'api-key'?: string; once?: boolean; 'no-color'?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        url: { type: 'string' },
        'api-key': { type: 'string' },
        once: { type: 'boolean' },
        'no-color': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return { kind: 'invalid', error: (error as Error).message };
  }
  if (values.help === true) {
    return { kind: 'help' };
  }
  const key = values['api-key'] ?? env.G6_API_KEY ?? '';
  const target = toTarget(values.url ?? (env.G6_TOP_URL || DEFAULT_URL), key === '' ? null : key);
  if ('error' in target) {
    return { kind: 'invalid', error: target.error };
  }
  const color = values['no-color'] !== true && (env.NO_COLOR ?? '') === '';
  return { kind: 'run', target, once: values.once === true, color };
}

// The GraphQL documents: only fields of schema.graphql (and the health contract, which older servers lack).
const SERVER_QUERY = `query TopServer {
  indices { symbol }
  serverInfo { version provider collectionIntervalSeconds providerReady providerProblems }
}`;
const SERVER_INFO_QUERY = `query TopServerInfo {
  serverInfo { version provider collectionIntervalSeconds providerReady providerProblems }
}`;
const OVERVIEW_SUBSCRIPTION = `subscription TopOverview($index: IndexSymbol!) {
  overviewUpdated(index: $index) { spot atmIv pcrOi maxPainStrike seq timestamp tradingDay }
}`;
const MARKET_SUBSCRIPTION = `subscription TopMarket($index: IndexSymbol!) {
  marketStatusChanged(index: $index) { state holidayName specialSessionName }
}`;
const ALERT_FIELDS = 'id component state severity status reason startsAt endsAt at';
const HEALTH_SUBSCRIPTION = `subscription TopHealth {
  healthChanged { status ready notReadyReasons components { name status reason since } alerts { ${ALERT_FIELDS} } }
}`;
const HEALTH_QUERY = `query TopHealthNow {
  health { status ready notReadyReasons components { name status reason since } alerts { ${ALERT_FIELDS} } }
}`;
const ALERT_SUBSCRIPTION = `subscription TopAlerts { alertRaised { ${ALERT_FIELDS} } }`;
const BASELINE_QUERY = `query TopBaseline($index: IndexSymbol!, $closesFrom: DateTime!, $closesTo: DateTime!, $dayStart: DateTime!, $to: DateTime!) {
  closes: history(index: $index, from: $closesFrom, to: $closesTo, intervalSeconds: 86400, first: 30) {
    edges { node { spot timestamp } }
  }
  dayFirst: history(index: $index, from: $dayStart, to: $to, first: 1) { edges { node { spot timestamp } } }
}`;

interface ServerInfoJson {
  version: string;
  provider: string;
  collectionIntervalSeconds: number;
  providerReady: boolean;
  providerProblems: string[];
}
interface OverviewJson {
  spot: number;
  atmIv: number | null;
  pcrOi: number | null;
  maxPainStrike: number | null;
  seq: number;
  timestamp: string;
  tradingDay: string;
}
interface AlertJson {
  id: string;
  component: string;
  state: AlertState;
  severity: AlertSeverity;
  status: HealthStatus;
  reason: string | null;
  startsAt: string;
  endsAt: string | null;
  at: string;
}
interface HealthJson {
  status: HealthStatus;
  ready: boolean;
  notReadyReasons: string[];
  components: Array<{ name: string; status: HealthStatus; reason: string | null; since: string }>;
  alerts: AlertJson[];
}
interface HistoryJson {
  edges: Array<{ node: { spot: number; timestamp: string } }>;
}

function toOverview(json: OverviewJson): TopOverview {
  return {
    spot: json.spot,
    atmIv: json.atmIv,
    pcrOi: json.pcrOi,
    maxPainStrike: json.maxPainStrike,
    seq: json.seq,
    observedAt: new Date(json.timestamp),
    tradingDay: json.tradingDay,
  };
}

function toAlert(json: AlertJson): TopAlert {
  return {
    ...json,
    startsAt: new Date(json.startsAt),
    endsAt: json.endsAt === null ? null : new Date(json.endsAt),
    at: new Date(json.at),
  };
}

function toSpots(json: HistoryJson | null | undefined): StoredSpot[] {
  return (json?.edges ?? []).map((e) => ({ spot: e.node.spot, timestamp: new Date(e.node.timestamp) }));
}

function firstError(errors: readonly GraphQLFormattedError[]): string {
  const error = errors[0];
  if (error === undefined) {
    return 'unknown error';
  }
  const code = error.extensions?.code;
  return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
}

function isGraphQLErrors(value: unknown): value is readonly GraphQLFormattedError[] {
  return Array.isArray(value);
}

/** One query over the socket: its result, or GraphQL errors / a close event as the rejection. */
function request<T>(
  client: Client,
  query: string,
  variables?: Record<string, unknown>,
): Promise<FormattedExecutionResult<T, unknown>> {
  return new Promise((resolve, reject) => {
    let result: FormattedExecutionResult<T, unknown> | undefined;
    client.subscribe<T>(variables === undefined ? { query } : { query, variables }, {
      next: (value) => {
        result = value;
      },
      error: reject,
      complete: () => (result === undefined ? reject(new Error('no result')) : resolve(result)),
    });
  });
}

/** A subscription: data to `onData`, GraphQL errors to `onErrors`; a closed socket is the session's concern. */
function listen<T>(
  client: Client,
  query: string,
  variables: Record<string, unknown> | undefined,
  onData: (data: T) => void,
  onErrors: (errors: readonly GraphQLFormattedError[]) => void,
): void {
  client.subscribe<T>(variables === undefined ? { query } : { query, variables }, {
    next: (result) => {
      if (result.errors !== undefined && result.errors.length > 0) {
        onErrors(result.errors);
      } else if (result.data !== undefined && result.data !== null) {
        onData(result.data);
      }
    },
    error: (error) => {
      if (isGraphQLErrors(error)) {
        onErrors(error);
      }
    },
    complete: () => {},
  });
}

interface CloseLike {
  readonly code?: number;
  readonly reason?: string;
}

function describeClose(event: CloseLike, socketError: string | null): string {
  const code = event.code ?? 0;
  if (code === 4403) {
    return 'refused by the server (4403 Forbidden): the API key is missing or not accepted (--api-key / G6_API_KEY), or this client has too many sockets open';
  }
  if (socketError !== null) {
    return socketError;
  }
  if (code === 1001) {
    return 'the server went away (1001)';
  }
  const reason = event.reason === undefined || event.reason === '' ? '' : `: ${event.reason}`;
  return code === 1006 || code === 0 ? 'connection lost (1006)' : `connection closed (${code}${reason})`;
}

function describeSocketError(event: unknown): string {
  const error = (event as { error?: unknown }).error ?? event;
  if (error instanceof Error) {
    return error.message;
  }
  const message = (event as { message?: unknown }).message;
  return typeof message === 'string' && message !== '' ? message : 'socket error';
}

interface Controller {
  readonly state: () => TopState;
  start(): void;
  /** Closes the socket and cancels every timer. */
  stop(): void;
  /** Asks what has no subscription again, when due (called once a second). */
  tick(): void;
}

interface ControllerOptions {
  readonly target: TopTarget;
  readonly now: () => Date;
  readonly onChange: () => void;
  /** The first connection failed: nothing to show, the run ends with this message. */
  readonly onFatal: (message: string) => void;
}

interface Session {
  ended: boolean;
  client: Client | null;
  readonly sockets: Set<WebSocket>;
  pongTimer: NodeJS.Timeout | null;
  lastServerInfoMs: number;
}

/**
 * One connection at a time to the server; when it drops, the next after a doubling delay. Each connection
 * asks the indices and server description, then subscribes to every index's overview and market session,
 * and to health and alerts.
 */
function createTopController(options: ControllerOptions): Controller {
  const { target, now } = options;
  let state = createTopState(target.shownUrl);
  let session: Session | null = null;
  let everConnected = false;
  let failures = 0;
  let downSince: Date | null = null;
  let retryTimer: NodeJS.Timeout | null = null;
  let stopped = false;
  const baselinesAsked = new Set<string>();

  const set = (next: TopState) => {
    state = next;
    options.onChange();
  };

  function endSession(current: Session): void {
    current.ended = true;
    if (current.pongTimer !== null) {
      clearTimeout(current.pongTimer);
      current.pongTimer = null;
    }
    // Disposed first, so graphql-ws never reconnects on its own (it would after a 1000 close); then the
    // raw sockets are ended, since dispose() alone waits for a handshake that may never finish.
    void Promise.resolve(current.client?.dispose()).catch(() => {});
    for (const socket of current.sockets) {
      socket.terminate();
    }
  }

  function askBaseline(current: Session, client: Client, symbol: string): void {
    const row = state.rows.find((r) => r.symbol === symbol);
    if (row === undefined || row.overview === null || !needsBaseline(row)) {
      return;
    }
    const firstSeen = row.overview;
    const key = `${symbol}/${firstSeen.tradingDay}`;
    if (baselinesAsked.has(key)) {
      return;
    }
    baselinesAsked.add(key);
    // History days are IST days: from midnight IST.
    const dayStart = istWallClockToInstant(firstSeen.tradingDay, 0, 0);
    request<{ closes: HistoryJson | null; dayFirst: HistoryJson | null }>(client, BASELINE_QUERY, {
      index: symbol,
      closesFrom: new Date(dayStart.getTime() - CLOSE_LOOKBACK_DAYS * DAY_MS).toISOString(),
      closesTo: new Date(dayStart.getTime() - 1).toISOString(),
      dayStart: dayStart.toISOString(),
      to: now().toISOString(),
    }).then(
      (result) => {
        if (current.ended) {
          baselinesAsked.delete(key);
          return;
        }
        const dayFirst = toSpots(result.data?.dayFirst)[0] ?? null;
        set(withBaseline(state, symbol, chooseBaseline(toSpots(result.data?.closes), dayFirst, firstSeen)));
      },
      (error: unknown) => {
        if (isGraphQLErrors(error) && !current.ended) {
          // No stored history (no CSV store, or no history scope): the first update seen today will do.
          set(withBaseline(state, symbol, chooseBaseline([], null, firstSeen)));
        } else {
          baselinesAsked.delete(key);
        }
      },
    );
  }

  function applyHealth(health: HealthJson): void {
    const components = health.components.map((c) => ({ ...c, since: new Date(c.since) }));
    set(
      withHealth(
        state,
        { status: health.status, ready: health.ready, notReadyReasons: health.notReadyReasons, components },
        health.alerts.map(toAlert),
        now(),
      ),
    );
  }

  /** What has no subscription (serverInfo), and the readings in health reasons that change within a status. */
  function refresh(current: Session, client: Client): void {
    current.lastServerInfoMs = now().getTime();
    request<{ serverInfo: ServerInfoJson }>(client, SERVER_INFO_QUERY).then(
      (result) => {
        if (!current.ended && result.data?.serverInfo !== undefined) {
          set(withServer(state, result.data.serverInfo, now()));
        }
      },
      () => {},
    );
    if (state.health.kind === 'known') {
      request<{ health: HealthJson }>(client, HEALTH_QUERY).then(
        (result) => {
          if (!current.ended && result.data?.health !== undefined) {
            applyHealth(result.data.health);
          }
        },
        () => {},
      );
    }
  }

  function subscribeAll(current: Session, client: Client): void {
    for (const { symbol } of state.rows) {
      listen<{ overviewUpdated: OverviewJson }>(
        client,
        OVERVIEW_SUBSCRIPTION,
        { index: symbol },
        (data) => {
          if (!current.ended) {
            set(withOverview(state, symbol, toOverview(data.overviewUpdated), now()));
            askBaseline(current, client, symbol);
          }
        },
        (errors) => !current.ended && set(withRowError(state, symbol, `overview: ${firstError(errors)}`)),
      );
      listen<{ marketStatusChanged: { state: string; holidayName: string | null; specialSessionName: string | null } }>(
        client,
        MARKET_SUBSCRIPTION,
        { index: symbol },
        (data) => !current.ended && set(withMarket(state, symbol, data.marketStatusChanged, now())),
        (errors) => !current.ended && set(withRowError(state, symbol, `market: ${firstError(errors)}`)),
      );
    }
    listen<{ healthChanged: HealthJson }>(
      client,
      HEALTH_SUBSCRIPTION,
      undefined,
      (data) => {
        if (!current.ended) {
          applyHealth(data.healthChanged);
        }
      },
      (errors) => {
        if (current.ended) {
          return;
        }
        const validation = errors.some((e) => e.extensions?.code === 'GRAPHQL_VALIDATION_FAILED');
        set(withHealthUnavailable(state, validation ? 'this server has no health API' : firstError(errors)));
      },
    );
    listen<{ alertRaised: AlertJson }>(
      client,
      ALERT_SUBSCRIPTION,
      undefined,
      (data) => !current.ended && set(withAlert(state, toAlert(data.alertRaised), now())),
      // An older server has no alerts either; healthChanged already says so.
      () => {},
    );
  }

  function onConnected(current: Session, client: Client): void {
    everConnected = true;
    failures = 0;
    downSince = null;
    set(withConnection(state, { kind: 'connected', since: now() }));
    current.lastServerInfoMs = now().getTime();
    request<{ indices: Array<{ symbol: string }>; serverInfo: ServerInfoJson }>(client, SERVER_QUERY).then(
      (result) => {
        if (current.ended) {
          return;
        }
        if (result.data === undefined || result.data === null) {
          set(withServerError(state, firstError(result.errors ?? [])));
          return;
        }
        state = withIndices(
          state,
          result.data.indices.map((i) => i.symbol),
        );
        set(withServer(state, result.data.serverInfo, now()));
        subscribeAll(current, client);
      },
      (error: unknown) => {
        if (isGraphQLErrors(error) && !current.ended) {
          set(withServerError(state, firstError(error)));
        }
      },
    );
  }

  function onClosed(current: Session, event: CloseLike, socketError: string | null): void {
    if (current.ended || stopped) {
      return;
    }
    endSession(current);
    const reason = describeClose(event, socketError);
    if (!everConnected) {
      options.onFatal(`g6 top: cannot connect to ${target.shownUrl}: ${reason}`);
      return;
    }
    failures += 1;
    downSince ??= now();
    const delayMs = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (failures - 1));
    set(
      withConnection(state, {
        kind: 'disconnected',
        since: downSince,
        reason,
        retryAt: new Date(now().getTime() + delayMs),
      }),
    );
    retryTimer = setTimeout(connect, delayMs);
  }

  function connect(): void {
    retryTimer = null;
    if (stopped) {
      return;
    }
    if (state.connection.kind !== 'disconnected') {
      set(withConnection(state, { kind: 'connecting', attempt: failures }));
    }
    const current: Session = { ended: false, client: null, sockets: new Set(), pongTimer: null, lastServerInfoMs: 0 };
    session = current;
    let socketError: string | null = null;
    // A subclass so the session holds its raw sockets and can end them in any state.
    class SessionSocket extends WebSocket {
      constructor(address: string | URL, protocols?: string | string[]) {
        super(address, protocols, { handshakeTimeout: CONNECT_TIMEOUT_MS });
        current.sockets.add(this);
        this.once('close', () => current.sockets.delete(this));
      }
    }
    const client = createClient({
      url: target.wsUrl,
      webSocketImpl: SessionSocket,
      lazy: false,
      retryAttempts: 0,
      keepAlive: KEEP_ALIVE_MS,
      connectionAckWaitTimeout: CONNECT_TIMEOUT_MS,
      ...(target.apiKey === null ? {} : { connectionParams: { authorization: `Bearer ${target.apiKey}` } }),
      // A failed connection also arrives as `closed`, which decides what happens next.
      onNonLazyError: () => {},
      on: {
        connected: () => {
          if (!current.ended) {
            onConnected(current, client);
          }
        },
        error: (error) => {
          socketError = describeSocketError(error);
        },
        closed: (event) => onClosed(current, event as CloseLike, socketError),
        ping: (received) => {
          if (!received && current.pongTimer === null) {
            current.pongTimer = setTimeout(() => {
              current.pongTimer = null;
              socketError = `no answer to a ping within ${PONG_TIMEOUT_MS / 1000} s`;
              for (const socket of current.sockets) {
                socket.terminate();
              }
            }, PONG_TIMEOUT_MS);
          }
        },
        pong: (received) => {
          if (received && current.pongTimer !== null) {
            clearTimeout(current.pongTimer);
            current.pongTimer = null;
          }
        },
      },
    });
    current.client = client;
  }

  return {
    state: () => state,
    start: connect,
    stop() {
      stopped = true;
      if (retryTimer !== null) {
        clearTimeout(retryTimer);
        retryTimer = null;
      }
      if (session !== null) {
        endSession(session);
      }
    },
    tick() {
      const current = session;
      if (
        current !== null &&
        !current.ended &&
        current.client !== null &&
        state.connection.kind === 'connected' &&
        now().getTime() - current.lastServerInfoMs >= REFRESH_MS
      ) {
        refresh(current, current.client);
      }
    },
  };
}

/** Every index has its first overview, session and baseline (or an error), and health has answered. */
function readyForOnce(state: TopState): boolean {
  return (
    state.server !== null &&
    state.health.kind !== 'pending' &&
    state.rows.length > 0 &&
    state.rows.every((r) => r.error !== null || (r.overview !== null && r.market !== null && r.baseline !== null))
  );
}

/** `g6 top`: the live view (or one frame with --once) of the server at --url. Resolves with the exit code. */
export async function runTop(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: TopIo,
  options: TopOptions = {},
): Promise<number> {
  const now = options.now ?? (() => new Date());
  const parsed = parseTopArgs(argv, env);
  if (parsed.kind === 'help') {
    io.stdout.write(TOP_USAGE);
    return 0;
  }
  if (parsed.kind === 'invalid') {
    io.stderr.write(`g6 top: ${parsed.error}\n${TOP_USAGE}`);
    return 2;
  }
  const tty = io.stdout.isTTY === true;
  if (!parsed.once && !tty) {
    io.stderr.write(
      'g6 top: standard output is not a terminal; run it in one, or use --once to print a single plain frame\n',
    );
    return 2;
  }
  const color = parsed.color && tty;
  const live = !parsed.once;

  let finished = false;
  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((resolve) => {
    resolveExit = resolve;
  });
  const cleanups: Array<() => void> = [];
  let redrawQueued = false;

  const frame = (height: number, width: number) =>
    renderTop(controller.state(), { width, height, now: now(), color, interactive: live });

  const draw = () => {
    redrawQueued = false;
    if (finished) {
      return;
    }
    const lines = frame(io.stdout.rows || 24, io.stdout.columns || 80);
    io.stdout.write(`\x1b[H${lines.join('\x1b[K\r\n')}\x1b[K\x1b[J`);
  };

  const finish = (code: number, message?: string) => {
    if (finished) {
      return;
    }
    finished = true;
    controller.stop();
    for (const cleanup of cleanups.reverse()) {
      cleanup();
    }
    if (message !== undefined) {
      io.stderr.write(`${message}\n`);
    }
    resolveExit(code);
  };

  const printOnce = () => {
    const width = tty ? io.stdout.columns || 80 : Number(env.COLUMNS) || 160;
    io.stdout.write(`${frame(Number.POSITIVE_INFINITY, width).join('\n')}\n`);
    finish(0);
  };

  const controller = createTopController({
    target: parsed.target,
    now,
    onFatal: (message) => finish(1, message),
    onChange: () => {
      if (finished) {
        return;
      }
      if (!live) {
        if (readyForOnce(controller.state())) {
          printOnce();
        }
        return;
      }
      if (!redrawQueued) {
        redrawQueued = true;
        setImmediate(draw);
      }
    },
  });

  // A terminal that went away (EIO, EPIPE) ends the view rather than crashing it. Never removed: the
  // restoring write at the end may fail the same way, after everything else is undone.
  io.stdout.on('error', () => finish(0));

  const onSignal = () => finish(0);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, onSignal);
    cleanups.push(() => process.off(signal, onSignal));
  }

  if (live) {
    io.stdout.write(`${ALT_SCREEN_ON}${CURSOR_HIDE}\x1b[H\x1b[2J`);
    cleanups.push(() => io.stdout.write(`\x1b[0m${CURSOR_SHOW}${ALT_SCREEN_OFF}`));
    const stdin = io.stdin;
    if (stdin?.isTTY === true) {
      stdin.setRawMode(true);
      const onKey = (chunk: Buffer | string) => {
        const keys = String(chunk);
        if (keys.includes('q') || keys.includes('Q') || keys.includes('\x03')) {
          finish(0);
        }
      };
      stdin.on('data', onKey);
      stdin.resume();
      cleanups.push(() => {
        stdin.off('data', onKey);
        stdin.setRawMode(false);
        stdin.pause();
      });
    }
    const onResize = () => draw();
    io.stdout.on('resize', onResize);
    cleanups.push(() => io.stdout.off('resize', onResize));
    const ticker = setInterval(() => {
      controller.tick();
      draw();
    }, 1000);
    cleanups.push(() => clearInterval(ticker));
    draw();
  } else {
    const deadline = setTimeout(printOnce, ONCE_WAIT_MS);
    cleanups.push(() => clearTimeout(deadline));
  }
  controller.start();
  return exited;
}
