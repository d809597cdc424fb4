import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLineSpool } from '../../../src/sinks/line-spool.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'g6-line-spool-'));
  dirs.push(dir);
  return dir;
}

const record = (n: number) => [`m,k=${n} v=${n} ${1000 + n}`, `m,k=${n} w=${n * 2} ${1000 + n}`];

async function drainAll(spool: ReturnType<typeof createLineSpool>, maxLines = 1000): Promise<string[]> {
  const lines: string[] = [];
  for (let batch = await spool.read(maxLines); batch !== null; batch = await spool.read(maxLines)) {
    lines.push(...batch.lines);
    await spool.ack(batch);
  }
  return lines;
}

describe('line spool', () => {
  it('delivers records in order, resumes from the acknowledged position after a restart, and drops finished segments', async () => {
    const dir = tempDir();
    let spool = createLineSpool({ dir, maxBytes: 1 << 20, segmentBytes: 200 });
    await spool.open();
    await Promise.all(Array.from({ length: 10 }, (_, i) => spool.append(record(i))));
    expect(spool.pendingRecords()).toBe(10);
    const first = await spool.read(6);
    expect(first!.lines).toEqual([...record(0), ...record(1), ...record(2)]);
    await spool.ack(first!);
    // Read but not acknowledged: comes again after a restart.
    await spool.read(4);
    await spool.close();

    spool = createLineSpool({ dir, maxBytes: 1 << 20, segmentBytes: 200 });
    const recovery = await spool.open();
    expect(recovery).toEqual({ pendingRecords: 7, pendingBytes: spool.pendingBytes(), tornBytes: 0 });
    expect(await drainAll(spool)).toEqual(Array.from({ length: 7 }, (_, i) => record(i + 3)).flat());
    expect(spool.pendingBytes()).toBe(0);
    expect(readdirSync(dir).filter((n) => n.endsWith('.lp'))).toHaveLength(1);
    await spool.close();
  });

  it('cuts a record torn by a crash and keeps the whole ones', async () => {
    const dir = tempDir();
    let spool = createLineSpool({ dir, maxBytes: 1 << 20 });
    await spool.open();
    await spool.append(record(1));
    await spool.append(record(2));
    await spool.close();
    const [segment] = readdirSync(dir).filter((n) => n.endsWith('.lp'));
    const whole = readFileSync(join(dir, segment!));
    appendFileSync(join(dir, segment!), '#g6 60 0badf00d\nm,k=3 v=3 10');

    spool = createLineSpool({ dir, maxBytes: 1 << 20 });
    const recovery = await spool.open();
    expect(recovery.tornBytes).toBe('#g6 60 0badf00d\nm,k=3 v=3 10'.length);
    expect(readFileSync(join(dir, segment!))).toEqual(whole);
    await spool.append(record(4));
    expect(await drainAll(spool)).toEqual([...record(1), ...record(2), ...record(4)]);
    await spool.close();
  });

  it('skips a record whose checksum fails inside a segment and reports its bytes', async () => {
    const dir = tempDir();
    const corrupt: number[] = [];
    let spool = createLineSpool({ dir, maxBytes: 1 << 20 });
    await spool.open();
    for (const n of [1, 2, 3]) {
      await spool.append(record(n));
    }
    await spool.close();
    const [segment] = readdirSync(dir).filter((n) => n.endsWith('.lp'));
    const text = readFileSync(join(dir, segment!), 'latin1');
    // Flip one payload byte of the second record (bit rot), keeping its length.
    const at = text.indexOf('m,k=2 v=2');
    writeFileSync(join(dir, segment!), `${text.slice(0, at)}m,k=2 v=9${text.slice(at + 9)}`, 'latin1');
    appendFileSync(join(dir, 'ignored.txt'), 'not a segment');

    spool = createLineSpool({ dir, maxBytes: 1 << 20, onCorrupt: (bytes) => corrupt.push(bytes) });
    await spool.open();
    expect(await drainAll(spool)).toEqual([...record(1), ...record(3)]);
    expect(corrupt).toHaveLength(1);
    await spool.close();
  });
});
