/**
 * Every stored field, declared once. The CSV columns and their checks (src/sinks/csv-rows.ts), the Influx
 * fields (src/sinks/line-protocol.ts), the history records read back (src/history/csv-history.ts) and the
 * history GraphQL types (src/schema/history.ts) are all derived from these two tables, so a new stored
 * analytic is one line here plus its computation.
 *
 * Columns are only ever appended: a day file's header is its own schema, and files written by older
 * builds (fewer columns) still read, their missing columns read as `missing` says.
 */
import { type ExpiryTag, formatExpiryTags } from './expiry-tags.ts';
import type { IndexSymbol } from './indices.ts';
import type { AnalyzedContract, AnalyzedStrike, ChainSnapshot } from './snapshot.ts';

/** What a stored cell may hold; rows are checked against it before they are written. */
export type FieldKind =
  | 'instant'
  | 'date'
  | 'index'
  | 'right'
  | 'text'
  | 'positive'
  | 'price'
  | 'count'
  | 'integer'
  | 'number'
  | 'iv'
  | 'delta'
  | 'unit'
  /** Expiry tags, stored `|`-joined (src/domain/expiry-tags.ts). */
  | 'tags';

/** How a stored cell that is empty (or a column an older file lacks) reads back. */
export type Missing =
  /** The row is unreadable without it and is skipped. */
  | 'required'
  /** Reads as 0 (numbers) or '' (text). */
  | 'zero'
  /** Reads as null. */
  | 'null';

export type StoredCell = string | number | null;

export interface StoredField<Source, Key extends string = string, Kind extends FieldKind = FieldKind> {
  /** CSV column (snake_case); also the Influx field unless `influx` names another. */
  readonly column: string;
  /** Property of the record read back, and the history GraphQL field. */
  readonly key: Key;
  readonly kind: Kind;
  /** May be empty when written (a missing IV, a contract that has not traded). */
  readonly nullable: boolean;
  readonly missing: Missing;
  /** Shown in the GraphQL schema; units belong here when the name does not carry them. */
  readonly description?: string;
  /** GraphQL enum the text values belong to (by its schema name). */
  readonly enumName?: string;
  /** Written to Influx under this field name (G6.1's names where it had the field), or as a tag. */
  readonly influx?: string | InfluxTag<Source>;
  readonly value: (source: Source) => StoredCell;
}

/** A field written to Influx as a tag; `value` when the tag is not the stored cell (one tag of a list). */
export interface InfluxTag<Source> {
  readonly tag: string;
  readonly value?: (source: Source) => StoredCell;
}

interface FieldOptions {
  readonly nullable?: boolean;
  readonly missing?: Missing;
  readonly description?: string;
  readonly enumName?: string;
}

/** Declares one field; `influx: true` writes it to Influx under its column name. */
function field<Source>() {
  return <const Key extends string, const Kind extends FieldKind, const M extends Missing = 'null'>(
    column: string,
    key: Key,
    kind: Kind,
    value: (source: Source) => StoredCell,
    options: Omit<FieldOptions, 'influx'> & {
      readonly missing?: M;
      readonly influx?: string | InfluxTag<Source> | true;
    } = {},
  ): StoredField<Source, Key, Kind> & { readonly missing: M } => {
    const { influx, ...rest } = options;
    return {
      column,
      key,
      kind,
      nullable: options.nullable ?? false,
      missing: (options.missing ?? 'null') as M,
      ...(rest.description === undefined ? {} : { description: rest.description }),
      ...(rest.enumName === undefined ? {} : { enumName: rest.enumName }),
      ...(influx === undefined ? {} : { influx: influx === true ? column : influx }),
      value,
    };
  };
}

/** One contract row of a snapshot: what `OPTIONS_FIELDS` read from. */
export interface ContractRowSource {
  readonly timestamp: string;
  readonly chain: ChainSnapshot;
  readonly row: AnalyzedStrike;
  readonly right: 'CE' | 'PE';
  readonly contract: AnalyzedContract;
}

/** One expiry row of a snapshot: what `OVERVIEW_FIELDS` read from. */
export interface OverviewRowSource {
  readonly timestamp: string;
  readonly seq: number;
  readonly chain: ChainSnapshot;
}

const contract = field<ContractRowSource>();
const overview = field<OverviewRowSource>();

