import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type ImportReport, runImport } from '../../src/cli/import-g6-python.ts';
import { segmentOf } from '../../src/domain/calendar/calendar-data.ts';
import type { ExpiryTag } from '../../src/domain/expiry-tags.ts';
import { INDEX_SPECS } from '../../src/domain/indices.ts';
import type { IndexMarketData } from '../../src/domain/market-data.ts';
import { type ContractRecord, createCsvHistory } from '../../src/history/csv-history.ts';
import { expiryKindOf, provenExpiryTags } from '../../src/history/g6-python-grouping.ts';
import { SKIP_REASONS, type SkipReason } from '../../src/history/g6-python-rows.ts';
import { straddleSeries } from '../../src/history/straddle-series.ts';
import { lockDataDir } from '../../src/sinks/data-dir-lock.ts';
import { fixturePath } from '../helpers/fixtures.ts';
import { TEST_RUN_VARIABLE } from '../helpers/leftovers.ts';
import { runToEnd } from '../helpers/run-to-end.ts';
import { createTestMarket, TEST_CLOCK } from '../helpers/simulated-snapshots.ts';

/**
 * `g6 import g6-python` through `runImport` (what main() dispatches to), on files written in the Python
 * G6's layout: a simulated NIFTY session (Tuesday 18 Aug 2026 from 11:00 IST, the weekly's expiry day: 20
 * cycles 30 s apart, four tags, offsets -100..+100 points) and a hand-written directory with one row of each
 * kind the importer must refuse (test/fixtures/g6-python/README.md lists them).
 */
const NOW = new Date('2026-08-18T12:00:00.000Z');
const now = () => NOW;
const DAY = '20260818';
const HEADER =
  'timestamp,index,expiry_tag,expiry_date,offset,index_price,atm,strike,ce,pe,tp,avg_ce,avg_pe,avg_tp,' +
  'ce_vol,pe_vol,ce_oi,pe_oi,ce_iv,pe_iv,ce_delta,pe_delta,ce_theta,pe_theta,ce_vega,pe_vega,ce_gamma,pe_gamma,ce_rho,pe_rho';
const CYCLES = 20;
const FIRST_CYCLE_MS = Date.parse('2026-08-18T05:30:00.000Z');
const OFFSETS = [-100, -50, 0, 50, 100];
const YEAR_MS = 365 * 86_400_000;

/** One fixture row as written, with the simulated contract's symbols (what the import must rebuild). */
interface FixtureRow {
  readonly timestamp: Date;
  readonly tag: string;
  readonly expiry: string;
  readonly kind: 'WEEKLY' | 'MONTHLY';
  readonly spot: number;
  readonly strike: number;
  readonly ce: number;
  readonly pe: number;
  readonly avgCe: number;
  readonly avgPe: number;
  readonly ceVol: number;
  readonly peVol: number;
  readonly ceOi: number;
  readonly peOi: number;
  /** Percent, as some Python G6 builds write it. */
  readonly ceIv: number;
  readonly peIv: number;
  readonly ceSymbol: string;
  readonly peSymbol: string;
}

/** `dd-mm-YYYY HH:MM:SS` in IST. */
function istText(instant: Date): string {
  const ist = new Date(instant.getTime() + 5.5 * 3_600_000).toISOString();
  return `${ist.slice(8, 10)}-${ist.slice(5, 7)}-${ist.slice(0, 4)} ${ist.slice(11, 19)}`;
}

/** The Python G6's list rules (src/utils/expiry_rules.py): nearest, second nearest, last in this / next month. */
function pythonTags(data: IndexMarketData): Map<string, string> {
  const dates = data.expiries.map((e) => e.expiry).sort();
  const month = new Date(data.observedAt.getTime() + 5.5 * 3_600_000).toISOString().slice(0, 7);
  const nextMonth = `${month.slice(0, 4)}-${String(Number(month.slice(5)) + 1).padStart(2, '0')}`;
  const lastIn = (m: string) => dates.filter((d) => d.startsWith(m)).at(-1)!;
  return new Map([
    ['this_week', dates[0]!],
    ['next_week', dates[1]!],
    ['this_month', lastIn(month)],
    ['next_month', lastIn(nextMonth)],
  ]);
}

const round2 = (x: number) => Math.round(x * 100) / 100;

