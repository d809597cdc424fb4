/**
 * What `g6 top` knows about a server, and the pure steps that fold the server's answers into it. The view
 * (top-view.ts) draws this; top.ts owns the socket and the terminal.
 */

export type HealthStatus = 'HEALTHY' | 'DEGRADED' | 'DOWN';
export type AlertSeverity = 'WARNING' | 'CRITICAL';
export type AlertState = 'FIRING' | 'RESOLVED';

/** The figures of one index's overview (nearest expiry) that the table shows. */
export interface TopOverview {
  readonly spot: number;
  /** Decimal (0.12 = 12 %). */
  readonly atmIv: number | null;
  readonly pcrOi: number | null;
  readonly maxPainStrike: number | null;
  /** The index's snapshot sequence number. */
  readonly seq: number;
  /** When the market data was observed. */
  readonly observedAt: Date;
  /** IST date of the session the data belongs to, YYYY-MM-DD. */
  readonly tradingDay: string;
}

export interface TopMarket {
  readonly state: string;
  readonly holidayName: string | null;
  readonly specialSessionName: string | null;
}

/**
 * What CHG is measured against: the last stored snapshot of an earlier IST day (the previous close), else
 * the first stored snapshot of the trading day, else — without stored history (no CSV store, or a key
 * without the `history` scope) — the first update `g6 top` itself saw that day.
 */
export type BaselineBasis = 'PREVIOUS_CLOSE' | 'DAY_FIRST' | 'FIRST_SEEN';

export interface Baseline {
  readonly spot: number;
  readonly basis: BaselineBasis;
  /** The trading day it serves; a new day needs a new baseline. */
  readonly tradingDay: string;
}

export interface TopRow {
  readonly symbol: string;
  readonly overview: TopOverview | null;
  readonly market: TopMarket | null;
  readonly baseline: Baseline | null;
  /** Why the server refused this index's subscriptions, if it did. */
  readonly error: string | null;
}

export interface TopHealthComponent {
  readonly name: string;
  readonly status: HealthStatus;
  readonly reason: string | null;
  readonly since: Date;
}

export interface TopAlert {
  readonly id: string;
  readonly component: string;
  readonly state: AlertState;
  readonly severity: AlertSeverity;
  readonly status: HealthStatus;
  readonly reason: string | null;
  readonly startsAt: Date;
  readonly endsAt: Date | null;
  /** When this event was made (raised, escalated or resolved). */
  readonly at: Date;
}

export type TopHealth =
  | { readonly kind: 'pending' }
  /** The server has no health API (older G6), or refused it; `reason` says which. */
  | { readonly kind: 'unavailable'; readonly reason: string }
  | {
      readonly kind: 'known';
      readonly status: HealthStatus;
      readonly ready: boolean;
      /** Why the server is not ready (empty when it is). */
      readonly notReadyReasons: readonly string[];
      readonly components: readonly TopHealthComponent[];
    };

export interface TopServer {
  readonly version: string;
  readonly provider: string;
  readonly collectionIntervalSeconds: number;
  readonly providerReady: boolean;
  readonly providerProblems: readonly string[];
}

export type TopConnection =
  | { readonly kind: 'connecting'; readonly attempt: number }
  | { readonly kind: 'connected'; readonly since: Date }
  | { readonly kind: 'disconnected'; readonly since: Date; readonly reason: string; readonly retryAt: Date };

export interface TopState {
  /** The server's URL as shown (credentials removed). */
  readonly url: string;
  readonly connection: TopConnection;
  readonly server: TopServer | null;
  /** Why the server's description could not be read, if it could not. */
  readonly serverError: string | null;
  readonly rows: readonly TopRow[];
  readonly health: TopHealth;
  /** Alerts firing now, in the order they arrived. */
  readonly alerts: readonly TopAlert[];
  /** When the last event from the server arrived. */
  readonly lastEventAt: Date | null;
}

export function createTopState(url: string): TopState {
  return {
    url,
    connection: { kind: 'connecting', attempt: 0 },
    server: null,
    serverError: null,
    rows: [],
    health: { kind: 'pending' },
    alerts: [],
    lastEventAt: null,
  };
}

export function withConnection(state: TopState, connection: TopConnection): TopState {
  return { ...state, connection };
}

