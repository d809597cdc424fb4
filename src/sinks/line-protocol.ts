import { contractsOf, type IndexSnapshot } from '../domain/snapshot.ts';

/**
 * InfluxDB line protocol for a snapshot, in the G6.1 layout so its Grafana queries keep working:
 * `options` (tags index, expiry, strike, option_type) and `market_overview` (tags index, expiry).
 * Timestamps are the snapshot's own time in milliseconds, never the write time, so resending a
 * snapshot overwrites the same points instead of adding new ones.
 */

type FieldValue = number | null;

const escapeKey = (text: string) => text.replace(/[,= \\]/g, (c) => `\\${c}`);
const escapeMeasurement = (text: string) => text.replace(/[, \\]/g, (c) => `\\${c}`);

/** Floats as Influx reads them (`1.5`, `2e-7`); counts as integers (`12i`) so a field's type never changes. */
function fieldsText(
  floats: ReadonlyArray<readonly [string, FieldValue]>,
  integers: ReadonlyArray<readonly [string, FieldValue]>,
): string {
  const parts: string[] = [];
  for (const [key, value] of floats) {
    if (value !== null && Number.isFinite(value)) {
      parts.push(`${escapeKey(key)}=${value}`);
    }
  }
  for (const [key, value] of integers) {
    if (value !== null && Number.isSafeInteger(value)) {
      parts.push(`${escapeKey(key)}=${value}i`);
    }
  }
  return parts.join(',');
}

function line(
  measurement: string,
  tags: ReadonlyArray<readonly [string, string]>,
  fields: string,
  timestampMs: number,
): string {
  const tagText = tags.map(([k, v]) => `,${escapeKey(k)}=${escapeKey(v)}`).join('');
  return `${escapeMeasurement(measurement)}${tagText} ${fields} ${timestampMs}`;
}

/** Every point of the snapshot, one line each; lines without a single finite field are left out. */
export function snapshotToLineProtocol(snapshot: IndexSnapshot): string[] {
  const timestampMs = snapshot.observedAt.getTime();
  const lines: string[] = [];
  for (const chain of snapshot.chains) {
    const s = chain.summary;
    const overviewFields = fieldsText(
      [
        ['pcr_oi', s.pcrOi],
        ['pcr_volume', s.pcrVolume],
        ['pcr_premium', s.pcrPremium],
        ['pcr_oi_change', s.pcrOiChange],
        ['max_pain', s.maxPainStrike],
        ['atm_iv', s.atmIv],
        ['atm_strike', s.atmStrike],
        ['atm_straddle', s.atmStraddle],
        ['expected_move', s.expectedMove],
        ['spot', chain.spot],
        ['forward', chain.methodology.forward],
        ['futures_price', chain.futuresPrice],
        ['support', s.supportStrike],
        ['resistance', s.resistanceStrike],
        ['risk_reversal_25d', s.riskReversal25Delta],
        ['butterfly_25d', s.butterfly25Delta],
        ['gamma_exposure', s.totalGammaExposure],
        ['gamma_flip', s.gammaFlipLevel],
        ['sentiment_score', s.sentimentScore],
        ['data_quality_score', s.dataQuality.score],
        ['time_to_expiry_years', chain.timeToExpiryYears],
      ],
      [
        ['total_call_oi', s.totalCallOi],
        ['total_put_oi', s.totalPutOi],
        ['total_call_volume', s.totalCallVolume],
        ['total_put_volume', s.totalPutVolume],
        ['contracts', s.contractCount],
        ['iv_solved', s.ivSolvedCount],
      ],
    );
    if (overviewFields.length > 0) {
      lines.push(
        line(
          'market_overview',
          [
            ['expiry', chain.expiry],
            ['index', chain.index],
          ],
          overviewFields,
          timestampMs,
        ),
      );
    }
    for (const { strike, right, contract } of contractsOf(chain)) {
      const { quote, analytics } = contract;
      const fields = fieldsText(
        [
          ['last_price', quote.lastPrice],
          ['bid', quote.bid],
          ['ask', quote.ask],
          ['iv', analytics.iv],
          ['delta', analytics.delta],
          ['gamma', analytics.gamma],
          ['theta', analytics.thetaPerDay],
          ['vega', analytics.vegaPerVolPoint],
          ['rho', analytics.rhoPerRatePoint],
        ],
        [
          ['volume', quote.volume],
          ['oi', quote.oi],
        ],
      );
      if (fields.length > 0) {
        // Tags in key order: Influx sorts them anyway, and sorted input is its fast path.
        lines.push(
          line(
            'options',
            [
              ['expiry', chain.expiry],
              ['index', chain.index],
              ['option_type', right],
              ['strike', String(strike)],
            ],
            fields,
            timestampMs,
          ),
        );
      }
    }
  }
  return lines;
}
