import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IndexSnapshot } from '../../src/domain/snapshot.ts';
import { compactionStateOf, readManifest, writeManifest } from '../../src/history/compaction-manifest.ts';
import { type ContractRecord, createCsvHistory, type OverviewRecord } from '../../src/history/csv-history.ts';
import {
  CompactionConflictError,
  type CompactionStep,
  CompactionVerificationError,
  compactDay,
  DayNotClosedError,
} from '../../src/history/day-compaction.ts';
import { createParquetEngine, type ParquetEngine } from '../../src/history/parquet-engine.ts';
import { createParquetHistory, type ParquetHistory } from '../../src/history/parquet-history.ts';
import { createStoredHistory } from '../../src/history/stored-history.ts';
import { openCsvDay } from '../../src/sinks/csv-day-files.ts';
import { parseCsvLine, toCsvLine } from '../../src/sinks/csv-format.ts';
import { OPTIONS_CSV_COLUMNS, OVERVIEW_CSV_COLUMNS, renderSnapshot } from '../../src/sinks/csv-rows.ts';
import { gzipCsvFile } from '../../src/sinks/gzip-file.ts';
import { simulatedSnapshots } from '../helpers/simulated-snapshots.ts';

const DAY = '20260818';
const NEXT_DAY = '20260819';
const NOW = () => new Date('2026-08-20T00:00:00Z');
const closed = () => true;

const dirs: string[] = [];
let engine: ParquetEngine;
let snapshots: IndexSnapshot[];

beforeAll(() => {
  engine = createParquetEngine({ threads: 1 });
  // 16 snapshots 30 s apart, ±4 strikes over every listed expiry: ≈2,300 contract rows.
  snapshots = simulatedSnapshots('NIFTY', 16, 30_000, 4);
});

afterAll(async () => {
  await engine.close();
  for (const dir of dirs.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
});

function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'g6-parquet-'));
  dirs.push(dir);
  return dir;
}

const dayDir = (dataDir: string, day = DAY) => join(dataDir, 'csv', 'NIFTY', day);

/** A file in an older build's layout: `drop` columns left out (files are read by their own header). */
function writeLegacy(path: string, columns: readonly string[], text: string, drop: readonly string[]): void {
  const keep = columns.map((c, i) => [c, i] as const).filter(([c]) => !drop.includes(c));
  const rows = text
    .trimEnd()
    .split('\n')
    .map((line) => {
      const cells = parseCsvLine(line);
      return toCsvLine(keep.map(([, i]) => cells[i] ?? null));
    });
  writeFileSync(path, toCsvLine(keep.map(([c]) => c)) + rows.join(''));
}

const shifted = (s: IndexSnapshot, days: number): IndexSnapshot => ({
  ...s,
  observedAt: new Date(s.observedAt.getTime() + days * 86_400_000),
});

/**
 * A stored day in every layout the CSV history reads: a gzipped part (the day was compressed, then
 * reopened by late snapshots), the plain files written through the real day files, legacy files of an
 * older build with fewer columns, and a torn last line.
 */
async function buildDay(dataDir: string, day = DAY, shiftDays = 0): Promise<void> {
  const dir = dayDir(dataDir, day);
  const of = (from: number, to: number) => snapshots.slice(from, to).map((s) => shifted(s, shiftDays));
  let files = await openCsvDay(dir, day);
  for (const s of of(0, 6)) {
    await files.append(renderSnapshot(s));
  }
  await files.close();
  await gzipCsvFile(join(dir, 'options.csv'));
  await gzipCsvFile(join(dir, 'overview.csv'));
  files = await openCsvDay(dir, day);
  for (const s of of(6, 13)) {
    await files.append(renderSnapshot(s));
  }
  await files.close();
  const legacy = of(13, 16).map(renderSnapshot);
  writeLegacy(join(dir, 'options.legacy-1.csv'), OPTIONS_CSV_COLUMNS, legacy.map((r) => r.options).join(''), [
    'average_price',
    'offset',
    'expiry_tags',
  ]);
  writeLegacy(join(dir, 'overview.legacy-1.csv'), OVERVIEW_CSV_COLUMNS, legacy.map((r) => r.overview).join(''), [
    'spot_open',
    'net_change',
    'expiry_tags',
  ]);
  // A crash mid-append that this day never recovered from.
  appendFileSync(join(dir, 'options.csv'), '2026-08-18T08:00:00.000Z,NIFTY,2026-08-25,24');
}

interface DayRows {
  readonly overview: readonly OverviewRecord[];
  readonly contracts: readonly ContractRecord[];
}

