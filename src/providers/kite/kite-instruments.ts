import { segmentOf } from '../../domain/calendar/calendar-data.ts';
import type { ExchangeCalendar } from '../../domain/calendar/exchange-calendar.ts';
import type { ExpiryKind } from '../../domain/expiry-calendar.ts';
import { type ExpiryTag, tagsByExpiry } from '../../domain/expiry-tags.ts';
import { INDEX_SPECS, type IndexSymbol } from '../../domain/indices.ts';
import { isIsoDate } from '../../domain/ist-time.ts';
import { toOptionTradingSymbol } from '../../domain/kite-tradingsymbol.ts';

/** One instruments-dump row, validated and normalised (tokens as numbers, expiry as `YYYY-MM-DD`). */
export interface KiteInstrument {
  readonly instrumentToken: number;
  readonly tradingsymbol: string;
  readonly name: string;
  /** `YYYY-MM-DD`, or null for instruments without expiry. */
  readonly expiry: string | null;
  readonly strike: number;
  readonly tickSize: number;
  readonly lotSize: number;
  readonly instrumentType: string;
  readonly segment: string;
  readonly exchange: string;
}

export interface ContractRef {
  readonly instrumentToken: number;
  readonly tradingsymbol: string;
  /** `EXCHANGE:TRADINGSYMBOL`, the key of `/quote`. */
  readonly quoteKey: string;
}

export interface CatalogStrike {
  readonly strike: number;
  readonly call: ContractRef | null;
  readonly put: ContractRef | null;
}

export interface CatalogExpiry {
  readonly expiry: string;
  readonly kind: ExpiryKind;
  /** Ascending by strike. */
  readonly strikes: readonly CatalogStrike[];
  /** The futures contract expiring the same day (monthlies), if listed. */
  readonly future: ContractRef | null;
}

export interface IndexCatalog {
  readonly index: IndexSymbol;
  readonly spot: ContractRef;
  readonly lotSize: number;
  /** Every listed expiry, ascending, including ones the collector skips. */
  readonly expiries: readonly CatalogExpiry[];
}

export interface NormalisedInstruments {
  readonly instruments: KiteInstrument[];
  /** Rows dropped as malformed (the client's trailing-newline junk row counts here). */
  readonly rejected: number;
}

const finite = (value: unknown): number => (typeof value === 'number' ? value : Number(value));

function normaliseExpiry(value: unknown): string | null | undefined {
  if (value === '' || value === null || value === undefined) {
    return null;
  }
  // kiteconnect turns `YYYY-MM-DD` into a Date at UTC midnight; a cache round trip gives the string back.
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? undefined : value.toISOString().slice(0, 10);
  }
  if (typeof value === 'string' && isIsoDate(value)) {
    return value;
  }
  return undefined;
}

/**
 * Validates rows as `KiteConnect.getInstruments()` returns them (string tokens, Date expiries, NaN numbers in
 * the junk row a trailing newline produces) or as the on-disk cache stores them. Never throws.
 */
export function normaliseInstruments(rows: readonly unknown[]): NormalisedInstruments {
  const instruments: KiteInstrument[] = [];
  let rejected = 0;
  for (const row of rows) {
    if (typeof row !== 'object' || row === null) {
      rejected += 1;
      continue;
    }
    const r = row as Record<string, unknown>;
    const token = finite(r.instrument_token ?? r.instrumentToken);
    const expiry = normaliseExpiry(r.expiry);
    const strike = finite(r.strike);
    const tickSize = finite(r.tick_size ?? r.tickSize);
    const lotSize = finite(r.lot_size ?? r.lotSize);
    const tradingsymbol = r.tradingsymbol;
    const exchange = r.exchange;
    const instrumentType = r.instrument_type ?? r.instrumentType;
    if (
      !Number.isSafeInteger(token) ||
      token <= 0 ||
      typeof tradingsymbol !== 'string' ||
      tradingsymbol.length === 0 ||
      typeof exchange !== 'string' ||
      typeof instrumentType !== 'string' ||
      expiry === undefined ||
      !(Number.isFinite(strike) && strike >= 0) ||
      !(Number.isFinite(tickSize) && tickSize >= 0) ||
      !(Number.isInteger(lotSize) && lotSize >= 0)
    ) {
      rejected += 1;
      continue;
    }
    instruments.push({
      instrumentToken: token,
      tradingsymbol,
      name: typeof r.name === 'string' ? r.name : '',
      expiry,
      strike,
      tickSize,
      lotSize,
      instrumentType,
      segment: typeof r.segment === 'string' ? r.segment : '',
      exchange,
    });
  }
  return { instruments, rejected };
}

/** Keeps the rows G6 can use: options and futures of the given indices on their exchanges. */
export function selectIndexDerivatives(
  instruments: readonly KiteInstrument[],
  indices: readonly IndexSymbol[],
): KiteInstrument[] {
  const wanted = new Map(indices.map((index) => [index, INDEX_SPECS[index].exchange]));
  return instruments.filter(
    (row) =>
      wanted.get(row.name as IndexSymbol) === row.exchange &&
      row.expiry !== null &&
      (row.instrumentType === 'CE' || row.instrumentType === 'PE' || row.instrumentType === 'FUT'),
  );
}

