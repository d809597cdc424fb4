import { IST_OFFSET_MS } from '../domain/ist-time.ts';
import type { HealthStatus, TopAlert, TopHealthComponent, TopRow, TopState } from './top-state.ts';

/** How a frame is drawn. */
export interface TopViewOptions {
  /** Terminal columns: every line is cut to this many characters (never wrapped). */
  readonly width: number;
  /** Terminal rows: at most this many lines (Infinity for a plain frame). */
  readonly height: number;
  /** The instant ages are measured to. */
  readonly now: Date;
  /** ANSI colours and bold; false for plain text. */
  readonly color: boolean;
  /** A live view: the title shows its keys. */
  readonly interactive?: boolean;
}

type Style = 'bold' | 'dim' | 'green' | 'red' | 'yellow' | 'cyan' | 'inverse';

interface Segment {
  readonly text: string;
  readonly style?: Style;
}

type Line = readonly Segment[];

const SGR: Record<Style, string> = {
  bold: '1',
  dim: '2',
  green: '32',
  red: '31',
  yellow: '33',
  cyan: '36',
  inverse: '7',
};

const MISSING = '—';
const GAP = '  ';

interface Column {
  readonly title: string;
  readonly width: number;
  readonly align: 'left' | 'right';
}

/** INDEX … MARKET: the table's columns; a value wider than its column pushes the rest right. */
export const TOP_COLUMNS: readonly Column[] = [
  { title: 'INDEX', width: 10, align: 'left' },
  { title: 'SPOT', width: 10, align: 'right' },
  { title: 'CHG', width: 9, align: 'right' },
  { title: 'CHG%', width: 8, align: 'right' },
  { title: 'ATM IV', width: 7, align: 'right' },
  { title: 'PCR(OI)', width: 7, align: 'right' },
  { title: 'MAX PAIN', width: 9, align: 'right' },
  { title: 'AGE', width: 7, align: 'right' },
  { title: 'MARKET', width: 16, align: 'left' },
];

/** Marks on CHG% telling what the change is measured against (see BaselineBasis). */
const BASIS_MARK = { PREVIOUS_CLOSE: ' ', DAY_FIRST: '*', FIRST_SEEN: '~' } as const;

/** Room for the longest component name (collector/MIDCPNIFTY) and a space. */
const COMPONENT_WIDTH = 21;

/** A data age counts as stale past this many collection intervals while the market trades. */
const STALE_INTERVALS = 3;

function pad(text: string, width: number, align: 'left' | 'right'): string {
  return align === 'left' ? text.padEnd(width) : text.padStart(width);
}