function csvLine(row: FixtureRow, tag: string, offset: number, atm: number): string {
  return [
    istText(row.timestamp),
    'NIFTY',
    tag,
    row.expiry,
    offset,
    row.spot,
    atm,
    row.strike,
    row.ce,
    row.pe,
    round2(row.ce + row.pe),
    row.avgCe,
    row.avgPe,
    round2(row.avgCe + row.avgPe),
    row.ceVol,
    row.peVol,
    row.ceOi,
    row.peOi,
    row.ceIv,
    row.peIv,
    '0.5,-0.5,-10,-10,5,5,0.001,0.001,0.5,-0.5',
  ].join(',');
}

/** Writes the simulated session in the Python layout; returns its rows (one per tag, so some twice). */
function writeSimulatedDay(root: string): FixtureRow[] {
  const market = createTestMarket('NIFTY', 'g6-python-import');
  const files = new Map<string, string[]>();
  const rows: FixtureRow[] = [];
  for (let i = 0; i < CYCLES; i++) {
    const data = market.advance(new Date(FIRST_CYCLE_MS + i * 30_000));
    const atm = Math.round(data.spot / 50) * 50;
    for (const [tag, expiry] of pythonTags(data)) {
      const chain = data.expiries.find((e) => e.expiry === expiry)!;
      const cutoff = TEST_CLOCK.calendar.expiryCutoff(segmentOf(INDEX_SPECS.NIFTY), expiry).getTime();
      const t = (cutoff - data.observedAt.getTime()) / YEAR_MS;
      for (const offset of OFFSETS) {
        const strike = atm + offset;
        const quotes = chain.strikes.find((s) => s.strike === strike)!;
        const call = quotes.call!;
        const put = quotes.put!;
        const row: FixtureRow = {
          timestamp: data.observedAt,
          tag,
          expiry,
          kind: chain.kind,
          spot: data.spot,
          strike,
          ce: call.lastPrice!,
          pe: put.lastPrice!,
          // The Python writer's 0 for "no average yet".
          avgCe: round2(call.averagePrice ?? 0),
          avgPe: round2(put.averagePrice ?? 0),
          ceVol: call.volume,
          peVol: put.volume,
          ceOi: call.oi,
          peOi: put.oi,
          ceIv: round2(market.trueVolatility(strike, t) * 100),
          peIv: round2(market.trueVolatility(strike, t) * 100),
          ceSymbol: call.tradingsymbol,
          peSymbol: put.tradingsymbol,
        };
        rows.push(row);
        const path = join(root, 'NIFTY', tag, offset > 0 ? `+${offset}` : String(offset), '2026-08-18.csv');
        files.set(path, [...(files.get(path) ?? []), csvLine(row, tag, offset, atm)]);
      }
    }
  }
  for (const [path, lines] of files) {
    mkdirSync(join(path, '..'), { recursive: true });
    // The Python csv module ends lines with CRLF.
    writeFileSync(path, `${[HEADER, ...lines].join('\r\n')}\r\n`);
  }
  return rows;
}

const cleanup: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) {
    await step();
  }
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function runImportCli(args: string[], dataDir: string): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk) => out.push(String(chunk)));
  stderr.on('data', (chunk) => err.push(String(chunk)));
  const code = await runImport(args, { G6_DATA_DIR: dataDir }, { stdout, stderr }, { now });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

async function importJson(dir: string, dataDir: string, extra: string[] = []): Promise<Run & { report: ImportReport }> {
  const run = await runImportCli(['g6-python', dir, '--json', ...extra], dataDir);
  const lines = run.stdout.split('\n');
  expect(lines, run.stdout + run.stderr).toHaveLength(2);
  return { ...run, report: JSON.parse(lines[0]!) as ImportReport };
}

const contractKey = (timestampMs: number, expiry: string, strike: number) => `${timestampMs}|${expiry}|${strike}`;

/** Fixture rows by contract (a contract filed under two tags once). */
function byContract(rows: readonly FixtureRow[]): Map<string, FixtureRow> {
  return new Map(rows.map((r) => [contractKey(r.timestamp.getTime(), r.expiry, r.strike), r]));
}

