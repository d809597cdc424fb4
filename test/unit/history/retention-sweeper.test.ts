import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createRetentionSweeper } from '../../../src/history/retention-sweeper.ts';
import { createLogger } from '../../../src/logger.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
});

function storeWith(days: readonly string[]) {
  const dataDir = mkdtempSync(join(tmpdir(), 'g6-retention-'));
  dirs.push(dataDir);
  for (const index of ['NIFTY', 'SENSEX']) {
    for (const day of days) {
      mkdirSync(join(dataDir, 'csv', index, day), { recursive: true });
      writeFileSync(join(dataDir, 'csv', index, day, 'options.csv'), `${index} ${day}\n`);
    }
  }
  return dataDir;
}

const logger = createLogger({ logLevel: 'silent' as never, logFormat: 'json' });
// 02:00 IST on 3 Dec 2026 is still 2 Dec in UTC: the limit counts IST days.
const now = () => new Date('2026-12-02T20:30:00Z');

describe('retention sweeper', () => {
  it('deletes days older than the limit, counting today in IST, and counts them', async () => {
    const dataDir = storeWith(['20261130', '20261201', '20261202', '20261203']);
    const registry = new Registry();
    const sweeper = createRetentionSweeper({
      dataDir,
      indices: ['NIFTY', 'SENSEX'],
      settings: { days: 2, action: 'DELETE', archiveDir: join(dataDir, 'archive') },
      now,
      logger,
      registry,
    });
    const swept = await sweeper.sweep();
    expect(swept.map((s) => `${s.index}/${s.day}`)).toEqual([
      'NIFTY/20261130',
      'NIFTY/20261201',
      'SENSEX/20261130',
      'SENSEX/20261201',
    ]);
    expect(existsSync(join(dataDir, 'csv', 'NIFTY', '20261201'))).toBe(false);
    expect(existsSync(join(dataDir, 'csv', 'NIFTY', '20261202'))).toBe(true);
    expect(existsSync(join(dataDir, 'csv', 'NIFTY', '20261203'))).toBe(true);
    const metrics = await registry.getSingleMetricAsString('g6_retention_days_removed_total');
    expect(metrics).toContain('g6_retention_days_removed_total{index="NIFTY",action="delete"} 2');
    expect(await sweeper.sweep()).toEqual([]);
  });

  it('archives whole days without overwriting one already archived, and never touches today', async () => {
    const dataDir = storeWith(['20261125', '20261203']);
    const archiveDir = join(dataDir, 'archive');
    const sweeper = createRetentionSweeper({
      dataDir,
      indices: ['NIFTY'],
      settings: { days: 1, action: 'ARCHIVE', archiveDir },
      now,
      logger,
      registry: null,
    });
    expect((await sweeper.sweep()).map((s) => s.day)).toEqual(['20261125']);
    expect(readFileSync(join(archiveDir, 'NIFTY', '20261125', 'options.csv'), 'utf8')).toBe('NIFTY 20261125\n');
    expect(existsSync(join(dataDir, 'csv', 'NIFTY', '20261203'))).toBe(true);
    mkdirSync(join(dataDir, 'csv', 'NIFTY', '20261125'));
    await expect(sweeper.sweep()).rejects.toThrow(/already exists/);
    expect(existsSync(join(dataDir, 'csv', 'NIFTY', '20261125'))).toBe(true);
  });
});
