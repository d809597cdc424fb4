import { INDEX_SYMBOLS } from '../domain/indices.ts';
import { type AnalyzedContract, type ChainSnapshot, contractsOf, type IndexSnapshot } from '../domain/snapshot.ts';
import { type CsvCell, toCsvLine } from './csv-format.ts';

/**
 * What a column may hold. Rows are checked against these before they are written, so a NaN spot or a
 * negative volume is rejected and counted instead of landing in the store as an empty or absurd cell.
 */
export type CsvColumnKind =
  | 'instant'
  | 'date'
  | 'index'
  | 'right'
  | 'text'
  | 'positive'
  | 'price'
  | 'count'
  | 'number'
  | 'iv'
  | 'delta'
  | 'unit';

export interface CsvColumn {
  readonly name: string;
  readonly kind: CsvColumnKind;
  readonly nullable: boolean;
}

const col = (name: string, kind: CsvColumnKind, nullable = false): CsvColumn => ({ name, kind, nullable });

/** `options.csv`: one row per contract per snapshot. New columns are only ever appended. */
export const OPTIONS_COLUMNS: readonly CsvColumn[] = [
  col('timestamp', 'instant'),
  col('index', 'index'),
  col('expiry', 'date'),
  col('strike', 'positive'),
  col('option_type', 'right'),
  col('tradingsymbol', 'text'),
  col('spot', 'positive'),
  col('time_to_expiry_years', 'positive'),
  col('last_price', 'price', true),
  col('bid', 'price', true),
  col('ask', 'price', true),
  col('bid_qty', 'count'),
  col('ask_qty', 'count'),
  col('volume', 'count'),
  col('oi', 'count'),
  col('iv', 'iv', true),
  col('iv_status', 'text'),
  col('price_used', 'price', true),
  col('price_source', 'text', true),
  col('delta', 'delta', true),
  col('gamma', 'number', true),
  col('theta_per_day', 'number', true),
  col('vega_per_vol_point', 'number', true),
  col('rho_per_rate_point', 'number', true),
  col('vanna', 'number', true),
  col('volga', 'number', true),
  col('charm', 'number', true),
  col('oi_change', 'number', true),
  col('build_up', 'text', true),
  col('instrument_token', 'count', true),
  col('last_trade_time', 'instant', true),
];

/** `overview.csv`: one row per expiry per snapshot; the row set of a snapshot is its commit record. */
export const OVERVIEW_COLUMNS: readonly CsvColumn[] = [
  col('timestamp', 'instant'),
  col('seq', 'count'),
  col('index', 'index'),
  col('expiry', 'date'),
  col('expiry_kind', 'text'),
  col('spot', 'positive'),
  col('forward', 'positive'),
  col('time_to_expiry_years', 'positive'),
  col('atm_strike', 'positive'),
  col('atm_iv', 'iv', true),
  col('pcr_oi', 'number', true),
  col('pcr_volume', 'number', true),
  col('max_pain_strike', 'positive', true),
  col('total_call_oi', 'count'),
  col('total_put_oi', 'count'),
  col('total_call_volume', 'count'),
  col('total_put_volume', 'count'),
  col('iv_solved', 'count'),
  col('contracts', 'count'),
  col('rate', 'number'),
  col('dividend_yield', 'number'),
  col('pcr_premium', 'number', true),
  col('pcr_oi_change', 'number', true),
  col('atm_straddle', 'price', true),
  col('expected_move', 'price', true),
  col('support_strike', 'positive', true),
  col('resistance_strike', 'positive', true),
  col('risk_reversal_25d', 'number', true),
  col('butterfly_25d', 'number', true),
  col('gamma_exposure', 'number'),
  col('gamma_flip_level', 'positive', true),
  col('sentiment_score', 'number'),
  col('data_quality_score', 'unit'),
  col('model', 'text'),
  col('forward_source', 'text'),
  col('time_basis', 'text'),
  col('futures_price', 'positive', true),
];

export const OPTIONS_CSV_COLUMNS = OPTIONS_COLUMNS.map((c) => c.name);
export const OVERVIEW_CSV_COLUMNS = OVERVIEW_COLUMNS.map((c) => c.name);
export const OPTIONS_HEADER = toCsvLine(OPTIONS_CSV_COLUMNS);
export const OVERVIEW_HEADER = toCsvLine(OVERVIEW_CSV_COLUMNS);

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const INDEX_SET: ReadonlySet<string> = new Set(INDEX_SYMBOLS);

function cellProblem(column: CsvColumn, value: CsvCell): string | null {
  if (value === null || (typeof value === 'number' && !Number.isFinite(value))) {
    return column.nullable ? null : `${column.name} is missing or not finite`;
  }
  switch (column.kind) {
    case 'instant':
      return typeof value === 'string' && ISO_INSTANT.test(value) ? null : `${column.name} is not an ISO instant`;
    case 'date':
      return typeof value === 'string' && ISO_DATE.test(value) ? null : `${column.name} is not a date`;
    case 'index':
      return typeof value === 'string' && INDEX_SET.has(value) ? null : `${column.name} is not a known index`;
    case 'right':
      return value === 'CE' || value === 'PE' ? null : `${column.name} is not CE or PE`;
    case 'text':
      return typeof value === 'string' && !/[\r\n]/.test(value) && value.length > 0
        ? null
        : `${column.name} is empty or holds a line break`;
    case 'positive':
      return typeof value === 'number' && value > 0 ? null : `${column.name} is not positive`;
    case 'price':
      return typeof value === 'number' && value >= 0 ? null : `${column.name} is negative`;
    case 'count':
      return typeof value === 'number' && Number.isInteger(value) && value >= 0
        ? null
        : `${column.name} is not a non-negative whole number`;
    case 'number':
      return typeof value === 'number' ? null : `${column.name} is not a number`;
    case 'iv':
      return typeof value === 'number' && value > 0 && value <= 10 ? null : `${column.name} is outside (0, 10]`;
    case 'delta':
      return typeof value === 'number' && Math.abs(value) <= 1 ? null : `${column.name} is outside [-1, 1]`;
    case 'unit':
      return typeof value === 'number' && value >= 0 && value <= 1 ? null : `${column.name} is outside [0, 1]`;
  }
}