/** Monthly contracts carry `YY MON` in the symbol, weeklies `YY M DD`; the expiry column stays the truth. */
function expiryKindOf(row: KiteInstrument): ExpiryKind {
  const right = row.instrumentType === 'PE' ? 'PE' : 'CE';
  const monthly = toOptionTradingSymbol(row.name, row.expiry ?? '', 'MONTHLY', row.strike, right);
  return row.tradingsymbol === monthly ? 'MONTHLY' : 'WEEKLY';
}

/**
 * One index's listed option chains as of `asOf`: expiries whose cut-off (by `calendar`) is still ahead, strikes
 * ascending with their call and put, the same-day future, and the spot instrument.
 */
export function buildIndexCatalog(
  index: IndexSymbol,
  instruments: readonly KiteInstrument[],
  asOf: Date,
  calendar: ExchangeCalendar,
): IndexCatalog {
  const spec = INDEX_SPECS[index];
  const segment = segmentOf(spec);
  const byExpiry = new Map<
    string,
    {
      kind: ExpiryKind | null;
      strikes: Map<number, { call: ContractRef | null; put: ContractRef | null }>;
      future: ContractRef | null;
    }
  >();
  let lotSize = spec.lotSize;
  for (const row of instruments) {
    if (row.name !== index || row.exchange !== spec.exchange || row.expiry === null) {
      continue;
    }
    if (calendar.expiryCutoff(segment, row.expiry).getTime() <= asOf.getTime()) {
      continue;
    }
    let entry = byExpiry.get(row.expiry);
    if (entry === undefined) {
      entry = { kind: null, strikes: new Map(), future: null };
      byExpiry.set(row.expiry, entry);
    }
    const ref: ContractRef = {
      instrumentToken: row.instrumentToken,
      tradingsymbol: row.tradingsymbol,
      quoteKey: `${row.exchange}:${row.tradingsymbol}`,
    };
    if (row.instrumentType === 'FUT') {
      entry.future = ref;
      continue;
    }
    if (row.instrumentType !== 'CE' && row.instrumentType !== 'PE') {
      continue;
    }
    if (row.lotSize > 0) {
      lotSize = row.lotSize;
    }
    entry.kind ??= expiryKindOf(row);
    const legs = entry.strikes.get(row.strike) ?? { call: null, put: null };
    if (row.instrumentType === 'CE') {
      legs.call = ref;
    } else {
      legs.put = ref;
    }
    entry.strikes.set(row.strike, legs);
  }
  const expiries: CatalogExpiry[] = [...byExpiry.entries()]
    .filter(([, entry]) => entry.kind !== null)
    .map(([expiry, entry]) => ({
      expiry,
      kind: entry.kind as ExpiryKind,
      future: entry.future,
      strikes: [...entry.strikes.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([strike, legs]) => ({ strike, call: legs.call, put: legs.put })),
    }))
    .sort((a, b) => a.expiry.localeCompare(b.expiry));
  return {
    index,
    spot: {
      instrumentToken: spec.spotInstrumentToken,
      tradingsymbol: spec.spotInstrument.split(':')[1] ?? '',
      quoteKey: spec.spotInstrument,
    },
    lotSize,
    expiries,
  };
}

/**
 * The expiries G6 collects: the nearest `listedWeeklies` weeklies and `listedMonthlies` monthlies of the
 * index (the exchanges' listing rule the simulated market follows too); quarterly and long-dated series
 * beyond them are skipped.
 */
export function selectCollectedExpiries(catalog: IndexCatalog): CatalogExpiry[] {
  const spec = INDEX_SPECS[catalog.index];
  let weeklies = 0;
  let monthlies = 0;
  return catalog.expiries.filter((expiry) => {
    if (expiry.kind === 'WEEKLY' && weeklies < spec.listedWeeklies) {
      weeklies += 1;
      return true;
    }
    if (expiry.kind === 'MONTHLY' && monthlies < spec.listedMonthlies) {
      monthlies += 1;
      return true;
    }
    return false;
  });
}

/**
 * The expiries of `collected` (selectCollectedExpiries) that `expiries` asks for. Tags are resolved over
 * all of `collected`, as the snapshot's are, so NEXT_WEEK stays the second listed expiry.
 */
export function selectWantedExpiries(
  collected: readonly CatalogExpiry[],
  expiries: 'ALL' | readonly ExpiryTag[],
): Set<string> {
  if (expiries === 'ALL') {
    return new Set(collected.map((e) => e.expiry));
  }
  const tags = tagsByExpiry(collected);
  return new Set(
    collected.filter((e) => (tags.get(e.expiry) ?? []).some((tag) => expiries.includes(tag))).map((e) => e.expiry),
  );
}
