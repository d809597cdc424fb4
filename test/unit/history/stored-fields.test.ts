import { describe, expect, it } from 'vitest';
import type { IndexSnapshot } from '../../../src/domain/snapshot.ts';
import { OPTIONS_FIELDS, OVERVIEW_FIELDS, type StoredField } from '../../../src/domain/stored-fields.ts';
import { readStoredRecord } from '../../../src/history/stored-record.ts';
import { parseCsvLine } from '../../../src/sinks/csv-format.ts';
import { OPTIONS_CSV_COLUMNS, OVERVIEW_CSV_COLUMNS, renderSnapshot } from '../../../src/sinks/csv-rows.ts';
import { snapshotToLineProtocol } from '../../../src/sinks/line-protocol.ts';
import { simulatedSnapshots } from '../../helpers/simulated-snapshots.ts';

/** What a written cell reads back as, by the field's kind (instants as Dates, tags as lists). */
function expectedRead(field: StoredField<never>, cell: string | number | null): unknown {
  if (cell === null || cell === '') {
    return field.missing === 'zero'
      ? field.kind === 'tags'
        ? []
        : field.kind === 'text' || field.kind === 'date'
          ? ''
          : 0
      : null;
  }
  if (field.kind === 'instant') {
    return new Date(cell as string);
  }
  if (field.kind === 'tags') {
    return (cell as string).split('|');
  }
  return cell;
}

const snapshot: IndexSnapshot = simulatedSnapshots('NIFTY', 3).at(-1)!;
const rendered = renderSnapshot(snapshot);

describe('the stored field table', () => {
  it('every options field written to CSV reads back as the value it was written from', () => {
    const lines = rendered.options.trimEnd().split('\n');
    let i = 0;
    for (const chain of snapshot.chains) {
      for (const row of chain.strikes) {
        for (const [right, contract] of [['CE', row.call] as const, ['PE', row.put] as const]) {
          if (contract === null) {
            continue;
          }
          const cells = parseCsvLine(lines[i++]!);
          const record = readStoredRecord(OPTIONS_FIELDS, (name) => cells[OPTIONS_CSV_COLUMNS.indexOf(name)]);
          expect(record).not.toBeNull();
          const source = { timestamp: snapshot.observedAt.toISOString(), chain, row, right, contract };
          for (const field of OPTIONS_FIELDS) {
            expect([field.column, (record as Record<string, unknown>)[field.key]]).toEqual([
              field.column,
              expectedRead(field, field.value(source)),
            ]);
          }
        }
      }
    }
    expect(i).toBe(lines.length);
  });

  it('every overview field reads back, including the new vocabulary (tags, index day)', () => {
    const lines = rendered.overview.trimEnd().split('\n');
    snapshot.chains.forEach((chain, i) => {
      const cells = parseCsvLine(lines[i]!);
      const record = readStoredRecord(OVERVIEW_FIELDS, (name) => cells[OVERVIEW_CSV_COLUMNS.indexOf(name)])!;
      const source = { timestamp: snapshot.observedAt.toISOString(), seq: snapshot.seq, chain };
      for (const field of OVERVIEW_FIELDS) {
        expect([field.column, (record as Record<string, unknown>)[field.key]]).toEqual([
          field.column,
          expectedRead(field, field.value(source)),
        ]);
      }
      expect(record.expiryTags).toEqual(chain.expiryTags);
    });
    expect(snapshot.chains[0]!.expiryTags[0]).toBe('THIS_WEEK');
    expect(snapshot.chains[1]!.expiryTags).toContain('NEXT_WEEK');
  });

  it('a file from an older build (fewer columns) reads: required fields must be there, the rest default', () => {
    const header = ['timestamp', 'index', 'expiry', 'strike', 'option_type', 'spot', 'volume'];
    const cells = ['2026-08-18T05:00:00.000Z', 'NIFTY', '2026-08-25', '24350', 'CE', '24361.5', '12'];
    const get = (name: string) => cells[header.indexOf(name)];
    const record = readStoredRecord(OPTIONS_FIELDS, get)!;
    expect(record.strike).toBe(24350);
    expect(record.volume).toBe(12);
    expect(record.oi).toBe(0);
    expect(record.averagePrice).toBeNull();
    expect(record.expiryTags).toEqual([]);
    expect(readStoredRecord(OPTIONS_FIELDS, (name) => (name === 'strike' ? undefined : get(name)))).toBeNull();
    expect(readStoredRecord(OPTIONS_FIELDS, (name) => (name === 'option_type' ? 'XX' : get(name)))).toBeNull();
  });

  it('Influx gets the declared fields under G6.1 names, counts as integers, the first expiry tag as a tag', () => {
    const lines = snapshotToLineProtocol(snapshot);
    const chain = snapshot.chains[0]!;
    const atm = chain.strikes.find((s) => s.offset === 0)!;
    const optionLine = lines.find(
      (l) => l.startsWith('options,') && l.includes(`expiry=${chain.expiry},`) && l.includes(`strike=${atm.strike} `),
    )!;
    expect(optionLine).toMatch(/^options,expiry=\S+,expiry_tag=THIS_WEEK,index=NIFTY,option_type=CE,strike=\d+ /);
    expect(optionLine).toContain(`theta=${atm.call!.analytics.thetaPerDay}`);
    expect(optionLine).toContain(`oi=${atm.call!.quote.oi}i`);
    expect(optionLine).toContain(',offset=0i');
    // The simulated ATM call has traded by the third snapshot: its VWAP is a field of the point.
    expect(atm.call!.quote.averagePrice).not.toBeNull();
    expect(optionLine).toContain(`average_price=${atm.call!.quote.averagePrice}`);
    const overviewLine = lines.find((l) => l.startsWith('market_overview,'))!;
    expect(overviewLine).toContain(`max_pain=${chain.summary.maxPainStrike}`);
    expect(overviewLine).toContain(`contracts=${chain.summary.contractCount}i`);
    expect(overviewLine).not.toContain('tradingsymbol');
  });

  it('offsets count listed strikes from ATM', () => {
    for (const chain of snapshot.chains) {
      const at = chain.strikes.findIndex((s) => s.strike === chain.summary.atmStrike);
      expect(chain.strikes.map((row) => row.offset)).toEqual(chain.strikes.map((_row, i) => i - at));
    }
  });
});