function storeFiles(dataDir: string): Record<string, string> {
  const dir = join(dataDir, 'csv', 'NIFTY', DAY);
  return Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

describe('g6 import g6-python: a simulated session', () => {
  let source: string;
  let fixture: FixtureRow[];

  beforeAll(() => {
    source = mkdtempSync(join(tmpdir(), 'g6-python-day-'));
    fixture = writeSimulatedDay(source);
    return () => rmSync(source, { recursive: true, force: true });
  });

  it('stores every row with its values, as G6-analysed snapshots, and reports the IV comparison', async () => {
    const dataDir = tempDir('g6-import-');
    const { code, report, stderr } = await importJson(source, dataDir);
    expect(code, stderr).toBe(0);
    const contracts = byContract(fixture);
    expect(report).toMatchObject({
      ok: true,
      error: null,
      files: { read: 4 * OFFSETS.length, ignored: 0 },
      days: [{ index: 'NIFTY', date: '2026-08-18', snapshots: CYCLES, otherSnapshots: 0 }],
      snapshots: { written: CYCLES, alreadyStored: 0, rejected: 0 },
      rows: { read: fixture.length, imported: fixture.length, alreadyStored: 0 },
    });
    // next_week and this_month name the same expiry (25 Aug, the monthly): one contract, two files.
    expect(report.rows.merged).toBe(fixture.length - contracts.size);
    expect(report.rows.merged).toBe(CYCLES * OFFSETS.length);
    expect(Object.values(report.rows.skipped).every((n) => n === 0)).toBe(true);

    const history = createCsvHistory({ dataDir });
    const stored = await history.allContractsDay('NIFTY', DAY);
    expect(stored).toHaveLength(2 * contracts.size);
    const seen = new Set<string>();
    for (const record of stored) {
      const key = contractKey(record.timestamp.getTime(), record.expiry, record.strike);
      const row = contracts.get(key);
      expect(row, key).toBeDefined();
      seen.add(`${key}|${record.right}`);
      const ce = record.right === 'CE';
      expect({
        tradingsymbol: record.tradingsymbol,
        spot: record.spot,
        lastPrice: record.lastPrice,
        averagePrice: record.averagePrice,
        volume: record.volume,
        oi: record.oi,
        bid: record.bid,
        ask: record.ask,
      }).toEqual({
        tradingsymbol: ce ? row!.ceSymbol : row!.peSymbol,
        spot: row!.spot,
        lastPrice: ce ? row!.ce : row!.pe,
        averagePrice: (ce ? row!.avgCe : row!.avgPe) === 0 ? null : ce ? row!.avgCe : row!.avgPe,
        volume: ce ? row!.ceVol : row!.peVol,
        oi: ce ? row!.ceOi : row!.peOi,
        bid: null,
        ask: null,
      });
      // G6's own analysis: a solved IV for quotes this close to the money.
      expect(record.iv).not.toBeNull();
    }
    expect(seen.size).toBe(2 * contracts.size);

    const overview = await history.overviewDay('NIFTY', DAY);
    const timestamps = [...new Set(fixture.map((r) => r.timestamp.getTime()))];
    expect([...new Set(overview.map((r) => r.timestamp.getTime()))]).toEqual(timestamps);
    for (const record of overview) {
      const rows = fixture.filter((r) => r.timestamp.getTime() === record.timestamp.getTime());
      expect(record.spot).toBe(rows[0]!.spot);
      const kind = rows.find((r) => r.expiry === record.expiry)!.kind;
      expect(record.expiryKind).toBe(kind);
      expect(expiryKindOf(record.expiry)).toBe(kind);
    }
    expect(overview.map((r) => r.expiry)).toEqual(timestamps.flatMap(() => ['2026-08-18', '2026-08-25', '2026-09-29']));

    // The IV comparison, recomputed from the store: the Python IVs here are percentages.
    const diffs: number[] = [];
    for (const record of stored) {
      const row = contracts.get(contractKey(record.timestamp.getTime(), record.expiry, record.strike))!;
      diffs.push(Math.abs((record.right === 'CE' ? row.ceIv : row.peIv) - record.iv! * 100));
    }
    expect(report.iv).toMatchObject({
      pythonUnit: 'percent',
      pythonAbove2Share: 1,
      compared: stored.length,
      overOneVolPoint: diffs.filter((d) => d > 1).length,
      pythonOnly: 0,
      g6Only: 0,
    });
    expect(Math.abs(report.iv.medianAbsDiffVolPoints! - median(diffs))).toBeLessThanOrEqual(0.001);
  });

  it('carries the expiry tags and ATM offsets that straddles pair on', async () => {
    const dataDir = tempDir('g6-import-');
    expect((await importJson(source, dataDir)).code).toBe(0);
    const history = createCsvHistory({ dataDir });
    const stored = await history.allContractsDay('NIFTY', DAY);
    const tagsOf = (expiry: string) =>
      new Set(stored.filter((r) => r.expiry === expiry).map((r) => r.expiryTags.join('|')));
    expect(tagsOf('2026-08-18')).toEqual(new Set(['THIS_WEEK']));
    expect(tagsOf('2026-08-25')).toEqual(new Set(['NEXT_WEEK|THIS_MONTH']));
    expect(tagsOf('2026-09-29')).toEqual(new Set(['NEXT_MONTH']));
    // Offsets are G6's (listed strikes from the strike nearest the forward): consecutive per snapshot and expiry.
    const groups = new Map<string, ContractRecord[]>();
    for (const record of stored.filter((r) => r.right === 'CE')) {
      const key = `${record.timestamp.getTime()}|${record.expiry}`;
      groups.set(key, [...(groups.get(key) ?? []), record]);
    }
    for (const group of groups.values()) {
      const offsets = group.sort((a, b) => a.strike - b.strike).map((r) => r.offset!);
      expect(offsets).toEqual(offsets.map((_, i) => offsets[0]! + i));
      expect(offsets).toContain(0);
    }

    const contracts = byContract(fixture);
    const rows = await history.offsetRowsDay('NIFTY', DAY, { expiry: null, tag: 'THIS_WEEK', offsets: [0] });
    const series = straddleSeries(rows);
    expect(series).toHaveLength(CYCLES);
    for (const point of series) {
      const row = contracts.get(contractKey(point.timestamp.getTime(), point.expiry, point.strike))!;
      expect(point.expiryTags).toEqual(['THIS_WEEK']);
      expect(point.ce).toBe(row.ce);
      expect(point.pe).toBe(row.pe);
      expect(point.tp).toBeCloseTo(row.ce + row.pe, 9);
    }
    // The monthly, asked for by its tag: the same expiry, whichever tag file its rows came from.
    const monthly = await history.offsetRowsDay('NIFTY', DAY, { expiry: null, tag: 'THIS_MONTH', offsets: [-1, 0, 1] });
    expect(new Set(monthly.map((r) => r.expiry))).toEqual(new Set(['2026-08-25']));
    expect(straddleSeries(monthly)).toHaveLength(CYCLES * 3);
  });

  it('adds nothing when the same files are imported again', async () => {
    const dataDir = tempDir('g6-import-');
    expect((await importJson(source, dataDir)).code).toBe(0);
    const before = storeFiles(dataDir);
    const again = await importJson(source, dataDir);
    expect(again.code).toBe(0);
    expect(again.report).toMatchObject({
      snapshots: { written: 0, alreadyStored: CYCLES, rejected: 0 },
      rows: { read: fixture.length, imported: 0, alreadyStored: fixture.length },
    });
    expect(storeFiles(dataDir)).toEqual(before);
  });

  it('refuses a data directory that another process holds, naming it, and writes nothing', async () => {
    const dataDir = tempDir('g6-import-');
    const lock = await lockDataDir(dataDir, { role: 'all', startedAt: NOW, onCompromised: () => undefined });
    cleanup.push(() => lock.release());
    const run = await runImportCli(['g6-python', source], dataDir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`pid ${process.pid}`);
    expect(run.stderr).toContain('role all');
    expect(run.stdout).toBe('');
    expect(readdirSync(dataDir).filter((n) => n === 'csv')).toEqual([]);
  });

  it('groups the files of one cycle whose timestamps differ by seconds with --group-seconds', async () => {
    // The next_month files written 10 s after the rest of each cycle.
    const shifted = tempDir('g6-python-shifted-');
    const shift = (text: string) =>
      text.replace(/^(\d\d)-(\d\d)-(\d{4}) (\d\d):(\d\d):(\d\d)/gm, (_m, dd, mm, yyyy, hh, mi, ss) =>
        istText(new Date(Date.parse(`${yyyy}-${mm}-${dd}T${hh}:${mi}:${ss}+05:30`) + 10_000)),
      );
    for (const tag of ['this_week', 'next_week', 'this_month', 'next_month']) {
      for (const offset of readdirSync(join(source, 'NIFTY', tag))) {
        const text = readFileSync(join(source, 'NIFTY', tag, offset, '2026-08-18.csv'), 'utf8');
        mkdirSync(join(shifted, 'NIFTY', tag, offset), { recursive: true });
        writeFileSync(join(shifted, 'NIFTY', tag, offset, '2026-08-18.csv'), tag === 'next_month' ? shift(text) : text);
      }
    }
    const exact = await importJson(shifted, tempDir('g6-import-'));
    expect(exact.report.snapshots.written).toBe(2 * CYCLES);

    const dataDir = tempDir('g6-import-');
    const grouped = await importJson(shifted, dataDir, ['--group-seconds', '30']);
    expect(grouped.code).toBe(0);
    expect(grouped.report).toMatchObject({
      groupSeconds: 30,
      snapshots: { written: CYCLES },
      rows: { imported: fixture.length },
    });
    const overview = await createCsvHistory({ dataDir }).overviewDay('NIFTY', DAY);
    // Stamped with the window's start (each cycle's own :00 or :30 here), three expiries each.
    expect([...new Set(overview.map((r) => r.timestamp.getTime()))]).toEqual(
      Array.from({ length: CYCLES }, (_, i) => FIRST_CYCLE_MS + i * 30_000),
    );
    expect(overview).toHaveLength(3 * CYCLES);

    // A window wide enough to take two cycles finds two values per contract (and two index levels): refused.
    const wide = await importJson(shifted, tempDir('g6-import-'), ['--group-seconds', '60']);
    const { 'conflicting-duplicate': duplicate, 'conflicting-spot': spot } = wide.report.rows.skipped;
    expect(duplicate).toBeGreaterThan(0);
    expect(duplicate + spot).toBe(fixture.length);
    expect(wide.report.snapshots.written).toBe(0);
    expect(wide.code).toBe(1);
  });

  it('imports only the indices and days asked for', async () => {
    const other = await importJson(source, tempDir('g6-import-'), ['--index', 'BANKNIFTY']);
    expect(other.code).toBe(1);
    expect(other.report.files.read).toBe(0);
    expect(other.report.error).toContain('no Python G6 day files');
    const later = await importJson(source, tempDir('g6-import-'), ['--from', '2026-08-19']);
    expect(later.report.files.read).toBe(0);
    const day = await importJson(source, tempDir('g6-import-'), [
      '--index',
      'nifty',
      '--from',
      '2026-08-18',
      '--to',
      '2026-08-18',
    ]);
    expect(day.report.snapshots.written).toBe(CYCLES);
  });

  it('runs from the built program: summary on stdout, progress on stderr', async () => {
    const dataDir = tempDir('g6-import-');
    const script =
      "const { runImport } = await import('./dist/cli/import-g6-python.js');" +
      'process.exitCode = await runImport(process.argv.slice(1), process.env, { stdout: process.stdout, stderr: process.stderr });';
    const run = runToEnd(process.execPath, ['--input-type=module', '-e', script, 'g6-python', source], {
      env: {
        PATH: process.env.PATH ?? '',
        G6_DATA_DIR: dataDir,
        [TEST_RUN_VARIABLE]: process.env[TEST_RUN_VARIABLE] ?? '',
      },
      timeoutMs: 120_000,
    });
    onTestFinished(() => {
      run.child.kill('SIGKILL');
    });
    const { code, stdout, stderr } = await run.finished;
    expect(code, stderr).toBe(0);
    expect(stdout).toContain(`snapshots  ${CYCLES} written, 0 already stored, 0 rejected`);
    expect(stdout).toContain(`rows       ${fixture.length} read: ${fixture.length} imported`);
    expect(stdout).toMatch(/IV {9}Python IVs read as percent/);
    expect(stdout).toMatch(/rows\/s\)/);
    // Not a terminal: a start line, a line per tenth, and the end.
    const lines = stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^import {2}0\/20 files/);
    expect(lines.at(-1)).toMatch(/^import {2}20\/20 files {2}100%.*done in/);
  });
});

