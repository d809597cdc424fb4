/**
 * The day files of the Python G6 (ayushrajani07/G6_, `src/storage/csv_sink.py`), read row by row. Pure: text in,
 * rows or the reason a row cannot be mapped out. What the Python writer does, and so what is checked here:
 * - a file is `<INDEX>/<expiry_tag>/<offset>/<YYYY-MM-DD>.csv`, `expiry_tag` one of this_week, next_week,
 *   this_month, next_month, `offset` the strike's distance from the ATM strike in index points, signed
 *   (`+50`, `0`, `-100`), not in strike steps;
 * - one row per collection cycle and strike, CE and PE side by side; `strike` = `atm` + `offset`;
 * - `timestamp` is IST wall-clock time `dd-mm-YYYY HH:MM:SS`, rounded to 30 s;
 * - an absent leg, and any value it could not read, is written as 0 (its `f()`/`i()` defaults), so a 0
 *   price is no price: G6's Kite mapping reads a 0 last or average price as null the same way;
 * - older builds wrote the index level in `strike` and the strike in `offset_price` (its reader's legacy case).
 */

import { segmentOf } from '../domain/calendar/calendar-data.ts';
import type { ExchangeCalendar } from '../domain/calendar/exchange-calendar.ts';
import type { ExpiryTag } from '../domain/expiry-tags.ts';
import { INDEX_SPECS, type IndexSymbol, isIndexSymbol } from '../domain/indices.ts';
import { isIsoDate, istWallClockToInstant, toIstDateString } from '../domain/ist-time.ts';

/** The Python G6's expiry tags (its directory names and `expiry_tag` values) and G6's name for each. */
export const G6_PYTHON_TAGS: Readonly<Record<string, ExpiryTag>> = {
  this_week: 'THIS_WEEK',
  next_week: 'NEXT_WEEK',
  this_month: 'THIS_MONTH',
  next_month: 'NEXT_MONTH',
};

