import { readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkCsvDay } from '../helpers/csv-check.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { mountTmpfs, type Tmpfs } from '../helpers/tmpfs.ts';

let app: TestApp | null = null;
let disk: Tmpfs | null = null;
afterEach(async () => {
  await app?.stop();
  app = null;
  disk?.unmount();
  disk = null;
});

describe('CSV store on a full disk', () => {
  it('keeps collecting, reports the sink down with an alert, and writes the held snapshots once space returns', async () => {
    disk = mountTmpfs(2 * 1024 * 1024);
    // Leave room for a few snapshots only.
    const free = () => {
      const s = statfsSync(disk!.dir);
      return s.bavail * s.bsize;
    };
    writeFileSync(join(disk.dir, 'filler'), Buffer.alloc(free() - 300 * 1024));
    app = await startTestApp({
      G6_DATA_DIR: disk.dir,
      G6_INDICES: 'NIFTY',
      G6_STRIKES_AROUND_ATM: '10',
      G6_COLLECTION_INTERVAL: '0.05',
    });
    const down = await app.waitForLog((l) => l.alert === 'csv_sink_down');
    expect(String((down.err as { message?: string }).message)).toMatch(/ENOSPC/);
    const downAt = app.logLines.length;
    // The loop goes on while the sink is down: more collections, each held for retry.
    await app.waitForLog(
      (l) =>
        l.msg === 'collected' && app!.logLines.slice(downAt).filter((t) => t.includes('"msg":"collected"')).length >= 5,
    );
    const ready = await fetch(`${app.httpUrl}/ready`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { ready: boolean; degraded: boolean; problems: string[] };
    expect(body.degraded).toBe(true);
    expect(body.problems.some((p) => /csv sink down since .*ENOSPC/.test(p))).toBe(true);
    const metrics = await (await fetch(`${app.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/g6_sink_up\{sink="csv"\} 0/);
    expect(Number(/g6_sink_backlog_snapshots\{sink="csv"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);
    const day = readdirSync(join(disk.dir, 'csv', 'NIFTY'))[0]!;

    rmSync(join(disk.dir, 'filler'));
    await app.waitForLog((l) => l.alert === 'csv_sink_recovered');
    const { logLines } = app;
    await app.stop();
    app = null;
    const collected = logLines
      .map((t) => JSON.parse(t) as Record<string, unknown>)
      .filter((l) => l.msg === 'collected')
      .map((l) => l.observedAt as string);
    // The day stayed open through the outage, so no start-up recovery ran: whole files here mean every
    // failed append was rolled back by the sink itself.
    const stored = checkCsvDay(disk.dir, 'NIFTY', day).snapshots;
    // Every snapshot collected, before, during and after the outage, is stored once and in order.
    expect(collected.filter((t) => !stored.includes(t))).toEqual([]);
    expect(stored).toEqual([...stored].sort());
    expect(logLines.filter((t) => t.includes('"alert":"csv_sink_down"'))).toHaveLength(1);
  });
});
