import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { createCsvHistory } from '../../src/history/csv-history.ts';
import { parseCsvLine, toCsvLine } from '../../src/sinks/csv-format.ts';
import { OPTIONS_HEADER, OVERVIEW_HEADER, renderSnapshot } from '../../src/sinks/csv-rows.ts';
import { createCsvSink } from '../../src/sinks/csv-sink.ts';
import { simulatedSnapshots } from '../helpers/simulated-snapshots.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
});

function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'g6-csv-store-'));
  dirs.push(dir);
  return dir;
}

const dayDir = (dataDir: string, index = 'NIFTY', day = '20260818') => join(dataDir, 'csv', index, day);
const read = (path: string) => readFileSync(path, 'utf8');
const lines = (path: string) => read(path).split('\n').slice(0, -1);
/** Snapshot timestamps of a day's overview, one per row. */
const overviewTimestamps = (dataDir: string) =>
  lines(join(dayDir(dataDir), 'overview.csv'))
    .slice(1)
    .map((l) => l.split(',')[0]);

function assertWholeAndUnique(dataDir: string): void {
  for (const file of ['options.csv', 'overview.csv']) {
    const text = read(join(dayDir(dataDir), file));
    expect(text.endsWith('\n')).toBe(true);
    expect(
      text.split('\n').filter((l) => l === (file === 'options.csv' ? OPTIONS_HEADER : OVERVIEW_HEADER).trimEnd()),
    ).toHaveLength(1);
  }
  const options = lines(join(dayDir(dataDir), 'options.csv')).slice(1);
  const keys = options.map((l) => l.split(',').slice(0, 5).join(','));
  expect(new Set(keys).size).toBe(keys.length);
  const overview = lines(join(dayDir(dataDir), 'overview.csv')).slice(1);
  const overviewKeys = overview.map((l) => {
    const f = l.split(',');
    return `${f[0]},${f[3]}`;
  });
  expect(new Set(overviewKeys).size).toBe(overviewKeys.length);
}