async function csvRows(dataDir: string, day = DAY): Promise<DayRows> {
  const csv = createCsvHistory({ dataDir });
  return { overview: await csv.overviewDay('NIFTY', day), contracts: await csv.allContractsDay('NIFTY', day) };
}

const csvFilesIn = (dir: string) => readdirSync(dir).filter((n) => /\.csv(\.gz)?$/.test(n));

describe('day compaction', () => {
  let dataDir: string;
  let expected: DayRows;
  let history: ParquetHistory;
  let csvBytes: number;

  beforeAll(async () => {
    dataDir = tempDataDir();
    await buildDay(dataDir);
    expected = await csvRows(dataDir);
    csvBytes = csvFilesIn(dayDir(dataDir)).reduce((sum, n) => sum + readFileSync(join(dayDir(dataDir), n)).length, 0);
    history = createParquetHistory({ dataDir, engine });
  });

  it('writes Parquet holding exactly the rows the CSV history read, field for field, and removes the CSV', async () => {
    expect(expected.contracts.length).toBeGreaterThan(2_000);
    expect(expected.contracts.some((r) => r.averagePrice === null && r.offset === null)).toBe(true);
    const result = await compactDay({ dataDir, index: 'NIFTY', day: DAY, isClosed: closed, engine, now: NOW });
    expect(result.status).toBe('compacted');
    expect(result.manifest?.tables.options.rows).toBe(expected.contracts.length);
    expect(result.manifest?.tables.overview.rows).toBe(expected.overview.length);
    expect(result.manifest?.tables.overview.snapshots).toBe(16);
    expect(result.manifest?.compactedAt).toBe('2026-08-20T00:00:00.000Z');
    expect(result.removed).toEqual([
      'options.csv',
      'options.csv.gz',
      'options.legacy-1.csv',
      'overview.csv',
      'overview.csv.gz',
      'overview.legacy-1.csv',
    ]);
    const dir = dayDir(dataDir);
    expect(csvFilesIn(dir)).toEqual([]);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(
      readdirSync(dir)
        .filter((n) => n.endsWith('.parquet'))
        .sort(),
    ).toEqual(['options.parquet', 'overview.parquet']);
    // The CSV history now finds the day empty: nothing can be read twice.
    expect(await csvRows(dataDir)).toEqual({ overview: [], contracts: [] });
    expect(await createCsvHistory({ dataDir }).days('NIFTY')).toEqual([DAY]);

    expect(await history.allContractsDay('NIFTY', DAY)).toEqual(expected.contracts);
    expect(await history.overviewDay('NIFTY', DAY)).toEqual(expected.overview);
    const parquetBytes = result.manifest!.tables.options.bytes + result.manifest!.tables.overview.bytes;
    expect(parquetBytes).toBeLessThan(csvBytes);
  });

  it('reads one contract, by symbol or by terms, as exactly the CSV rows of that contract in time order', async () => {
    const pick = expected.contracts.find((r) => r.offset === 1 && r.right === 'PE')!;
    const bySymbol = { tradingsymbol: pick.tradingsymbol };
    const byTerms = { expiry: pick.expiry, strike: pick.strike, right: pick.right };
    const found = await history.contractsDay('NIFTY', DAY, [bySymbol, byTerms]);
    const wanted = expected.contracts.filter((r) => r.tradingsymbol === pick.tradingsymbol);
    expect(wanted.length).toBeGreaterThanOrEqual(13);
    expect(found.get(`s:${pick.tradingsymbol}`)).toEqual(wanted);
    expect(found.get(`t:${pick.expiry}:${pick.strike}:${pick.right}`)).toEqual(wanted);
    const times = wanted.map((r) => r.timestamp.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(new Set(times).size).toBe(times.length);
    expect(
      (await history.contractsDay('NIFTY', DAY, [{ tradingsymbol: 'NIFTY26AUG1CE' }])).get('s:NIFTY26AUG1CE'),
    ).toEqual([]);
  });

  it('answers the other CsvHistory reads as the CSV did', async () => {
    const at = expected.overview[40]!.timestamp;
    const sameSnapshot = expected.contracts.filter((r) => r.timestamp.getTime() === at.getTime());
    expect(await history.contractsAt('NIFTY', DAY, at)).toEqual(sameSnapshot);

    const expiry = expected.overview[1]!.expiry;
    const select = { expiry, tag: null, offsets: [-1, 0, 1] };
    expect(await history.offsetRowsDay('NIFTY', DAY, select)).toEqual(
      expected.contracts.filter((r) => r.expiry === expiry && r.offset !== null && select.offsets.includes(r.offset)),
    );
    const byTag = { expiry: null, tag: 'NEXT_WEEK' as const, offsets: [0] };
    expect(await history.offsetRowsDay('NIFTY', DAY, byTag)).toEqual(
      expected.contracts.filter((r) => r.offset === 0 && r.expiryTags.includes('NEXT_WEEK')),
    );

    const last = Math.max(...expected.overview.map((r) => r.timestamp.getTime()));
    expect(await history.closingIv30('NIFTY', DAY)).not.toBeNull();
    expect(await history.closingIv30('NIFTY', DAY)).toBe(
      await (async () => {
        // The CSV answer, from a copy of the rows (the CSV files are gone).
        const { constantMaturityIv, IV30_YEARS } = await import('../../src/analytics/iv-rank.ts');
        return constantMaturityIv(
          expected.overview
            .filter((r) => r.timestamp.getTime() === last && r.atmIv !== null)
            .map((r) => ({ timeToExpiryYears: r.timeToExpiryYears, iv: r.atmIv! })),
          IV30_YEARS,
        );
      })(),
    );
    expect(await history.days('NIFTY')).toEqual([DAY]);
  });

  it('a second run finds nothing to do', async () => {
    const again = await compactDay({ dataDir, index: 'NIFTY', day: DAY, isClosed: closed, engine, now: NOW });
    expect(again.status).toBe('already-compacted');
    expect(await history.allContractsDay('NIFTY', DAY)).toEqual(expected.contracts);
  });

  it('adds a late snapshot that reopened the compacted day as a new generation, without duplicates', async () => {
    const late = shifted(snapshots[15]!, 0);
    const lateAt = new Date(late.observedAt.getTime() + 600_000);
    const files = await openCsvDay(dayDir(dataDir), DAY);
    await files.append(renderSnapshot({ ...late, observedAt: lateAt }));
    await files.close();
    const lateRows = await csvRows(dataDir);
    expect(lateRows.contracts.length).toBeGreaterThan(0);

    const merged = await compactDay({ dataDir, index: 'NIFTY', day: DAY, isClosed: closed, engine, now: NOW });
    expect(merged.status).toBe('merged');
    expect(merged.manifest?.generation).toBe(2);
    const dir = dayDir(dataDir);
    expect(
      readdirSync(dir)
        .filter((n) => n.endsWith('.parquet'))
        .sort(),
    ).toEqual(['options.2.parquet', 'overview.2.parquet']);
    expect(csvFilesIn(dir)).toEqual([]);
    expect(await history.allContractsDay('NIFTY', DAY)).toEqual(
      [...expected.contracts, ...lateRows.contracts].sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime()),
    );
    expect(await history.overviewDay('NIFTY', DAY)).toEqual([...expected.overview, ...lateRows.overview]);
  });
  it('refuses a snapshot re-delivered to a compacted day, and drops one an older manifest let through', async () => {
    const dir = dayDir(dataDir);
    const before = {
      contracts: await history.allContractsDay('NIFTY', DAY),
      overview: await history.overviewDay('NIFTY', DAY),
    };
    const manifest = (await readManifest(dir))!;
    expect(manifest.snapshotTimes).toEqual(
      [...new Set(before.overview.map((r) => r.timestamp.getTime()))].map((ms) => new Date(ms).toISOString()),
    );
    // The same instant again, with other prices: the stored copy is the one that counts.
    const kept = snapshots[7]!;
    const again: IndexSnapshot = {
      ...kept,
      chains: kept.chains.map((chain) => ({
        ...chain,
        strikes: chain.strikes.map((row) => ({
          ...row,
          call:
            row.call === null
              ? null
              : { ...row.call, quote: { ...row.call.quote, lastPrice: (row.call.quote.lastPrice ?? 0) + 7 } },
        })),
      })),
    };
    let files = await openCsvDay(dir, DAY);
    expect(files.has(kept.observedAt.toISOString())).toBe(true);
    expect(await files.append(renderSnapshot(again))).toEqual({ written: false, reason: 'duplicate' });
    await files.close();
    // Refused without creating files: the day stays read from Parquet alone.
    expect(csvFilesIn(dir)).toEqual([]);
    expect((await compactionStateOf(dir)).pending).toEqual([]);

    // A manifest written before snapshot times were recorded: the sink cannot tell, the readers can.
    const { snapshotTimes: _dropped, ...older } = manifest;
    await writeManifest(dir, older);
    files = await openCsvDay(dir, DAY);
    expect(await files.append(renderSnapshot(again))).toEqual({ written: true });
    await files.close();
    expect((await compactionStateOf(dir)).pending.length).toBeGreaterThan(0);
    const stored = createStoredHistory({ dataDir, engine });
    const symbol = before.contracts.find(
      (r) => r.timestamp.getTime() === kept.observedAt.getTime() && r.right === 'CE',
    )!.tradingsymbol;
    const oneContract = before.contracts
      .filter((r) => r.tradingsymbol === symbol)
      .sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
    try {
      expect(await stored.isCompacted('NIFTY', DAY)).toBe(true);
      expect(await stored.allContractsDay('NIFTY', DAY)).toEqual(before.contracts);
      expect((await stored.contractsDay('NIFTY', DAY, [{ tradingsymbol: symbol }])).get(`s:${symbol}`)).toEqual(
        oneContract,
      );
      expect((await stored.contractsDays('NIFTY', [DAY], [{ tradingsymbol: symbol }])).get(`s:${symbol}`)).toEqual(
        oneContract,
      );
      expect(await stored.overviewDay('NIFTY', DAY)).toEqual(before.overview);
    } finally {
      await stored.close();
    }

    // The next compaction merges the reopened day without the duplicate, and records the times again.
    const merged = await compactDay({ dataDir, index: 'NIFTY', day: DAY, isClosed: closed, engine, now: NOW });
    expect(merged.status).toBe('merged');
    expect(await history.allContractsDay('NIFTY', DAY)).toEqual(before.contracts);
    expect(await history.overviewDay('NIFTY', DAY)).toEqual(before.overview);
    expect((await readManifest(dir))!.snapshotTimes).toEqual(manifest.snapshotTimes);

    // A new late snapshot beside a manifest that lists its times: read with the Parquet rows, none dropped.
    const later: IndexSnapshot = { ...again, observedAt: new Date(kept.observedAt.getTime() + 3_600_000) };
    files = await openCsvDay(dir, DAY);
    const rendered = renderSnapshot(later);
    expect(await files.append(rendered)).toEqual({ written: true });
    await files.close();
    const withLate = createStoredHistory({ dataDir, engine });
    try {
      const rows = await withLate.allContractsDay('NIFTY', DAY);
      const lateRows = rows.filter((r) => r.timestamp.getTime() === later.observedAt.getTime());
      expect(lateRows).toHaveLength(rendered.optionsRows);
      expect(rows.filter((r) => r.timestamp.getTime() !== later.observedAt.getTime())).toEqual(
        [...before.contracts].sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime()),
      );
    } finally {
      await withLate.close();
    }
  });
});