describe('g6 import g6-python: rows it cannot map', () => {
  const EXPECTED: Record<SkipReason, number> = {
    'malformed-line': 1,
    'missing-columns': 2,
    'bad-timestamp': 2,
    'unknown-index': 2,
    'unknown-expiry-tag': 1,
    'bad-expiry-date': 2,
    'path-mismatch': 3,
    'outside-file-date': 1,
    'bad-number': 4,
    'missing-values': 3,
    'strike-offset-mismatch': 1,
    'off-grid-strike': 1,
    'conflicting-duplicate': 2,
    'conflicting-spot': 2,
    expired: 1,
    'analysis-failed': 0,
    'sink-rejected': 2,
  };

  it('counts each bad row under its reason and imports none of them', async () => {
    const dataDir = tempDir('g6-import-');
    const { code, report } = await importJson(fixturePath('g6-python/bad-rows'), dataDir);
    expect(code).toBe(0);
    expect(Object.keys(report.rows.skipped)).toEqual([...SKIP_REASONS]);
    expect(report.rows.skipped).toEqual(EXPECTED);
    const skipped = Object.values(EXPECTED).reduce((a, b) => a + b, 0);
    expect(report.rows).toMatchObject({ read: 35, imported: 5, alreadyStored: 0, merged: 1 });
    expect(report.rows.read).toBe(report.rows.imported + skipped);
    expect(report.snapshots).toEqual({ written: 3, alreadyStored: 0, rejected: 1 });
    expect(report.rejections).toEqual(['2026-08-18T05:36:00.000Z: total_call_oi is missing or not finite']);
    expect(report.files).toEqual({
      read: 5,
      ignored: 2,
      ignoredExamples: ['NIFTY/this_week/2026-08-18_debug.json', 'overview/NIFTY/2026-08-18.csv'],
    });
    // These IVs are decimals (what the Python G6's own solver writes).
    expect(report.iv.pythonUnit).toBe('decimal');

    const stored = await createCsvHistory({ dataDir }).allContractsDay('NIFTY', DAY);
    const view = stored.map((r) => ({
      at: r.timestamp.toISOString(),
      expiry: r.expiry,
      strike: r.strike,
      right: r.right,
      lastPrice: r.lastPrice,
      averagePrice: r.averagePrice,
      volume: r.volume,
      oi: r.oi,
    }));
    expect(view).toEqual([
      {
        at: '2026-08-18T05:30:00.000Z',
        expiry: '2026-08-18',
        strike: 24650,
        right: 'CE',
        lastPrice: 42.5,
        averagePrice: 40.1,
        volume: 1500000,
        oi: 5000000,
      },
      {
        at: '2026-08-18T05:30:00.000Z',
        expiry: '2026-08-18',
        strike: 24650,
        right: 'PE',
        lastPrice: 80.1,
        averagePrice: 82.3,
        volume: 1200000,
        oi: 4000000,
      },
      {
        at: '2026-08-18T05:30:00.000Z',
        expiry: '2026-09-29',
        strike: 24650,
        right: 'CE',
        lastPrice: 310.5,
        averagePrice: 305.1,
        volume: 1500000,
        oi: 5000000,
      },
      {
        at: '2026-08-18T05:30:00.000Z',
        expiry: '2026-09-29',
        strike: 24650,
        right: 'PE',
        lastPrice: 290.2,
        averagePrice: 295.4,
        volume: 1200000,
        oi: 4000000,
      },
      // No ce: the call is stored without a price, with the volume and OI the row has.
      {
        at: '2026-08-18T05:30:30.000Z',
        expiry: '2026-08-18',
        strike: 24650,
        right: 'CE',
        lastPrice: null,
        averagePrice: null,
        volume: 1500650,
        oi: 5000065,
      },
      {
        at: '2026-08-18T05:30:30.000Z',
        expiry: '2026-08-18',
        strike: 24650,
        right: 'PE',
        lastPrice: 80.1,
        averagePrice: 82.3,
        volume: 1200000,
        oi: 4000000,
      },
      // The Python writer's zeros for a leg: no price, nothing traded.
      {
        at: '2026-08-18T05:31:00.000Z',
        expiry: '2026-08-18',
        strike: 24650,
        right: 'CE',
        lastPrice: null,
        averagePrice: null,
        volume: 0,
        oi: 0,
      },
      {
        at: '2026-08-18T05:31:00.000Z',
        expiry: '2026-08-18',
        strike: 24650,
        right: 'PE',
        lastPrice: 80.1,
        averagePrice: 82.3,
        volume: 1200000,
        oi: 4000000,
      },
    ]);
    expect(stored.map((r) => r.tradingsymbol)).toEqual([
      'NIFTY2681824650CE',
      'NIFTY2681824650PE',
      'NIFTY26SEP24650CE',
      'NIFTY26SEP24650PE',
      'NIFTY2681824650CE',
      'NIFTY2681824650PE',
      'NIFTY2681824650CE',
      'NIFTY2681824650PE',
    ]);
  });

  it('prints the reasons as a table', async () => {
    const run = await runImportCli(['g6-python', fixturePath('g6-python/bad-rows')], tempDir('g6-import-'));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('rows       35 read: 5 imported, 0 already stored, 30 skipped');
    expect(run.stdout).toMatch(/\n {2}reason +rows {2}meaning\n/);
    expect(run.stdout).toMatch(/\n {2}conflicting-duplicate +2 {2}another row of the same snapshot/);
    expect(run.stdout).not.toContain('analysis-failed');
  });

  it('rejects bad arguments with exit 2 and the usage', async () => {
    const dataDir = tempDir('g6-import-');
    const dir = fixturePath('g6-python/bad-rows');
    for (const args of [
      [],
      ['csv', dir],
      ['g6-python'],
      ['g6-python', dir, 'extra'],
      ['g6-python', dir, '--from', '2026-8-18'],
      ['g6-python', dir, '--from', '2026-08-19', '--to', '2026-08-18'],
      ['g6-python', dir, '--group-seconds', '-1'],
      ['g6-python', dir, '--group-seconds', '1.5'],
      ['g6-python', dir, '--index', 'NIFTY,NOPE'],
      ['g6-python', dir, '--speed', '2'],
      ['g6-python', join(dir, 'NIFTY', 'this_week', '+50', '2026-08-18.csv')],
    ]) {
      const run = await runImportCli(args, dataDir);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toContain('g6 import:');
      expect(run.stdout).toBe('');
    }
    expect(readdirSync(dataDir)).toEqual([]);
    const help = await runImportCli(['--help'], dataDir);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: g6 import g6-python <dir>');
  });
});

