import { describe, expect, it } from 'vitest';
import type { IndexSnapshot } from '../../../src/domain/snapshot.ts';
import { parseCsvLine, toCsvField, toCsvLine } from '../../../src/sinks/csv-format.ts';
import { OPTIONS_CSV_COLUMNS, OVERVIEW_CSV_COLUMNS, renderSnapshot } from '../../../src/sinks/csv-rows.ts';
import { simulatedSnapshots } from '../../helpers/simulated-snapshots.ts';

describe('csv rows', () => {
  it('quotes only fields that need it (RFC 4180), leaves nulls empty, and parses back', () => {
    expect(toCsvField(null)).toBe('');
    expect(toCsvField(1.5)).toBe('1.5');
    expect(toCsvField(Number.NaN)).toBe('');
    expect(toCsvField('a,b')).toBe('"a,b"');
    expect(toCsvField('say "hi"')).toBe('"say ""hi"""');
    const cells = ['plain', 'a,b', 'say "hi"', '', '"', ',', 'end'];
    expect(parseCsvLine(toCsvLine(cells).slice(0, -1))).toEqual(cells);
  });

  it('writes one options row per contract and one overview row per expiry, with full-precision values', () => {
    const [snapshot] = simulatedSnapshots('FINNIFTY', 1);
    const rendered = renderSnapshot(snapshot!);
    expect(rendered.rejected).toEqual([]);
    const options = rendered.options.trimEnd().split('\n');
    const contracts = snapshot!.chains.reduce((n, c) => n + c.summary.contractCount, 0);
    expect(options).toHaveLength(contracts);
    expect(rendered.optionsRows).toBe(contracts);
    const first = parseCsvLine(options[0]!);
    expect(first).toHaveLength(OPTIONS_CSV_COLUMNS.length);
    const firstChain = snapshot!.chains[0]!;
    const firstCall = firstChain.strikes[0]!.call!;
    expect(first[OPTIONS_CSV_COLUMNS.indexOf('tradingsymbol')]).toBe(firstCall.quote.tradingsymbol);
    expect(Number(first[OPTIONS_CSV_COLUMNS.indexOf('iv')])).toBe(firstCall.analytics.iv);

    const overview = rendered.overview.trimEnd().split('\n');
    expect(overview).toHaveLength(snapshot!.chains.length);
    const cells = parseCsvLine(overview[0]!);
    expect(cells).toHaveLength(OVERVIEW_CSV_COLUMNS.length);
    expect(Number(cells[OVERVIEW_CSV_COLUMNS.indexOf('pcr_oi')])).toBe(firstChain.summary.pcrOi);
    expect(Number(cells[OVERVIEW_CSV_COLUMNS.indexOf('max_pain_strike')])).toBe(firstChain.summary.maxPainStrike);
  });

  it('rejects rows that break their columns and drops an expiry whose overview row is rejected', () => {
    const [snapshot] = simulatedSnapshots('NIFTY', 1);
    const [first, second, ...rest] = snapshot!.chains;
    const badContract = first!.strikes[0]!.call!;
    const corrupted: IndexSnapshot = {
      ...snapshot!,
      chains: [
        {
          ...first!,
          strikes: [
            {
              ...first!.strikes[0]!,
              call: { ...badContract, quote: { ...badContract.quote, volume: -5 } },
            },
            ...first!.strikes.slice(1),
          ],
        },
        { ...second!, spot: Number.NaN },
        ...rest,
      ],
    };
    const rendered = renderSnapshot(corrupted);
    const optionsRejected = rendered.rejected.filter((r) => r.file === 'options');
    expect(rendered.rejected.filter((r) => r.file === 'overview')).toEqual([
      { file: 'overview', reason: 'spot is missing or not finite' },
    ]);
    expect(optionsRejected[0]).toEqual({ file: 'options', reason: 'volume is not a non-negative whole number' });
    expect(optionsRejected).toHaveLength(1 + second!.summary.contractCount);
    expect(rendered.overviewRows).toBe(snapshot!.chains.length - 1);
    expect(rendered.overview).not.toContain(`,${second!.expiry},`);
    expect(rendered.options).not.toContain(`,${second!.expiry},`);
  });
});