/** Seconds, minutes, hours or days, two units at most: `7s`, `4m05s`, `2h10m`, `3d04h`. */
export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) {
    return `${seconds}s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    return `${hours}h${String(minutes % 60).padStart(2, '0')}m`;
  }
  return `${Math.floor(hours / 24)}d${String(hours % 24).padStart(2, '0')}h`;
}

function signed(value: number, digits: number): string {
  const text = Math.abs(value).toFixed(digits);
  if (Number(text) === 0) {
    return text;
  }
  return value > 0 ? `+${text}` : `-${text}`;
}

function strike(value: number | null): string {
  if (value === null) {
    return MISSING;
  }
  return Number.isInteger(value) ? value.toFixed(0) : value.toFixed(2);
}

function changeStyle(value: number): Style | undefined {
  return value > 0 ? 'green' : value < 0 ? 'red' : undefined;
}

function marketText(row: TopRow): { text: string; style?: Style } {
  const market = row.market;
  if (market === null) {
    return { text: MISSING };
  }
  const name = market.holidayName ?? market.specialSessionName;
  const text = name === null ? market.state : `${market.state} (${name})`;
  const style: Style | undefined =
    market.state === 'OPEN' || market.state === 'SPECIAL_SESSION'
      ? 'green'
      : market.state === 'PRE_OPEN'
        ? 'yellow'
        : 'dim';
  return { text, style };
}

function tableRow(row: TopRow, state: TopState, now: Date): Line {
  const cells: Array<{ text: string; style?: Style }> = [{ text: row.symbol, style: 'bold' }];
  const overview = row.overview;
  if (overview === null) {
    cells.push({ text: MISSING }, { text: MISSING }, { text: MISSING }, { text: MISSING });
    cells.push({ text: MISSING }, { text: MISSING }, { text: MISSING });
  } else {
    cells.push({ text: overview.spot.toFixed(2) });
    const baseline = row.baseline;
    if (baseline === null || baseline.spot === 0) {
      cells.push({ text: MISSING }, { text: MISSING });
    } else {
      const change = overview.spot - baseline.spot;
      const percent = (change / baseline.spot) * 100;
      const style = changeStyle(change);
      cells.push(
        style === undefined ? { text: signed(change, 2) } : { text: signed(change, 2), style },
        style === undefined
          ? { text: `${signed(percent, 2)}%${BASIS_MARK[baseline.basis]}` }
          : { text: `${signed(percent, 2)}%${BASIS_MARK[baseline.basis]}`, style },
      );
    }
    cells.push({ text: overview.atmIv === null ? MISSING : `${(overview.atmIv * 100).toFixed(2)}%` });
    cells.push({ text: overview.pcrOi === null ? MISSING : overview.pcrOi.toFixed(2) });
    cells.push({ text: strike(overview.maxPainStrike) });
    const ageMs = now.getTime() - overview.observedAt.getTime();
    const intervalMs = (state.server?.collectionIntervalSeconds ?? 0) * 1000;
    const trading = row.market?.state === 'OPEN' || row.market?.state === 'SPECIAL_SESSION';
    const stale = trading && intervalMs > 0 && ageMs > STALE_INTERVALS * intervalMs;
    cells.push(stale ? { text: formatAge(ageMs), style: 'yellow' } : { text: formatAge(ageMs) });
  }
  cells.push(marketText(row));
  const line: Segment[] = [];
  cells.forEach((cell, i) => {
    const column = TOP_COLUMNS[i]!;
    if (i > 0) {
      line.push({ text: GAP });
    }
    const text = pad(cell.text, column.width, column.align);
    line.push(cell.style === undefined ? { text } : { text, style: cell.style });
  });
  if (row.error !== null) {
    line.push({ text: `${GAP}${row.error}`, style: 'red' });
  }
  return line;
}

function headerLine(): Line {
  return [{ text: TOP_COLUMNS.map((c) => pad(c.title, c.width, c.align)).join(GAP), style: 'inverse' }];
}

function istClock(now: Date): string {
  const ist = new Date(now.getTime() + IST_OFFSET_MS);
  return `${ist.toISOString().slice(11, 19)} IST`;
}

function connectionLine(state: TopState, now: Date): Line {
  const connection = state.connection;
  switch (connection.kind) {
    case 'connecting':
      return [
        {
          text: connection.attempt > 0 ? `connecting… (attempt ${connection.attempt + 1})` : 'connecting…',
          style: 'yellow',
        },
      ];
    case 'connected': {
      const last =
        state.lastEventAt === null ? '' : `, last update ${formatAge(now.getTime() - state.lastEventAt.getTime())} ago`;
      return [{ text: 'connected', style: 'green' }, { text: last }];
    }
    case 'disconnected': {
      const waitMs = Math.max(0, connection.retryAt.getTime() - now.getTime());
      return [
        { text: 'disconnected, retrying…', style: 'red' },
        {
          text: ` next attempt in ${formatAge(waitMs + 999)} (${connection.reason}; down for ${formatAge(now.getTime() - connection.since.getTime())})`,
        },
      ];
    }
  }
}

function titleLine(state: TopState, now: Date, interactive: boolean): Line {
  const server = state.server;
  const about =
    server === null ? '' : `  g6 ${server.version} · ${server.provider} · every ${server.collectionIntervalSeconds}s`;
  return [
    { text: 'g6 top', style: 'bold' },
    { text: `  ${state.url}${about}  ${istClock(now)}` },
    ...(interactive ? [{ text: '  q: quit', style: 'dim' as const }] : []),
  ];
}

const STATUS_STYLE: Record<HealthStatus, Style> = { HEALTHY: 'green', DEGRADED: 'yellow', DOWN: 'red' };

/** provider and ticker, then each sink, then any other component that is not healthy. */
function shownComponents(components: readonly TopHealthComponent[]): TopHealthComponent[] {
  const rank = (c: TopHealthComponent) =>
    c.name === 'provider' ? 0 : c.name === 'ticker' ? 1 : c.name.startsWith('sink/') ? 2 : 3;
  return components
    .filter((c) => rank(c) < 3 || c.status !== 'HEALTHY')
    .sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

function healthLines(state: TopState, now: Date): Line[] {
  const health = state.health;
  if (health.kind === 'pending') {
    return [[{ text: 'health: ' }, { text: '…', style: 'dim' }]];
  }
  if (health.kind === 'unavailable') {
    const lines: Line[] = [
      [
        { text: 'health: n/a', style: 'dim' },
        { text: ` (${health.reason})`, style: 'dim' },
      ],
    ];
    // Without the health API, the server's own description still says whether the provider delivers.
    const server = state.server;
    if (server !== null) {
      const problems = server.providerProblems.length === 0 ? '' : `  ${server.providerProblems.join('; ')}`;
      lines.push([
        { text: `  ${'provider'.padEnd(COMPONENT_WIDTH)}` },
        server.providerReady
          ? { text: `${server.provider}, ready`, style: 'green' }
          : { text: `${server.provider}, not ready`, style: 'red' },
        { text: problems },
      ]);
    }
    return lines;
  }
  const lines: Line[] = [
    [
      { text: 'health: ' },
      { text: health.status, style: STATUS_STYLE[health.status] },
      {
        text: health.ready
          ? ' (ready)'
          : health.notReadyReasons.length === 0
            ? ' (not ready)'
            : ` (not ready: ${health.notReadyReasons.join('; ')})`,
      },
    ],
  ];
  for (const component of shownComponents(health.components)) {
    lines.push([
      { text: `  ${component.name.padEnd(COMPONENT_WIDTH)}` },
      { text: component.status.padEnd(9), style: STATUS_STYLE[component.status] },
      { text: `for ${formatAge(now.getTime() - component.since.getTime())}`.padEnd(12) },
      { text: component.reason === null ? '' : component.reason },
    ]);
  }
  return lines;
}

/** Firing alerts, most recent first. */
export function sortAlerts(alerts: readonly TopAlert[]): TopAlert[] {
  return [...alerts].sort((a, b) => b.at.getTime() - a.at.getTime() || a.id.localeCompare(b.id));
}

function alertLines(state: TopState, now: Date): Line[] {
  if (state.health.kind !== 'known') {
    return [];
  }
  const alerts = sortAlerts(state.alerts);
  if (alerts.length === 0) {
    return [[{ text: 'alerts: none firing', style: 'dim' }]];
  }
  const lines: Line[] = [[{ text: `alerts: ${alerts.length} firing`, style: 'bold' }]];
  for (const alert of alerts) {
    lines.push([
      { text: `  ${`${formatAge(now.getTime() - alert.at.getTime())} ago`.padEnd(10)}` },
      { text: alert.severity.padEnd(9), style: alert.severity === 'CRITICAL' ? 'red' : 'yellow' },
      { text: alert.component.padEnd(COMPONENT_WIDTH) },
      { text: alert.reason ?? '' },
    ]);
  }
  return lines;
}

function legendLine(rows: readonly TopRow[]): Line | null {
  const used = new Set(rows.map((r) => r.baseline?.basis).filter((b) => b !== undefined));
  if (!used.has('DAY_FIRST') && !used.has('FIRST_SEEN')) {
    return null;
  }
  const parts = ['CHG against the previous close'];
  if (used.has('DAY_FIRST')) {
    parts.push("* the day's first stored snapshot");
  }
  if (used.has('FIRST_SEEN')) {
    parts.push('~ the first update seen (no stored history)');
  }
  return [{ text: parts.join(', or '), style: 'dim' }];
}

/** The visible characters of `line`, cut to `width` (the last kept one becomes `…` when cut). */
function truncateLine(line: Line, width: number): Line {
  const out: Segment[] = [];
  let left = width;
  const total = line.reduce((n, s) => n + [...s.text].length, 0);
  const cut = total > width;
  for (const segment of line) {
    if (left <= 0) {
      break;
    }
    const chars = [...segment.text];
    let text = chars.slice(0, left).join('');
    left -= Math.min(chars.length, left);
    if (cut && left === 0 && width > 0) {
      text = `${[...text].slice(0, -1).join('')}…`;
    }
    out.push(segment.style === undefined ? { text } : { text, style: segment.style });
  }
  return out;
}

/** Without trailing blanks, whichever segments they are in (a coloured cell's padding included). */
function trimLine(line: Line): Line {
  const out = [...line];
  while (out.length > 0) {
    const last = out[out.length - 1]!;
    const text = last.text.trimEnd();
    if (text !== '') {
      out[out.length - 1] = last.style === undefined ? { text } : { text, style: last.style };
      break;
    }
    out.pop();
  }
  return out;
}

function paint(line: Line, color: boolean): string {
  return trimLine(line)
    .map((s) => (color && s.style !== undefined && s.text !== '' ? `\x1b[${SGR[s.style]}m${s.text}\x1b[0m` : s.text))
    .join('');
}

/** Pure: the frame for `state`, one string per terminal line, each at most `width` characters wide. */
export function renderTop(state: TopState, options: TopViewOptions): string[] {
  const { now } = options;
  const lines: Line[] = [titleLine(state, now, options.interactive === true), connectionLine(state, now)];
  if (state.serverError !== null) {
    lines.push([{ text: `server: ${state.serverError}`, style: 'red' }]);
  }
  lines.push([]);
  lines.push(headerLine());
  if (state.rows.length === 0) {
    lines.push([{ text: 'waiting for the server’s indices…', style: 'dim' }]);
  }
  for (const row of state.rows) {
    lines.push(tableRow(row, state, now));
  }
  const legend = legendLine(state.rows);
  if (legend !== null) {
    lines.push(legend);
  }
  lines.push([]);
  lines.push(...healthLines(state, now));
  const alerts = alertLines(state, now);
  if (alerts.length > 0) {
    lines.push([], ...alerts);
  }
  let shown = lines;
  if (lines.length > options.height) {
    const keep = Math.max(0, options.height - 1);
    shown = [...lines.slice(0, keep), [{ text: `… ${lines.length - keep} more lines`, style: 'dim' }]];
    shown = shown.slice(0, Math.max(0, options.height));
  }
  return shown.map((line) => paint(truncateLine(line, options.width), options.color));
}
