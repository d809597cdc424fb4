import { describe, expect, it } from 'vitest';
import {
  OPTIONS_CSV_COLUMNS,
  OVERVIEW_CSV_COLUMNS,
  toCsvField,
  toOptionsCsv,
  toOverviewCsv,
} from '../../../src/sinks/csv-rows.ts';
import { simulatedSnapshots } from '../../helpers/simulated-snapshots.ts';

describe('csv rows', () => {
  it('quotes only fields that need it (RFC 4180) and leaves nulls empty', () => {
    expect(toCsvField(null)).toBe('');
    expect(toCsvField(1.5)).toBe('1.5');
    expect(toCsvField(Number.NaN)).toBe('');
    expect(toCsvField('a,b')).toBe('"a,b"');
    expect(toCsvField('say "hi"')).toBe('"say ""hi"""');
  });

  it('writes one options row per contract and one overview row per expiry, with full-precision values', () => {
    const [snapshot] = simulatedSnapshots('FINNIFTY', 1);
    const options = toOptionsCsv(snapshot!).trimEnd().split('\n');
    const contracts = snapshot!.chains.reduce((n, c) => n + c.summary.contractCount, 0);
    expect(options).toHaveLength(contracts);
    const first = options[0]!.split(',');
    expect(first).toHaveLength(OPTIONS_CSV_COLUMNS.length);
    const firstChain = snapshot!.chains[0]!;
    const firstCall = firstChain.strikes[0]!.call!;
    expect(first[OPTIONS_CSV_COLUMNS.indexOf('tradingsymbol')]).toBe(firstCall.quote.tradingsymbol);
    expect(Number(first[OPTIONS_CSV_COLUMNS.indexOf('iv')])).toBe(firstCall.analytics.iv);

    const overview = toOverviewCsv(snapshot!).trimEnd().split('\n');
    expect(overview).toHaveLength(snapshot!.chains.length);
    const cells = overview[0]!.split(',');
    expect(cells).toHaveLength(OVERVIEW_CSV_COLUMNS.length);
    expect(Number(cells[OVERVIEW_CSV_COLUMNS.indexOf('pcr_oi')])).toBe(firstChain.summary.pcrOi);
    expect(Number(cells[OVERVIEW_CSV_COLUMNS.indexOf('max_pain_strike')])).toBe(firstChain.summary.maxPainStrike);
  });
});