/** Why a row was not imported; every row read ends up imported, merged into an identical one, or under one of these. */
export const SKIP_REASONS = [
  'malformed-line',
  'missing-columns',
  'bad-timestamp',
  'unknown-index',
  'unknown-expiry-tag',
  'bad-expiry-date',
  'path-mismatch',
  'outside-file-date',
  'bad-number',
  'missing-values',
  'strike-offset-mismatch',
  'off-grid-strike',
  'conflicting-duplicate',
  'conflicting-spot',
  'expired',
  'analysis-failed',
  'sink-rejected',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export const SKIP_REASON_TEXT: Readonly<Record<SkipReason, string>> = {
  'malformed-line': 'not as many fields as the header',
  'missing-columns': "the file's header lacks a required column",
  'bad-timestamp': 'timestamp is not an IST dd-mm-YYYY HH:MM:SS time',
  'unknown-index': 'index is not one G6 knows',
  'unknown-expiry-tag': 'expiry_tag is not this_week, next_week, this_month or next_month',
  'bad-expiry-date': 'expiry_date is not a YYYY-MM-DD trading day on or after the row',
  'path-mismatch': "index, expiry_tag or offset disagrees with the file's path",
  'outside-file-date': "timestamp is not on the file's date (IST)",
  'bad-number': 'a price, volume or OI is not a number, negative, or a fractional count',
  'missing-values': 'no index_price, no leg, or a leg without its volume or OI',
  'strike-offset-mismatch': 'strike is not atm + offset',
  'off-grid-strike': "strike is not on the index's strike grid",
  'conflicting-duplicate': 'another row of the same snapshot, expiry and strike has other values',
  'conflicting-spot': "rows of one snapshot disagree on index_price (the snapshot's whole rows)",
  expired: "the expiry's cut-off had passed at the row's time",
  'analysis-failed': "G6's analysis could not build the snapshot",
  'sink-rejected': "the CSV store's row checks rejected the snapshot",
};

/** Where a file sits in the Python layout, taken from its path. */
export interface G6PythonFile {
  /** Relative to the imported directory, `/`-separated. */
  readonly path: string;
  /** The directory names as they are (checked against the rows). */
  readonly index: string;
  readonly tag: string;
  readonly offset: string;
  /** `YYYY-MM-DD`, the file's name. */
  readonly date: string;
}

/** `<INDEX>/<tag>/<offset>/<YYYY-MM-DD>.csv`, or null when the path is not in that layout. */
export function parseG6PythonPath(parts: readonly string[]): G6PythonFile | null {
  if (parts.length !== 4) {
    return null;
  }
  const [index, tag, offset, name] = parts as [string, string, string, string];
  const match = /^(\d{4}-\d{2}-\d{2})\.csv$/.exec(name);
  if (match === null || !isIsoDate(match[1]!)) {
    return null;
  }
  return { path: parts.join('/'), index, tag, offset, date: match[1]! };
}

/** One leg as the Python file has it. Prices are null where the file says 0 or nothing. */
export interface G6PythonLeg {
  readonly lastPrice: number | null;
  readonly averagePrice: number | null;
  readonly volume: number;
  readonly oi: number;
  /** The Python G6's IV, as written (its unit is told from the values, see G6PythonIvComparison). */
  readonly iv: number | null;
}

export interface G6PythonRow {
  readonly index: IndexSymbol;
  readonly tag: ExpiryTag;
  readonly expiry: string;
  /** The row's instant (its IST wall-clock time). */
  readonly observedAt: Date;
  readonly spot: number;
  readonly strike: number;
  readonly call: G6PythonLeg | null;
  readonly put: G6PythonLeg | null;
}

export type ParsedRow = { readonly row: G6PythonRow } | { readonly reason: SkipReason };

/** Columns a file must have (after the legacy renaming); the Greeks, `tp` and `avg_tp` are not read. */
const REQUIRED = [
  'timestamp',
  'index',
  'expiry_tag',
  'expiry_date',
  'offset',
  'index_price',
  'strike',
  'ce',
  'pe',
  'avg_ce',
  'avg_pe',
  'ce_vol',
  'pe_vol',
  'ce_oi',
  'pe_oi',
] as const;
const OPTIONAL = ['atm', 'ce_iv', 'pe_iv'] as const;
type Column = (typeof REQUIRED)[number] | (typeof OPTIONAL)[number];

/** Field positions by column name, from a file's header. */
export type G6PythonColumns = Readonly<Record<Column, number | undefined>> & { readonly width: number };

export type HeaderResult = { readonly columns: G6PythonColumns } | { readonly missing: readonly string[] };

export function readG6PythonHeader(header: readonly string[]): HeaderResult {
  const names = header.map((name) => name.trim());
  const position = new Map(names.map((name, i) => [name, i]));
  // Older files: `strike` held the index level and `offset_price` the strike.
  if (!position.has('index_price') && position.has('offset_price')) {
    position.set('index_price', position.get('strike')!);
    position.set('strike', position.get('offset_price')!);
  }
  const missing = REQUIRED.filter((name) => !position.has(name));
  if (missing.length > 0) {
    return { missing };
  }
  const columns = Object.fromEntries([...REQUIRED, ...OPTIONAL].map((name) => [name, position.get(name)]));
  return { columns: { ...(columns as Record<Column, number | undefined>), width: names.length } };
}

const TIMESTAMP = /^(\d{2})-(\d{2})-(\d{4}) (\d{2}):(\d{2}):(\d{2})$/;

/** `dd-mm-YYYY HH:MM:SS` in IST to its instant; null unless it is a real date and time. */
export function parseIstTimestamp(text: string): Date | null {
  const match = TIMESTAMP.exec(text.trim());
  if (match === null) {
    return null;
  }
  const [, dd, mm, yyyy, hh, mi, ss] = match as unknown as [string, string, string, string, string, string, string];
  const date = `${yyyy}-${mm}-${dd}`;
  const [hours, minutes, seconds] = [Number(hh), Number(mi), Number(ss)];
  if (!isIsoDate(date) || hours > 23 || minutes > 59 || seconds > 59) {
    return null;
  }
  return new Date(istWallClockToInstant(date, hours, minutes).getTime() + seconds * 1000);
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

/** Not a number at all (Python's `nan`, `inf`, text): distinct from an empty cell. */
const BAD = Symbol('bad');
type Cell = number | null | typeof BAD;

function numberCell(text: string | undefined): Cell {
  const value = (text ?? '').trim();
  if (value === '') {
    return null;
  }
  if (!NUMBER.test(value)) {
    return BAD;
  }
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : BAD;
}

type LegResult = { readonly leg: G6PythonLeg | null } | { readonly reason: SkipReason };

function readLeg(fields: readonly string[], columns: G6PythonColumns, side: 'ce' | 'pe'): LegResult {
  const at = (name: Column) => {
    const i = columns[name];
    return i === undefined ? undefined : fields[i];
  };
  const price = numberCell(at(side));
  const average = numberCell(at(side === 'ce' ? 'avg_ce' : 'avg_pe'));
  const volume = numberCell(at(side === 'ce' ? 'ce_vol' : 'pe_vol'));
  const oi = numberCell(at(side === 'ce' ? 'ce_oi' : 'pe_oi'));
  const cells = [price, average, volume, oi];
  if (cells.includes(BAD)) {
    return { reason: 'bad-number' };
  }
  if (cells.every((c) => c === null)) {
    return { leg: null };
  }
  if (volume === null || oi === null) {
    return { reason: 'missing-values' };
  }
  const isCount = (v: Cell) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  const isPrice = (v: Cell) => v === null || (typeof v === 'number' && v >= 0);
  if (!isCount(volume) || !isCount(oi) || !isPrice(price) || !isPrice(average)) {
    return { reason: 'bad-number' };
  }
  // The IV is compared, never imported: an unreadable one is no IV, not a reason to drop the row.
  const iv = numberCell(at(side === 'ce' ? 'ce_iv' : 'pe_iv'));
  return {
    leg: {
      lastPrice: price === null || price === 0 ? null : (price as number),
      averagePrice: average === null || average === 0 ? null : (average as number),
      volume: volume as number,
      oi: oi as number,
      iv: typeof iv === 'number' && iv > 0 ? iv : null,
    },
  };
}

/** Parses a signed whole number (`+50`, `-100`, `0`, and `50.0` in a cell). */
function offsetOf(text: string | undefined): number | null {
  const value = (text ?? '').trim();
  if (INTEGER.test(value)) {
    return Number(value);
  }
  const cell = numberCell(value);
  return typeof cell === 'number' && Number.isInteger(cell) ? cell : null;
}

const GRID_TOLERANCE = 1e-6;

/**
 * One data line of a file (already split into fields), checked in this order: shape, timestamp, index, tag,
 * expiry date, path, file date, numbers, presence, strike against atm + offset, strike grid. The first
 * failed check is the row's reason.
 */
export function parseG6PythonRow(
  fields: readonly string[],
  columns: G6PythonColumns,
  file: G6PythonFile,
  calendar: ExchangeCalendar,
): ParsedRow {
  if (fields.length !== columns.width) {
    return { reason: 'malformed-line' };
  }
  const at = (name: Column) => {
    const i = columns[name];
    return i === undefined ? '' : (fields[i] ?? '').trim();
  };
  const observedAt = parseIstTimestamp(at('timestamp'));
  if (observedAt === null) {
    return { reason: 'bad-timestamp' };
  }
  const index = at('index');
  if (!isIndexSymbol(index) || !isIndexSymbol(file.index)) {
    return { reason: 'unknown-index' };
  }
  const pythonTag = at('expiry_tag');
  const tag = G6_PYTHON_TAGS[pythonTag];
  if (tag === undefined || G6_PYTHON_TAGS[file.tag] === undefined) {
    return { reason: 'unknown-expiry-tag' };
  }
  const spec = INDEX_SPECS[index];
  const segment = segmentOf(spec);
  const expiry = at('expiry_date');
  const rowDate = toIstDateString(observedAt);
  if (!isIsoDate(expiry) || expiry < rowDate || !calendar.isTradingDay(segment, expiry)) {
    return { reason: 'bad-expiry-date' };
  }
  const offset = offsetOf(at('offset'));
  const pathOffset = offsetOf(file.offset);
  if (index !== file.index || pythonTag !== file.tag || pathOffset === null || offset !== pathOffset) {
    return { reason: 'path-mismatch' };
  }
  if (rowDate !== file.date) {
    return { reason: 'outside-file-date' };
  }
  const spot = numberCell(at('index_price'));
  const strike = numberCell(at('strike'));
  const atm = numberCell(at('atm'));
  if (spot === BAD || strike === BAD || atm === BAD) {
    return { reason: 'bad-number' };
  }
  const call = readLeg(fields, columns, 'ce');
  const put = readLeg(fields, columns, 'pe');
  for (const leg of [call, put]) {
    if ('reason' in leg && leg.reason === 'bad-number') {
      return leg;
    }
  }
  if ('reason' in call || 'reason' in put) {
    return { reason: 'missing-values' };
  }
  if (spot === null || spot <= 0 || strike === null || (call.leg === null && put.leg === null)) {
    return { reason: strike !== null && strike <= 0 ? 'bad-number' : 'missing-values' };
  }
  if (strike <= 0) {
    return { reason: 'bad-number' };
  }
  if (atm !== null && Math.abs(atm + offset - strike) > GRID_TOLERANCE) {
    return { reason: 'strike-offset-mismatch' };
  }
  const steps = strike / spec.strikeStep;
  if (Math.abs(steps - Math.round(steps)) > GRID_TOLERANCE) {
    return { reason: 'off-grid-strike' };
  }
  return { row: { index, tag, expiry, observedAt, spot, strike, call: call.leg, put: put.leg } };
}