export function withServer(state: TopState, server: TopServer, at: Date): TopState {
  return { ...state, server, serverError: null, lastEventAt: at };
}

export function withServerError(state: TopState, message: string): TopState {
  return { ...state, serverError: message };
}

/** The server's indices, in its order; what was known of an index already is kept (a reconnect). */
export function withIndices(state: TopState, symbols: readonly string[]): TopState {
  const known = new Map(state.rows.map((row) => [row.symbol, row]));
  return {
    ...state,
    rows: symbols.map(
      (symbol) => known.get(symbol) ?? { symbol, overview: null, market: null, baseline: null, error: null },
    ),
  };
}

function updateRow(state: TopState, symbol: string, update: (row: TopRow) => TopRow, at: Date | null): TopState {
  const rows = state.rows.map((row) => (row.symbol === symbol ? update(row) : row));
  return { ...state, rows, lastEventAt: at ?? state.lastEventAt };
}

export function withOverview(state: TopState, symbol: string, overview: TopOverview, at: Date): TopState {
  return updateRow(
    state,
    symbol,
    (row) => ({
      ...row,
      overview,
      error: null,
      // A new trading day is measured against its own previous close.
      baseline: row.baseline !== null && row.baseline.tradingDay === overview.tradingDay ? row.baseline : null,
    }),
    at,
  );
}

export function withMarket(state: TopState, symbol: string, market: TopMarket, at: Date): TopState {
  return updateRow(state, symbol, (row) => ({ ...row, market }), at);
}

export function withBaseline(state: TopState, symbol: string, baseline: Baseline): TopState {
  return updateRow(
    state,
    symbol,
    (row) => (row.overview === null || row.overview.tradingDay === baseline.tradingDay ? { ...row, baseline } : row),
    null,
  );
}

export function withRowError(state: TopState, symbol: string, message: string): TopState {
  return updateRow(state, symbol, (row) => ({ ...row, error: message }), null);
}

/** True when the row has data of a trading day it has no baseline for yet. */
export function needsBaseline(row: TopRow): boolean {
  return row.overview !== null && (row.baseline === null || row.baseline.tradingDay !== row.overview.tradingDay);
}

/** A whole Health from the server: its alerts replace what was known (the server is the record). */
export function withHealth(
  state: TopState,
  health: {
    status: HealthStatus;
    ready: boolean;
    notReadyReasons: readonly string[];
    components: readonly TopHealthComponent[];
  },
  alerts: readonly TopAlert[],
  at: Date,
): TopState {
  return {
    ...state,
    health: { kind: 'known', ...health },
    alerts: alerts.filter((alert) => alert.state === 'FIRING'),
    lastEventAt: at,
  };
}

export function withHealthUnavailable(state: TopState, reason: string): TopState {
  return { ...state, health: { kind: 'unavailable', reason } };
}

/** One alert event: FIRING adds (or replaces, an escalation) its episode; RESOLVED removes it. */
export function withAlert(state: TopState, alert: TopAlert, at: Date): TopState {
  const others = state.alerts.filter((known) => known.id !== alert.id);
  return { ...state, alerts: alert.state === 'FIRING' ? [...others, alert] : others, lastEventAt: at };
}

/** One stored history point, as the baseline query returns it. */
export interface StoredSpot {
  readonly spot: number;
  readonly timestamp: Date;
}

/**
 * The baseline of a trading day: the last of the daily closing points before it (`closes`, oldest first),
 * else its first stored snapshot, else `firstSeen` (the overview that asked).
 */
export function chooseBaseline(
  closes: readonly StoredSpot[],
  dayFirst: StoredSpot | null,
  firstSeen: TopOverview,
): Baseline {
  const previousClose = closes.at(-1);
  if (previousClose !== undefined) {
    return { spot: previousClose.spot, basis: 'PREVIOUS_CLOSE', tradingDay: firstSeen.tradingDay };
  }
  if (dayFirst !== null) {
    return { spot: dayFirst.spot, basis: 'DAY_FIRST', tradingDay: firstSeen.tradingDay };
  }
  return { spot: firstSeen.spot, basis: 'FIRST_SEEN', tradingDay: firstSeen.tradingDay };
}