/** `options.csv` and Influx `options`: one row per contract per snapshot. */
export const OPTIONS_FIELDS = [
  contract('timestamp', 'timestamp', 'instant', (s) => s.timestamp, { missing: 'required' }),
  contract('index', 'index', 'index', (s) => s.chain.index, { missing: 'required', influx: { tag: 'index' } }),
  contract('expiry', 'expiry', 'date', (s) => s.chain.expiry, { missing: 'zero', influx: { tag: 'expiry' } }),
  contract('strike', 'strike', 'positive', (s) => s.row.strike, { missing: 'required', influx: { tag: 'strike' } }),
  contract('option_type', 'right', 'right', (s) => s.right, {
    missing: 'required',
    enumName: 'OptionRight',
    influx: { tag: 'option_type' },
  }),
  contract('tradingsymbol', 'tradingsymbol', 'text', (s) => s.contract.quote.tradingsymbol, { missing: 'zero' }),
  contract('spot', 'spot', 'positive', (s) => s.chain.spot, { missing: 'required' }),
  contract('time_to_expiry_years', 'timeToExpiryYears', 'positive', (s) => s.chain.timeToExpiryYears),
  contract('last_price', 'lastPrice', 'price', (s) => s.contract.quote.lastPrice, { nullable: true, influx: true }),
  contract('bid', 'bid', 'price', (s) => s.contract.quote.bid, { nullable: true, influx: true }),
  contract('ask', 'ask', 'price', (s) => s.contract.quote.ask, { nullable: true, influx: true }),
  contract('bid_qty', 'bidQuantity', 'count', (s) => s.contract.quote.bidQuantity, { missing: 'zero' }),
  contract('ask_qty', 'askQuantity', 'count', (s) => s.contract.quote.askQuantity, { missing: 'zero' }),
  contract('volume', 'volume', 'count', (s) => s.contract.quote.volume, { missing: 'zero', influx: true }),
  contract('oi', 'oi', 'count', (s) => s.contract.quote.oi, { missing: 'zero', influx: true }),
  contract('iv', 'iv', 'iv', (s) => s.contract.analytics.iv, {
    nullable: true,
    description: 'Decimal.',
    influx: true,
  }),
  contract('iv_status', 'ivStatus', 'text', (s) => s.contract.analytics.ivStatus, { enumName: 'IvStatus' }),
  contract('price_used', 'priceUsed', 'price', (s) => s.contract.analytics.priceUsed, { nullable: true }),
  contract('price_source', 'priceSource', 'text', (s) => s.contract.analytics.priceSource, {
    nullable: true,
    enumName: 'PriceSource',
  }),
  contract('delta', 'delta', 'delta', (s) => s.contract.analytics.delta, { nullable: true, influx: true }),
  contract('gamma', 'gamma', 'number', (s) => s.contract.analytics.gamma, { nullable: true, influx: true }),
  contract('theta_per_day', 'thetaPerDay', 'number', (s) => s.contract.analytics.thetaPerDay, {
    nullable: true,
    influx: 'theta',
  }),
  contract('vega_per_vol_point', 'vegaPerVolPoint', 'number', (s) => s.contract.analytics.vegaPerVolPoint, {
    nullable: true,
    influx: 'vega',
  }),
  contract('rho_per_rate_point', 'rhoPerRatePoint', 'number', (s) => s.contract.analytics.rhoPerRatePoint, {
    nullable: true,
    influx: 'rho',
  }),
  contract('vanna', 'vanna', 'number', (s) => s.contract.analytics.vanna, { nullable: true }),
  contract('volga', 'volga', 'number', (s) => s.contract.analytics.volga, { nullable: true }),
  contract('charm', 'charm', 'number', (s) => s.contract.analytics.charm, { nullable: true }),
  contract('oi_change', 'oiChange', 'number', (s) => s.contract.analytics.oiChange, { nullable: true }),
  contract('build_up', 'buildUp', 'text', (s) => s.contract.analytics.buildUp, {
    nullable: true,
    enumName: 'BuildUp',
  }),
  contract('instrument_token', 'instrumentToken', 'count', (s) => s.contract.quote.instrumentToken, {
    nullable: true,
  }),
  contract(
    'last_trade_time',
    'lastTradeTime',
    'instant',
    (s) => s.contract.quote.lastTradeTime?.toISOString() ?? null,
    { nullable: true },
  ),
  contract('average_price', 'averagePrice', 'price', (s) => s.contract.quote.averagePrice, {
    nullable: true,
    description: "Volume-weighted average traded price today (Kite's average_price); null before the first trade.",
    influx: true,
  }),
  contract('offset', 'offset', 'integer', (s) => s.row.offset, {
    description: 'Listed strikes from the ATM strike at this snapshot (0 at ATM, +1 the next strike up).',
    influx: true,
  }),
  contract('expiry_tags', 'expiryTags', 'tags', (s) => formatExpiryTags(s.chain.expiryTags), {
    nullable: true,
    missing: 'zero',
    influx: { tag: 'expiry_tag', value: (s) => s.chain.expiryTags[0] ?? null },
  }),
] as const;