describe('crash safety', () => {
  let baseline: { optionsHash: string; overviewHash: string; rows: number };
  let expected: DayRows;
  let template: string;

  beforeAll(async () => {
    template = tempDataDir();
    await buildDay(template);
    expected = await csvRows(template);
    const copy = tempDataDir();
    cpSync(join(template, 'csv'), join(copy, 'csv'), { recursive: true });
    const result = await compactDay({ dataDir: copy, index: 'NIFTY', day: DAY, isClosed: closed, engine, now: NOW });
    baseline = {
      optionsHash: result.manifest!.tables.options.hash,
      overviewHash: result.manifest!.tables.overview.hash,
      rows: result.manifest!.tables.options.rows,
    };
  });

  const steps: CompactionStep[] = [
    'stale-removed',
    'parquet-written',
    'verified',
    'parquet-renamed',
    'manifest-written',
    'source-removed',
    'cleaned',
  ];

  for (const crashAt of steps) {
    it(`a crash after '${crashAt}' leaves the CSV or a committed compaction, and the next run ends the same`, async () => {
      const dataDir = tempDataDir();
      cpSync(join(template, 'csv'), join(dataDir, 'csv'), { recursive: true });
      const dir = dayDir(dataDir);
      const before = csvFilesIn(dir).sort();
      const crash = new Error(`crash after ${crashAt}`);
      await expect(
        compactDay({
          dataDir,
          index: 'NIFTY',
          day: DAY,
          isClosed: closed,
          engine,
          now: NOW,
          onStep: (step) => {
            if (step === crashAt) {
              throw crash;
            }
          },
        }),
      ).rejects.toBe(crash);

      const state = await compactionStateOf(dir);
      const committed = steps.indexOf(crashAt) >= steps.indexOf('manifest-written');
      if (committed) {
        expect(state.manifest?.tables.options.hash).toBe(baseline.optionsHash);
        // Readers skip what the manifest covers, so nothing reads twice even before cleanup ends.
        expect(state.pending).toEqual([]);
      } else {
        expect(state.manifest).toBeNull();
        expect(csvFilesIn(dir).sort()).toEqual(before);
        expect(await csvRows(dataDir)).toEqual(expected);
      }

      const rerun = await compactDay({ dataDir, index: 'NIFTY', day: DAY, isClosed: closed, engine, now: NOW });
      expect(rerun.status).toBe(committed ? (crashAt === 'cleaned' ? 'already-compacted' : 'cleaned-up') : 'compacted');
      const manifest = await readManifest(dir);
      expect(manifest?.tables.options.hash).toBe(baseline.optionsHash);
      expect(manifest?.tables.overview.hash).toBe(baseline.overviewHash);
      expect(manifest?.cleaned).toBe(true);
      expect(csvFilesIn(dir)).toEqual([]);
      expect(
        readdirSync(dir)
          .filter((n) => n.endsWith('.tmp') || n.endsWith('.parquet'))
          .sort(),
      ).toEqual(['options.parquet', 'overview.parquet']);
      const history = createParquetHistory({ dataDir, engine });
      const rows = await history.allContractsDay('NIFTY', DAY);
      expect(rows).toHaveLength(baseline.rows);
      expect(rows).toEqual(expected.contracts);
    });
  }

  it('commits nothing when a snapshot reaches the day while it is compacted, and the next run takes it', async () => {
    const dataDir = tempDataDir();
    cpSync(join(template, 'csv'), join(dataDir, 'csv'), { recursive: true });
    const dir = dayDir(dataDir);
    const late = { ...snapshots[15]!, observedAt: new Date(snapshots[15]!.observedAt.getTime() + 900_000) };
    await expect(
      compactDay({
        dataDir,
        index: 'NIFTY',
        day: DAY,
        isClosed: closed,
        engine,
        now: NOW,
        onStep: async (step) => {
          if (step === 'parquet-written') {
            // As the sink would: the torn line is cut on open, then the snapshot is appended.
            const files = await openCsvDay(dir, DAY);
            await files.append(renderSnapshot(late));
            await files.close();
          }
        },
      }),
    ).rejects.toBeInstanceOf(CompactionConflictError);
    expect(await readManifest(dir)).toBeNull();
    expect(readdirSync(dir).filter((n) => n.includes('.parquet'))).toEqual([]);
    const withLate = await csvRows(dataDir);
    expect(withLate.contracts.length).toBeGreaterThan(expected.contracts.length);

    await compactDay({ dataDir, index: 'NIFTY', day: DAY, isClosed: closed, engine, now: NOW });
    expect(await createParquetHistory({ dataDir, engine }).allContractsDay('NIFTY', DAY)).toEqual(withLate.contracts);
  });

  it('refuses the open day and touches nothing', async () => {
    const dataDir = tempDataDir();
    cpSync(join(template, 'csv'), join(dataDir, 'csv'), { recursive: true });
    const dir = dayDir(dataDir);
    const before = readdirSync(dir).sort();
    await expect(
      compactDay({ dataDir, index: 'NIFTY', day: DAY, isClosed: (day) => day < DAY, engine, now: NOW }),
    ).rejects.toBeInstanceOf(DayNotClosedError);
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('refuses a day whose Parquet would not read back as its CSV, and keeps the CSV', async () => {
    const dataDir = tempDataDir();
    cpSync(join(template, 'csv'), join(dataDir, 'csv'), { recursive: true });
    const dir = dayDir(dataDir);
    // A fractional volume reads back from CSV as 1.5 but cannot be a BIGINT.
    const path = join(dir, 'options.legacy-1.csv');
    const [header, first, ...rest] = readFileSync(path, 'utf8').split('\n');
    const cells = parseCsvLine(first!);
    cells[parseCsvLine(header!).indexOf('volume')] = '1.5';
    writeFileSync(path, [header, toCsvLine(cells).trimEnd(), ...rest].join('\n'));
    const before = readdirSync(dir).sort();
    const rows = await csvRows(dataDir);
    await expect(
      compactDay({ dataDir, index: 'NIFTY', day: DAY, isClosed: closed, engine, now: NOW }),
    ).rejects.toBeInstanceOf(CompactionVerificationError);
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(await csvRows(dataDir)).toEqual(rows);
  });

  it('archives the CSV gzipped where no reader looks, when asked to', async () => {
    const dataDir = tempDataDir();
    cpSync(join(template, 'csv'), join(dataDir, 'csv'), { recursive: true });
    const dir = dayDir(dataDir);
    const original = readFileSync(join(dir, 'options.csv'));
    const result = await compactDay({
      dataDir,
      index: 'NIFTY',
      day: DAY,
      isClosed: closed,
      engine,
      now: NOW,
      keepCsv: 'gzip-archive',
    });
    expect(result.status).toBe('compacted');
    expect(readdirSync(join(dir, 'archive', '1')).sort()).toEqual([
      'options.csv.gz',
      'options.legacy-1.csv.gz',
      'options.plain.csv.gz',
      'overview.csv.gz',
      'overview.legacy-1.csv.gz',
      'overview.plain.csv.gz',
    ]);
    expect(gunzipSync(readFileSync(join(dir, 'archive', '1', 'options.plain.csv.gz')))).toEqual(original);
    expect(await csvRows(dataDir)).toEqual({ overview: [], contracts: [] });
  });
});

describe('multi-day reads', () => {
  let dataDir: string;
  /** The same two days, left as CSV. */
  let csvCopy: string;
  let days: DayRows[];
  let history: ParquetHistory;

  beforeAll(async () => {
    dataDir = tempDataDir();
    csvCopy = tempDataDir();
    for (const dir of [dataDir, csvCopy]) {
      await buildDay(dir, DAY, 0);
      await buildDay(dir, NEXT_DAY, 1);
    }
    days = [await csvRows(dataDir, DAY), await csvRows(dataDir, NEXT_DAY)];
    for (const day of [DAY, NEXT_DAY]) {
      await compactDay({ dataDir, index: 'NIFTY', day, isClosed: closed, engine, now: NOW });
    }
    history = createParquetHistory({ dataDir, engine });
  });

  it('reads a contract over several days in one query', async () => {
    const pick = days[0]!.contracts.find((r) => r.offset === 0 && r.right === 'CE')!;
    const key = { tradingsymbol: pick.tradingsymbol };
    const found = await history.contractsDays('NIFTY', [DAY, NEXT_DAY], [key]);
    const wanted = days.flatMap((d) => d.contracts.filter((r) => r.tradingsymbol === pick.tradingsymbol));
    expect(wanted.some((r) => r.timestamp.toISOString().startsWith('2026-08-19'))).toBe(true);
    expect(found.get(`s:${pick.tradingsymbol}`)).toEqual(wanted);
  });

  it('decodes only the contract fields asked for, with what names the contract and the time', async () => {
    const pick = days[1]!.contracts.find((r) => r.offset === 1 && r.right === 'PE')!;
    const found = await history.contractsDays(
      'NIFTY',
      [DAY, NEXT_DAY],
      [{ tradingsymbol: pick.tradingsymbol }],
      ['lastPrice', 'iv'],
    );
    const wanted = days.flatMap((d) => d.contracts.filter((r) => r.tradingsymbol === pick.tradingsymbol));
    expect(wanted.length).toBeGreaterThan(10);
    expect(found.get(`s:${pick.tradingsymbol}`)).toEqual(
      wanted.map((r) => ({
        timestamp: r.timestamp,
        tradingsymbol: r.tradingsymbol,
        expiry: r.expiry,
        strike: r.strike,
        right: r.right,
        lastPrice: r.lastPrice,
        iv: r.iv,
      })),
    );
  });

  it('filters overview rows by range, expiry, tag and nearest expiry in the query', async () => {
    const all = days.flatMap((d) => d.overview);
    expect(await history.overviewDays('NIFTY', [DAY, NEXT_DAY])).toEqual(all);
    const fromMs = all[30]!.timestamp.getTime();
    const toMs = all.at(-30)!.timestamp.getTime();
    const inRange = all.filter((r) => r.timestamp.getTime() >= fromMs && r.timestamp.getTime() <= toMs);
    expect(await history.overviewDays('NIFTY', [DAY, NEXT_DAY], { fromMs, toMs })).toEqual(inRange);
    const expiry = all[2]!.expiry;
    expect(await history.overviewDays('NIFTY', [DAY, NEXT_DAY], { expiry })).toEqual(
      all.filter((r) => r.expiry === expiry),
    );
    expect(await history.overviewDays('NIFTY', [DAY, NEXT_DAY], { tag: 'THIS_MONTH' })).toEqual(
      all.filter((r) => r.expiryTags.includes('THIS_MONTH')),
    );
    const nearest = all.filter((r, i) => i === 0 || all[i - 1]!.timestamp.getTime() !== r.timestamp.getTime());
    expect(nearest).toHaveLength(32);
    expect(await history.overviewDays('NIFTY', [DAY, NEXT_DAY], { nearest: true })).toEqual(nearest);
    // Only the fields asked for are decoded (with the row's time and expiry).
    expect(await history.overviewDays('NIFTY', [DAY, NEXT_DAY], { expiry }, ['atmIv', 'pcrOi'])).toEqual(
      all
        .filter((r) => r.expiry === expiry)
        .map((r) => ({ timestamp: r.timestamp, expiry: r.expiry, atmIv: r.atmIv, pcrOi: r.pcrOi })),
    );
  });

  it('keeps each day of an all-fields series decoded, and serves range and field reads from it until the day changes', async () => {
    const fresh = createParquetHistory({ dataDir, engine });
    const all = days.flatMap((d) => d.overview);
    const nearest = all.filter((r, i) => i === 0 || all[i - 1]!.timestamp.getTime() !== r.timestamp.getTime());
    // A first read of a few fields decodes only those and keeps nothing.
    const projected = (rows: readonly OverviewRecord[]) =>
      rows.map((r) => ({ timestamp: r.timestamp, expiry: r.expiry, spot: r.spot }));
    expect(await fresh.overviewDays('NIFTY', [DAY, NEXT_DAY], { nearest: true }, ['spot'])).toEqual(projected(nearest));
    const first = await fresh.overviewDays('NIFTY', [NEXT_DAY, DAY], { nearest: true });
    expect(first).toEqual(nearest);
    const again = await fresh.overviewDays('NIFTY', [DAY, NEXT_DAY], { nearest: true });
    expect(again[0]).toBe(first[0]);
    // Served from the kept rows: a range within it, and a projection of it.
    const fromMs = nearest[3]!.timestamp.getTime();
    const toMs = nearest.at(-3)!.timestamp.getTime();
    const inRange = nearest.filter((r) => r.timestamp.getTime() >= fromMs && r.timestamp.getTime() <= toMs);
    const ranged = await fresh.overviewDays('NIFTY', [DAY, NEXT_DAY], { nearest: true, fromMs, toMs });
    expect(ranged).toEqual(inRange);
    expect(ranged[0]).toBe(first[3]);
    expect(await fresh.overviewDays('NIFTY', [DAY, NEXT_DAY], { nearest: true, fromMs, toMs }, ['spot'])).toEqual(
      projected(inRange),
    );
    // Another series of the same days is its own entry.
    const expiry = all[2]!.expiry;
    expect(await fresh.overviewDays('NIFTY', [DAY], { expiry })).toEqual(
      days[0]!.overview.filter((r) => r.expiry === expiry),
    );
    // A rewritten manifest (a new compaction of the day) is read afresh.
    const manifestPath = join(dayDir(dataDir, NEXT_DAY), 'compacted.json');
    const text = readFileSync(manifestPath, 'utf8');
    writeFileSync(`${manifestPath}.tmp`, text);
    renameSync(`${manifestPath}.tmp`, manifestPath);
    const reread = await fresh.overviewDays('NIFTY', [DAY, NEXT_DAY], { nearest: true });
    expect(reread).toEqual(nearest);
    expect(reread[0]).toBe(first[0]);
    expect(reread.at(-1)).not.toBe(first.at(-1));
    await fresh.close();
  });

  it('warms the default overview series of the last compacted days, so their first read runs no query', async () => {
    let queries = 0;
    const counting: ParquetEngine = {
      withConnection: (use) => {
        queries += 1;
        return engine.withConnection(use);
      },
      close: async () => {},
    };
    const stored = createStoredHistory({ dataDir, engine: counting });
    expect(await stored.warmOverviewSeries('NIFTY', 1)).toEqual([NEXT_DAY]);
    // An older day with a damaged manifest is passed over, not the end of the warm.
    const damaged = dayDir(dataDir, '20260801');
    mkdirSync(damaged, { recursive: true });
    writeFileSync(join(damaged, 'compacted.json'), '{"version": 1');
    try {
      expect(await stored.warmOverviewSeries('NIFTY', 30)).toEqual([DAY, NEXT_DAY]);
    } finally {
      rmSync(damaged, { recursive: true, force: true });
    }
    expect(queries).toBeGreaterThan(0);
    const before = queries;
    const all = days.flatMap((d) => d.overview);
    const nearest = all.filter((r, i) => i === 0 || all[i - 1]!.timestamp.getTime() !== r.timestamp.getTime());
    expect(await stored.overviewDays('NIFTY', [DAY, NEXT_DAY], { nearest: true })).toEqual(nearest);
    expect(await stored.overviewDays('NIFTY', [DAY, NEXT_DAY], { nearest: true }, ['atmIv'])).toEqual(
      nearest.map((r) => ({ timestamp: r.timestamp, expiry: r.expiry, atmIv: r.atmIv })),
    );
    expect(queries).toBe(before);
    await stored.close();
  });

  it('reads days compacted with different columns together, a column a day lacks as missing', async () => {
    const mixed = tempDataDir();
    cpSync(dataDir, mixed, { recursive: true });
    const dir = dayDir(mixed, NEXT_DAY);
    const manifest = (await readManifest(dir))!;
    const dropped = { options: 'average_price', overview: 'spot_open' } as const;
    await engine.withConnection(async (connection) => {
      for (const table of ['options', 'overview'] as const) {
        const file = join(dir, manifest.tables[table].file);
        await connection.run(
          `COPY (SELECT * EXCLUDE ("${dropped[table]}") FROM read_parquet('${file}')) TO '${file}.tmp' (FORMAT parquet)`,
        );
        renameSync(`${file}.tmp`, file);
      }
    });
    const without = (table: 'options' | 'overview') => ({
      ...manifest.tables[table],
      columns: manifest.tables[table].columns.filter((c) => c.name !== dropped[table]),
    });
    await writeManifest(dir, { ...manifest, tables: { options: without('options'), overview: without('overview') } });
    const reader = createParquetHistory({ dataDir: mixed, engine });
    try {
      const pick = days[1]!.contracts.find((r) => r.offset === 0 && r.right === 'PE')!;
      const found = await reader.contractsDays('NIFTY', [DAY, NEXT_DAY], [{ tradingsymbol: pick.tradingsymbol }]);
      const onNextDay = (r: { timestamp: Date }) => r.timestamp.toISOString().startsWith('2026-08-19');
      const wanted = days
        .flatMap((d) => d.contracts.filter((r) => r.tradingsymbol === pick.tradingsymbol))
        .map((r) => (onNextDay(r) ? { ...r, averagePrice: null } : r));
      expect(wanted.some((r) => !onNextDay(r) && r.averagePrice !== null)).toBe(true);
      expect(found.get(`s:${pick.tradingsymbol}`)).toEqual(wanted);
      const all = days.flatMap((d) => d.overview);
      expect(await reader.overviewDays('NIFTY', [DAY, NEXT_DAY], { expiry: all[0]!.expiry })).toEqual(
        all.filter((r) => r.expiry === all[0]!.expiry).map((r) => (onNextDay(r) ? { ...r, spotOpen: null } : r)),
      );
    } finally {
      await reader.close();
    }
  });

  it('keeps decoded overview days, since a compacted day never changes', async () => {
    const first = await history.overviewDay('NIFTY', NEXT_DAY);
    expect(first).toEqual(days[1]!.overview);
    expect(await history.overviewDay('NIFTY', NEXT_DAY)).toBe(first);
  });

  it('keeps no more decoded overview rows than its bound, the least recently read day going first', async () => {
    const rowsOfDay = days[0]!.overview.length;
    expect(days[1]!.overview.length).toBe(rowsOfDay);
    const bounded = createParquetHistory({ dataDir, engine, maxCachedRows: rowsOfDay + 1 });
    const csvBounded = createCsvHistory({ dataDir: csvCopy, maxCachedRows: rowsOfDay + 1 });
    try {
      for (const reader of [bounded, csvBounded]) {
        const first = await reader.overviewDay('NIFTY', DAY);
        expect(await reader.overviewDay('NIFTY', DAY)).toBe(first);
        const second = await reader.overviewDay('NIFTY', NEXT_DAY);
        expect(await reader.overviewDay('NIFTY', NEXT_DAY)).toBe(second);
        // Both days do not fit: the first was evicted, and is read (equal, not the same rows) again.
        const again = await reader.overviewDay('NIFTY', DAY);
        expect(again).toEqual(first);
        expect(again).not.toBe(first);
      }
    } finally {
      await bounded.close();
    }
  });

  it('finds nothing to compact in a day that was never stored', async () => {
    const result = await compactDay({ dataDir, index: 'NIFTY', day: '20260817', isClosed: closed, engine, now: NOW });
    expect(result).toEqual({ status: 'empty', manifest: null, csvBytes: 0, removed: [] });
  });

  it('reads a day that is not compacted as empty', async () => {
    expect(await history.overviewDays('NIFTY', ['20260817'])).toEqual([]);
    expect(await history.manifest('NIFTY', '20260817')).toBeNull();
    expect(existsSync(dayDir(dataDir, '20260817'))).toBe(false);
  });
});