describe('g6 import g6-python: expiry tags the files prove', () => {
  const tags = (entries: Array<[string, ExpiryTag[]]>) => new Map(entries);
  const filed = (entries: Array<[string, ExpiryTag[]]>) => new Map(entries.map(([e, t]) => [e, new Set(t)]));

  it("keeps G6's tags where the Python tags and the dates prove them, and drops the rest", () => {
    // 27 Aug 2026, after August's monthly (25th): the Python this_month falls back to the nearest expiry.
    const afterMonthly = new Date('2026-08-27T05:00:00Z');
    expect(
      provenExpiryTags(
        afterMonthly,
        tags([
          ['2026-09-01', ['THIS_WEEK']],
          ['2026-09-08', ['NEXT_WEEK']],
          ['2026-09-29', ['THIS_MONTH']],
        ]),
        filed([
          ['2026-09-01', ['THIS_WEEK', 'THIS_MONTH']],
          ['2026-09-08', ['NEXT_WEEK']],
          ['2026-09-29', ['NEXT_MONTH']],
        ]),
      ),
    ).toEqual(
      tags([
        ['2026-09-01', ['THIS_WEEK']],
        ['2026-09-08', ['NEXT_WEEK']],
        ['2026-09-29', ['THIS_MONTH']],
      ]),
    );
    // Only next_month collected on 18 Aug: G6 would call September's monthly THIS_WEEK and THIS_MONTH; unproven.
    expect(
      provenExpiryTags(
        new Date('2026-08-18T05:00:00Z'),
        tags([['2026-09-29', ['THIS_WEEK', 'THIS_MONTH']]]),
        filed([['2026-09-29', ['NEXT_MONTH']]]),
      ),
    ).toEqual(tags([['2026-09-29', []]]));
    // The Python default for NIFTY (this_week, next_week) in the monthly's week: THIS_MONTH is provable by date.
    expect(
      provenExpiryTags(
        new Date('2026-08-20T05:00:00Z'),
        tags([
          ['2026-08-25', ['THIS_WEEK', 'THIS_MONTH']],
          ['2026-09-01', ['NEXT_WEEK']],
        ]),
        filed([
          ['2026-08-25', ['THIS_WEEK']],
          ['2026-09-01', ['NEXT_WEEK']],
        ]),
      ),
    ).toEqual(
      tags([
        ['2026-08-25', ['THIS_WEEK', 'THIS_MONTH']],
        ['2026-09-01', ['NEXT_WEEK']],
      ]),
    );
  });
});
