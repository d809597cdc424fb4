import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCsvSink } from '../../../src/sinks/csv-sink.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('CSV day compression at start', () => {
  it('gzips the closed days a previous run left, but never a day compacted to Parquet', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'g6-compress-'));
    dirs.push(dataDir);
    const plain = join(dataDir, 'csv', 'NIFTY', '20261130');
    const compacted = join(dataDir, 'csv', 'NIFTY', '20261201');
    for (const dir of [plain, compacted]) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'overview.csv'), 'timestamp,seq\n');
    }
    // A late snapshot's CSV file beside a compacted day's Parquet files: compressing it would make a new
    // file the manifest does not know.
    writeFileSync(join(compacted, 'compacted.json'), '{}');
    const sink = createCsvSink({ dataDir, compress: true, now: () => new Date('2026-12-02T05:00:00Z') });
    await sink.start?.();
    await sink.close();
    expect(readdirSync(plain)).toEqual(['overview.csv.gz']);
    expect(readdirSync(compacted).sort()).toEqual(['compacted.json', 'overview.csv']);
  });
});