describe('CSV store', () => {
  it('never writes a snapshot key twice, across restarts too', async () => {
    const dataDir = tempDataDir();
    const [a, b] = simulatedSnapshots('NIFTY', 2);
    let sink = createCsvSink({ dataDir });
    await sink.write(a!);
    await sink.write(a!);
    await sink.close();
    sink = createCsvSink({ dataDir });
    await sink.write(a!);
    await sink.write(b!);
    await sink.write(b!);
    await sink.close();
    expect(new Set(overviewTimestamps(dataDir))).toEqual(
      new Set([a!.observedAt.toISOString(), b!.observedAt.toISOString()]),
    );
    expect(overviewTimestamps(dataDir)).toHaveLength(a!.chains.length + b!.chains.length);
    assertWholeAndUnique(dataDir);
  });

  it('cuts a torn last line at start-up and keeps the fragment aside', async () => {
    const dataDir = tempDataDir();
    const [a, b] = simulatedSnapshots('NIFTY', 2);
    let sink = createCsvSink({ dataDir });
    await sink.write(a!);
    await sink.close();
    const overviewPath = join(dayDir(dataDir), 'overview.csv');
    const before = read(overviewPath);
    // A crash mid-row: part of a line with no line break.
    const fragment = '2026-08-18T06:00:09.000Z,9,NIFTY,2026-08-';
    appendFileSync(overviewPath, fragment);
    const recovered: number[] = [];
    sink = createCsvSink({ dataDir, events: { onRecovered: (_i, r) => recovered.push(r.tornBytes) } });
    await sink.write(b!);
    await sink.close();
    expect(recovered).toEqual([fragment.length]);
    expect(read(overviewPath).startsWith(before)).toBe(true);
    expect(read(`${overviewPath}.torn`)).toBe(`${fragment}\n`);
    assertWholeAndUnique(dataDir);
    expect(new Set(overviewTimestamps(dataDir)).size).toBe(2);
  });

  it('removes contract rows of a snapshot whose commit never happened, whole or partial', async () => {
    const dataDir = tempDataDir();
    const [a, b, c] = simulatedSnapshots('NIFTY', 3);
    let sink = createCsvSink({ dataDir });
    await sink.write(a!);
    await sink.close();
    const optionsPath = join(dayDir(dataDir), 'options.csv');
    const overviewPath = join(dayDir(dataDir), 'overview.csv');
    const committedOptions = read(optionsPath);
    const committedOverview = read(overviewPath);

    // Crash after b's options rows were synced, before its overview rows: b is not committed.
    appendFileSync(optionsPath, renderSnapshot(b!).options);
    const removed: number[] = [];
    sink = createCsvSink({ dataDir, events: { onRecovered: (_i, r) => removed.push(r.uncommittedRows) } });
    await sink.write(c!);
    await sink.close();
    expect(removed).toEqual([renderSnapshot(b!).optionsRows]);
    expect(read(optionsPath)).toBe(committedOptions + renderSnapshot(c!).options);
    expect(read(overviewPath)).toBe(committedOverview + renderSnapshot(c!).overview);

    // Crash in the middle of d's overview write: only its first two expiries' rows made it.
    const [, , , d] = simulatedSnapshots('NIFTY', 4);
    const rendered = renderSnapshot(d!);
    appendFileSync(optionsPath, rendered.options);
    appendFileSync(
      overviewPath,
      rendered.overview
        .split('\n')
        .slice(0, 2)
        .map((l) => `${l}\n`)
        .join(''),
    );
    removed.length = 0;
    sink = createCsvSink({ dataDir, events: { onRecovered: (_i, r) => removed.push(r.uncommittedRows) } });
    await sink.write(d!);
    await sink.close();
    expect(removed).toEqual([rendered.optionsRows + 2]);
    expect(read(optionsPath)).toBe(committedOptions + renderSnapshot(c!).options + rendered.options);
    expect(read(overviewPath)).toBe(committedOverview + renderSnapshot(c!).overview + rendered.overview);
    assertWholeAndUnique(dataDir);
  });

  it('sets aside a file written with other columns and starts a fresh one', async () => {
    const dataDir = tempDataDir();
    mkdirSync(dayDir(dataDir), { recursive: true });
    writeFileSync(join(dayDir(dataDir), 'overview.csv'), 'timestamp,seq,index\n2026-08-18T05:00:00.000Z,1,NIFTY\n');
    const [a] = simulatedSnapshots('NIFTY', 1);
    const sink = createCsvSink({ dataDir });
    await sink.write(a!);
    await sink.close();
    expect(read(join(dayDir(dataDir), 'overview.legacy-1.csv'))).toContain('2026-08-18T05:00:00.000Z,1,NIFTY');
    expect(read(join(dayDir(dataDir), 'overview.csv')).startsWith(OVERVIEW_HEADER)).toBe(true);
  });

  it('keeps every row when only one file of the day was written with other columns, and refuses its snapshots again', async () => {
    const dataDir = tempDataDir();
    const [a, b, c] = simulatedSnapshots('NIFTY', 3);
    let sink = createCsvSink({ dataDir });
    await sink.write(a!);
    await sink.write(b!);
    await sink.close();
    // An older build's overview file: one column fewer (the options file has today's columns).
    const overviewPath = join(dayDir(dataDir), 'overview.csv');
    const older = lines(overviewPath).map((line) => parseCsvLine(line).slice(0, -1));
    writeFileSync(overviewPath, older.map((cells) => toCsvLine(cells)).join(''));
    const before = await createCsvHistory({ dataDir }).allContractsDay('NIFTY', '20260818');
    expect(before.length).toBe(renderSnapshot(a!).optionsRows + renderSnapshot(b!).optionsRows);

    const duplicates: string[] = [];
    sink = createCsvSink({ dataDir, events: { onDuplicate: () => duplicates.push('dup') } });
    await sink.write(b!);
    await sink.write(c!);
    await sink.close();
    expect(duplicates).toEqual(['dup']);
    const history = createCsvHistory({ dataDir });
    const after = await history.allContractsDay('NIFTY', '20260818');
    expect(after.length).toBe(before.length + renderSnapshot(c!).optionsRows);
    expect(after.filter((r) => r.timestamp.getTime() !== c!.observedAt.getTime())).toEqual(before);
    expect((await history.overviewDay('NIFTY', '20260818')).map((r) => r.timestamp.toISOString())).toEqual(
      [...new Set([a!, b!, c!].map((s) => s.observedAt.toISOString()))].flatMap((t) =>
        Array.from({ length: renderSnapshot(a!).overviewRows }, () => t),
      ),
    );
  });

  it('compresses a day once the next one begins, and days left over at start-up', async () => {
    const dataDir = tempDataDir();
    const [a, b] = simulatedSnapshots('NIFTY', 2);
    const nextDay = { ...b!, observedAt: new Date('2026-08-18T18:45:00Z') };
    let sink = createCsvSink({ dataDir, compress: true });
    await sink.write(a!);
    await sink.write(nextDay);
    await sink.close();
    expect(readdirSync(dayDir(dataDir)).sort()).toEqual(['options.csv.gz', 'overview.csv.gz']);
    const restored = gunzipSync(readFileSync(join(dayDir(dataDir), 'overview.csv.gz'))).toString();
    expect(restored).toBe(OVERVIEW_HEADER + renderSnapshot(a!).overview);
    // The second day is still open; a start on the day after finds it closed.
    expect(existsSync(join(dayDir(dataDir, 'NIFTY', '20260819'), 'options.csv'))).toBe(true);
    sink = createCsvSink({ dataDir, compress: true, now: () => new Date('2026-08-20T04:00:00Z') });
    await sink.start?.();
    await sink.close();
    expect(readdirSync(dayDir(dataDir, 'NIFTY', '20260819')).sort()).toEqual(['options.csv.gz', 'overview.csv.gz']);
  });

  it('holds snapshots while writes fail, reports itself down, and writes them in order once writes work', async () => {
    const dataDir = tempDataDir();
    const snapshots = simulatedSnapshots('NIFTY', 4);
    const ups: boolean[] = [];
    let sink = createCsvSink({
      dataDir,
      retryMinMs: 10,
      retryMaxMs: 20,
      events: { onUpChanged: (up) => ups.push(up) },
    });
    await sink.write(snapshots[0]!);
    await sink.close();
    // Make the day's files unwritable by replacing the day folder with a file, then restore it.
    const dir = dayDir(dataDir);
    const saved = { options: read(join(dir, 'options.csv')), overview: read(join(dir, 'overview.csv')) };
    rmSync(dir, { recursive: true });
    writeFileSync(dir, 'in the way');
    sink = createCsvSink({ dataDir, retryMinMs: 10, retryMaxMs: 20, events: { onUpChanged: (up) => ups.push(up) } });
    await expect(sink.write(snapshots[1]!)).rejects.toThrow(/held for retry/);
    await expect(sink.write(snapshots[2]!)).rejects.toThrow(/held for retry/);
    expect(sink.health?.().up).toBe(false);
    expect(sink.health?.().problems[0]).toMatch(/csv sink down since .*2 snapshot\(s\)/);
    expect(sink.backlog().snapshots).toBe(2);
    rmSync(dir);
    mkdirSync(dir);
    writeFileSync(join(dir, 'options.csv'), saved.options);
    writeFileSync(join(dir, 'overview.csv'), saved.overview);
    await sink.write(snapshots[3]!);
    expect(sink.health?.().up).toBe(true);
    await sink.close();
    expect(ups).toEqual([false, true]);
    expect(overviewTimestamps(dataDir).filter((t, i, all) => all.indexOf(t) === i)).toEqual(
      snapshots.map((s) => s.observedAt.toISOString()),
    );
    assertWholeAndUnique(dataDir);
  });
});