/** The first reason the row does not fit the columns, or null when it does. */
export function rowProblem(columns: readonly CsvColumn[], cells: readonly CsvCell[]): string | null {
  if (cells.length !== columns.length) {
    return `expected ${columns.length} cells, got ${cells.length}`;
  }
  for (let i = 0; i < columns.length; i++) {
    const problem = cellProblem(columns[i]!, cells[i]!);
    if (problem !== null) {
      return problem;
    }
  }
  return null;
}

function contractCells(
  timestamp: string,
  chain: ChainSnapshot,
  strike: number,
  optionType: 'CE' | 'PE',
  contract: AnalyzedContract,
): CsvCell[] {
  const { quote, analytics } = contract;
  return [
    timestamp,
    chain.index,
    chain.expiry,
    strike,
    optionType,
    quote.tradingsymbol,
    chain.spot,
    chain.timeToExpiryYears,
    quote.lastPrice,
    quote.bid,
    quote.ask,
    quote.bidQuantity,
    quote.askQuantity,
    quote.volume,
    quote.oi,
    analytics.iv,
    analytics.ivStatus,
    analytics.priceUsed,
    analytics.priceSource,
    analytics.delta,
    analytics.gamma,
    analytics.thetaPerDay,
    analytics.vegaPerVolPoint,
    analytics.rhoPerRatePoint,
    analytics.vanna,
    analytics.volga,
    analytics.charm,
    analytics.oiChange,
    analytics.buildUp,
    quote.instrumentToken,
    quote.lastTradeTime?.toISOString() ?? null,
  ];
}

function overviewCells(timestamp: string, seq: number, chain: ChainSnapshot): CsvCell[] {
  const s = chain.summary;
  return [
    timestamp,
    seq,
    chain.index,
    chain.expiry,
    chain.expiryKind,
    chain.spot,
    chain.methodology.forward,
    chain.timeToExpiryYears,
    s.atmStrike,
    s.atmIv,
    s.pcrOi,
    s.pcrVolume,
    s.maxPainStrike,
    s.totalCallOi,
    s.totalPutOi,
    s.totalCallVolume,
    s.totalPutVolume,
    s.ivSolvedCount,
    s.contractCount,
    chain.methodology.rate,
    chain.methodology.dividendYield,
    s.pcrPremium,
    s.pcrOiChange,
    s.atmStraddle,
    s.expectedMove,
    s.supportStrike,
    s.resistanceStrike,
    s.riskReversal25Delta,
    s.butterfly25Delta,
    s.totalGammaExposure,
    s.gammaFlipLevel,
    s.sentimentScore,
    s.dataQuality.score,
    chain.methodology.model,
    chain.methodology.forwardSourceUsed,
    chain.methodology.timeBasis,
    chain.futuresPrice,
  ];
}

export interface RejectedRow {
  readonly file: 'options' | 'overview';
  readonly reason: string;
}

/** A snapshot rendered for the CSV store: the text of each file plus what was left out and why. */
export interface RenderedSnapshot {
  readonly timestamp: string;
  readonly options: string;
  readonly overview: string;
  readonly optionsRows: number;
  readonly overviewRows: number;
  readonly rejected: readonly RejectedRow[];
}

/**
 * Renders a snapshot's rows, checking each against its columns. An expiry whose overview row is
 * rejected loses its contract rows too: the overview rows are the snapshot's commit record, and
 * contract rows without one would be taken for a torn write at the next start.
 */
export function renderSnapshot(snapshot: IndexSnapshot): RenderedSnapshot {
  const timestamp = snapshot.observedAt.toISOString();
  const rejected: RejectedRow[] = [];
  let options = '';
  let overview = '';
  let optionsRows = 0;
  let overviewRows = 0;
  for (const chain of snapshot.chains) {
    const header = overviewCells(timestamp, snapshot.seq, chain);
    const headerProblem = rowProblem(OVERVIEW_COLUMNS, header);
    if (headerProblem !== null) {
      rejected.push({ file: 'overview', reason: headerProblem });
      for (let i = 0; i < chain.summary.contractCount; i++) {
        rejected.push({ file: 'options', reason: 'its expiry overview row was rejected' });
      }
      continue;
    }
    for (const { strike, right, contract } of contractsOf(chain)) {
      const cells = contractCells(timestamp, chain, strike, right, contract);
      const problem = rowProblem(OPTIONS_COLUMNS, cells);
      if (problem === null) {
        options += toCsvLine(cells);
        optionsRows += 1;
      } else {
        rejected.push({ file: 'options', reason: problem });
      }
    }
    overview += toCsvLine(header);
    overviewRows += 1;
  }
  return { timestamp, options, overview, optionsRows, overviewRows, rejected };
}
