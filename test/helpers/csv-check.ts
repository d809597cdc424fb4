import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseCsvLine } from '../../src/sinks/csv-format.ts';
import { OPTIONS_HEADER, OVERVIEW_HEADER } from '../../src/sinks/csv-rows.ts';

export interface StoredDay {
  /** Distinct snapshot timestamps, in file order. */
  readonly snapshots: string[];
  readonly optionsRows: number;
}

/**
 * Reads one index's CSV day and asserts the store's promises: files end on a whole line, one header
 * each, no snapshot key twice, and every snapshot complete (contract rows exactly for the expiries its
 * overview rows name).
 */
export function checkCsvDay(dataDir: string, index: string, day: string): StoredDay {
  const dir = join(dataDir, 'csv', index, day);
  expect(existsSync(dir)).toBe(true);
  const files = readdirSync(dir);
  expect(files.filter((f) => f.endsWith('.torn') === false && !f.endsWith('.csv'))).toEqual([]);
  const read = (name: string, header: string) => {
    const text = readFileSync(join(dir, name), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.split('\n').slice(0, -1);
    expect(lines[0]).toBe(header.trimEnd());
    expect(lines.filter((l) => l === header.trimEnd())).toHaveLength(1);
    return lines.slice(1).map(parseCsvLine);
  };
  const overview = read('overview.csv', OVERVIEW_HEADER);
  const options = read('options.csv', OPTIONS_HEADER);
  const overviewKeys = overview.map((f) => `${f[0]} ${f[3]}`);
  expect(new Set(overviewKeys).size).toBe(overviewKeys.length);
  const optionKeys = options.map((f) => `${f[0]} ${f[2]} ${f[3]} ${f[4]}`);
  expect(new Set(optionKeys).size).toBe(optionKeys.length);
  const committed = new Set(overviewKeys);
  const optionExpiries = new Set(options.map((f) => `${f[0]} ${f[2]}`));
  // Every contract row belongs to a committed expiry, and every committed expiry with contracts has them.
  expect([...optionExpiries].filter((k) => !committed.has(k))).toEqual([]);
  const contractsPerExpiry = new Map(overview.map((f) => [`${f[0]} ${f[3]}`, Number(f[18])]));
  for (const [key, contracts] of contractsPerExpiry) {
    expect(options.filter((f) => `${f[0]} ${f[2]}` === key).length, key).toBe(contracts);
  }
  return {
    snapshots: [...new Set(overview.map((f) => f[0]!))],
    optionsRows: options.length,
  };
}
