import type { AnalyzedContract, ChainSnapshot, IndexSnapshot } from '../domain/snapshot.ts';

export const OPTIONS_CSV_COLUMNS = [
  'timestamp',
  'index',
  'expiry',
  'strike',
  'option_type',
  'tradingsymbol',
  'spot',
  'time_to_expiry_years',
  'last_price',
  'bid',
  'ask',
  'bid_qty',
  'ask_qty',
  'volume',
  'oi',
  'iv',
  'iv_status',
  'price_used',
  'price_source',
  'delta',
  'gamma',
  'theta_per_day',
  'vega_per_vol_point',
  'rho_per_rate_point',
  'vanna',
  'volga',
  'charm',
  'oi_change',
  'build_up',
] as const;

export const OVERVIEW_CSV_COLUMNS = [
  'timestamp',
  'seq',
  'index',
  'expiry',
  'expiry_kind',
  'spot',
  'forward',
  'time_to_expiry_years',
  'atm_strike',
  'atm_iv',
  'pcr_oi',
  'pcr_volume',
  'max_pain_strike',
  'total_call_oi',
  'total_put_oi',
  'total_call_volume',
  'total_put_volume',
  'iv_solved',
  'contracts',
  'rate',
  'dividend_yield',
  'pcr_premium',
  'pcr_oi_change',
  'atm_straddle',
  'expected_move',
  'support_strike',
  'resistance_strike',
  'risk_reversal_25d',
  'butterfly_25d',
  'gamma_exposure',
  'gamma_flip_level',
  'sentiment_score',
  'data_quality_score',
  'model',
  'forward_source',
  'time_basis',
] as const;

type Cell = string | number | null;

/** RFC 4180 field: empty for null, quoted only when it holds a comma, quote or line break. */
export function toCsvField(value: Cell): string {
  if (value === null) {
    return '';
  }
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsvLine(cells: readonly Cell[]): string {
  return `${cells.map(toCsvField).join(',')}\n`;
}

function contractCells(
  timestamp: string,
  chain: ChainSnapshot,
  strike: number,
  optionType: 'CE' | 'PE',
  contract: AnalyzedContract,
): Cell[] {
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
  ];
}

/** One `options.csv` line per contract of every expiry in the snapshot. */
export function toOptionsCsv(snapshot: IndexSnapshot): string {
  const timestamp = snapshot.observedAt.toISOString();
  let out = '';
  for (const chain of snapshot.chains) {
    for (const row of chain.strikes) {
      if (row.call !== null) {
        out += toCsvLine(contractCells(timestamp, chain, row.strike, 'CE', row.call));
      }
      if (row.put !== null) {
        out += toCsvLine(contractCells(timestamp, chain, row.strike, 'PE', row.put));
      }
    }
  }
  return out;
}

/** One `overview.csv` line per expiry in the snapshot. */
export function toOverviewCsv(snapshot: IndexSnapshot): string {
  const timestamp = snapshot.observedAt.toISOString();
  return snapshot.chains
    .map((chain) => {
      const s = chain.summary;
      return toCsvLine([
        timestamp,
        snapshot.seq,
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
      ]);
    })
    .join('');
}
