import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCsvSink } from '../../src/sinks/csv-sink.ts';
import { simulatedSnapshots } from '../helpers/simulated-snapshots.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('CSV sink', () => {
  it('writes the header once across restarts and rotates by IST date', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'g6-csv-'));
    dirs.push(dataDir);
    const [a, b] = simulatedSnapshots('BANKNIFTY', 2);
    let sink = createCsvSink({ dataDir });
    await sink.write(a!);
    await sink.close();
    sink = createCsvSink({ dataDir });
    await sink.write(b!);
    // 18:45 UTC is 00:15 IST the next day: a new folder.
    const nextDay = { ...b!, seq: 3, observedAt: new Date('2026-08-18T18:45:00Z') };
    await sink.write(nextDay);
    await sink.close();

    const day1 = readFileSync(join(dataDir, 'csv', 'BANKNIFTY', '20260818', 'overview.csv'), 'utf8')
      .trimEnd()
      .split('\n');
    expect(day1.filter((l) => l.startsWith('timestamp,'))).toHaveLength(1);
    expect(day1).toHaveLength(1 + a!.chains.length + b!.chains.length);
    const options = readFileSync(join(dataDir, 'csv', 'BANKNIFTY', '20260818', 'options.csv'), 'utf8')
      .trimEnd()
      .split('\n');
    const contracts = (s: typeof a) => s!.chains.reduce((n, c) => n + c.summary.contractCount, 0);
    expect(options).toHaveLength(1 + contracts(a) + contracts(b));
    const day2 = readFileSync(join(dataDir, 'csv', 'BANKNIFTY', '20260819', 'overview.csv'), 'utf8')
      .trimEnd()
      .split('\n');
    expect(day2[0]!.startsWith('timestamp,seq,index')).toBe(true);
    expect(day2[1]!.startsWith('2026-08-18T18:45:00.000Z,3,BANKNIFTY,')).toBe(true);
  });

  it('rejects the write when the directory cannot be created, and keeps working for other indices', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'g6-csv-'));
    dirs.push(dataDir);
    const { writeFileSync } = await import('node:fs');
    // A file where the NIFTY folder should be makes mkdir fail with ENOTDIR/EEXIST.
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dataDir, 'csv'), { recursive: true });
    writeFileSync(join(dataDir, 'csv', 'NIFTY'), 'not a directory');
    const sink = createCsvSink({ dataDir });
    await expect(sink.write(simulatedSnapshots('NIFTY', 1)[0]!)).rejects.toThrow();
    await sink.write(simulatedSnapshots('SENSEX', 1)[0]!);
    await sink.close();
    expect(readFileSync(join(dataDir, 'csv', 'SENSEX', '20260818', 'overview.csv'), 'utf8')).toContain('SENSEX');
  });
});