/** `overview.csv` and Influx `market_overview`: one row per expiry per snapshot (a snapshot's commit record). */
export const OVERVIEW_FIELDS = [
  overview('timestamp', 'timestamp', 'instant', (s) => s.timestamp, { missing: 'required' }),
  overview('seq', 'seq', 'count', (s) => s.seq),
  overview('index', 'index', 'index', (s) => s.chain.index, { missing: 'required', influx: { tag: 'index' } }),
  overview('expiry', 'expiry', 'date', (s) => s.chain.expiry, { missing: 'required', influx: { tag: 'expiry' } }),
  overview('expiry_kind', 'expiryKind', 'text', (s) => s.chain.expiryKind, { enumName: 'ExpiryKind' }),
  overview('spot', 'spot', 'positive', (s) => s.chain.spot, { missing: 'required', influx: true }),
  overview('forward', 'forward', 'positive', (s) => s.chain.methodology.forward, { influx: true }),
  overview('time_to_expiry_years', 'timeToExpiryYears', 'positive', (s) => s.chain.timeToExpiryYears, {
    missing: 'required',
    influx: true,
  }),
  overview('atm_strike', 'atmStrike', 'positive', (s) => s.chain.summary.atmStrike, { influx: true }),
  overview('atm_iv', 'atmIv', 'iv', (s) => s.chain.summary.atmIv, {
    nullable: true,
    description: 'Decimal.',
    influx: true,
  }),
  overview('pcr_oi', 'pcrOi', 'number', (s) => s.chain.summary.pcrOi, { nullable: true, influx: true }),
  overview('pcr_volume', 'pcrVolume', 'number', (s) => s.chain.summary.pcrVolume, { nullable: true, influx: true }),
  overview('max_pain_strike', 'maxPainStrike', 'positive', (s) => s.chain.summary.maxPainStrike, {
    nullable: true,
    influx: 'max_pain',
  }),
  overview('total_call_oi', 'totalCallOi', 'count', (s) => s.chain.summary.totalCallOi, { influx: true }),
  overview('total_put_oi', 'totalPutOi', 'count', (s) => s.chain.summary.totalPutOi, { influx: true }),
  overview('total_call_volume', 'totalCallVolume', 'count', (s) => s.chain.summary.totalCallVolume, {
    influx: true,
  }),
  overview('total_put_volume', 'totalPutVolume', 'count', (s) => s.chain.summary.totalPutVolume, { influx: true }),
  overview('iv_solved', 'ivSolved', 'count', (s) => s.chain.summary.ivSolvedCount, { influx: true }),
  overview('contracts', 'contracts', 'count', (s) => s.chain.summary.contractCount, { influx: true }),
  overview('rate', 'rate', 'number', (s) => s.chain.methodology.rate),
  overview('dividend_yield', 'dividendYield', 'number', (s) => s.chain.methodology.dividendYield),
  overview('pcr_premium', 'pcrPremium', 'number', (s) => s.chain.summary.pcrPremium, {
    nullable: true,
    influx: true,
  }),
  overview('pcr_oi_change', 'pcrOiChange', 'number', (s) => s.chain.summary.pcrOiChange, {
    nullable: true,
    influx: true,
  }),
  overview('atm_straddle', 'atmStraddle', 'price', (s) => s.chain.summary.atmStraddle, {
    nullable: true,
    influx: true,
  }),
  overview('expected_move', 'expectedMove', 'price', (s) => s.chain.summary.expectedMove, {
    nullable: true,
    influx: true,
  }),
  overview('support_strike', 'supportStrike', 'positive', (s) => s.chain.summary.supportStrike, {
    nullable: true,
    influx: 'support',
  }),
  overview('resistance_strike', 'resistanceStrike', 'positive', (s) => s.chain.summary.resistanceStrike, {
    nullable: true,
    influx: 'resistance',
  }),
  overview('risk_reversal_25d', 'riskReversal25Delta', 'number', (s) => s.chain.summary.riskReversal25Delta, {
    nullable: true,
    influx: true,
  }),
  overview('butterfly_25d', 'butterfly25Delta', 'number', (s) => s.chain.summary.butterfly25Delta, {
    nullable: true,
    influx: true,
  }),
  overview('gamma_exposure', 'gammaExposure', 'number', (s) => s.chain.summary.totalGammaExposure, {
    influx: true,
  }),
  overview('gamma_flip_level', 'gammaFlipLevel', 'positive', (s) => s.chain.summary.gammaFlipLevel, {
    nullable: true,
    influx: 'gamma_flip',
  }),
  overview('sentiment_score', 'sentimentScore', 'number', (s) => s.chain.summary.sentimentScore, { influx: true }),
  overview('data_quality_score', 'dataQualityScore', 'unit', (s) => s.chain.summary.dataQuality.score, {
    influx: true,
  }),
  overview('model', 'model', 'text', (s) => s.chain.methodology.model, { enumName: 'PricingModel' }),
  overview('forward_source', 'forwardSource', 'text', (s) => s.chain.methodology.forwardSourceUsed, {
    enumName: 'ForwardSource',
  }),
  overview('time_basis', 'timeBasis', 'text', (s) => s.chain.methodology.timeBasis, { enumName: 'TimeBasis' }),
  overview('futures_price', 'futuresPrice', 'positive', (s) => s.chain.futuresPrice, {
    nullable: true,
    influx: true,
  }),
  overview('expiry_tags', 'expiryTags', 'tags', (s) => formatExpiryTags(s.chain.expiryTags), {
    nullable: true,
    missing: 'zero',
    influx: { tag: 'expiry_tag', value: (s) => s.chain.expiryTags[0] ?? null },
  }),
  overview('spot_open', 'spotOpen', 'positive', (s) => s.chain.day?.open ?? null, { nullable: true, influx: true }),
  overview('spot_high', 'spotHigh', 'positive', (s) => s.chain.day?.high ?? null, { nullable: true, influx: true }),
  overview('spot_low', 'spotLow', 'positive', (s) => s.chain.day?.low ?? null, { nullable: true, influx: true }),
  overview('previous_close', 'previousClose', 'positive', (s) => s.chain.day?.previousClose ?? null, {
    nullable: true,
    influx: true,
  }),
  overview('net_change', 'netChange', 'number', (s) => s.chain.day?.netChange ?? null, {
    nullable: true,
    description: 'spot − previousClose, index points.',
    influx: true,
  }),
  overview('net_change_percent', 'netChangePercent', 'number', (s) => s.chain.day?.netChangePercent ?? null, {
    nullable: true,
    influx: true,
  }),
  overview('change_from_open', 'changeFromOpen', 'number', (s) => s.chain.day?.changeFromOpen ?? null, {
    nullable: true,
    description: 'spot − spotOpen, index points.',
    influx: true,
  }),
] as const;

type ValueOf<Kind extends FieldKind> = Kind extends 'instant'
  ? Date
  : Kind extends 'tags'
    ? readonly ExpiryTag[]
    : Kind extends 'index'
      ? IndexSymbol
      : Kind extends 'right'
        ? 'CE' | 'PE'
        : Kind extends 'date' | 'text'
          ? string
          : number;

/** The record a table's rows read back as: one property per field, null where `missing` says so. */
export type StoredRecord<Fields extends readonly StoredField<never>[]> = {
  readonly [F in Fields[number] as F['key']]: F['missing'] extends 'null'
    ? ValueOf<F['kind']> | null
    : ValueOf<F['kind']>;
};

export type ContractRecord = StoredRecord<typeof OPTIONS_FIELDS>;
export type OverviewRecord = StoredRecord<typeof OVERVIEW_FIELDS>;
