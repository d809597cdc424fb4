/**
 * History reads from the CSV store against compacted Parquet days (issue 16), on the built code: the
 * "history" phase of `npm run bench` (`history` in bench/results.json), or alone with
 * `npm run build && node bench/history-parquet.mjs` (prints the JSON; G6_BENCH_KEEP=1 keeps the data dir,
 * G6_BENCH_SNAPSHOTS=<n> writes a shorter day).
 *
 * One synthetic NIFTY session is written through the real CSV day files: 09:15–15:30 IST at 30 s is 750
 * snapshots of ±30 strikes × 2 rights × every listed expiry, at the server's default analysis settings.
 * It is compacted with `compactDay`; the other days of the multi-day figures are copies of it. CSV copies
 * are hard links (a CSV scan costs the same whatever the timestamps say); Parquet copies are real files,
 * written by DuckDB with the timestamps shifted by whole days, so every day has its own file and footer.
 * Weekday profiles are built with `createProfileStore` from the Parquet copies and one series is read back.
 * Figures are machine-dependent: compare them within one run. Every temp dir is removed at the end.
 */
import {
  closeSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emptyProfile, foldDay } from '../dist/analytics/weekday-profile.js';
import { buildIndexSnapshot, tradingDayOf } from '../dist/collectors/collect-once.js';
import { DayBaselines } from '../dist/collectors/day-baselines.js';
import { DEFAULT_EXCHANGE_CALENDAR } from '../dist/domain/calendar/default-calendar.js';
import { INDEX_SPECS } from '../dist/domain/indices.js';
import { createSimulatedSessionClock } from '../dist/domain/market-clock.js';
import { createCsvHistory } from '../dist/history/csv-history.js';
import { compactDay } from '../dist/history/day-compaction.js';
import { createParquetEngine } from '../dist/history/parquet-engine.js';
import { createParquetHistory } from '../dist/history/parquet-history.js';
import { sqlString } from '../dist/history/parquet-schema.js';
import { observeDay, profileKey } from '../dist/history/profile-day.js';
import { createProfileStore, weekdayOfDay } from '../dist/history/profile-store.js';
import { createStoredHistory } from '../dist/history/stored-history.js';
import { SimulatedIndexMarket } from '../dist/providers/simulated/simulated-market.js';
import { openCsvDay } from '../dist/sinks/csv-day-files.js';
import { renderSnapshot } from '../dist/sinks/csv-rows.js';

const BENCH_CLOCK = createSimulatedSessionClock(DEFAULT_EXCHANGE_CALENDAR);
const SETTINGS = {
  conventions: {
    model: 'BLACK_76',
    forwardSource: 'PUT_CALL_PARITY',
    rate: 0.065,
    dividendYield: 0,
    timeBasis: 'CALENDAR_365',
    priceRule: 'MID_ELSE_LAST',
  },
  strikesAroundAtm: 30,
  clock: BENCH_CLOCK,
  staleAfterMs: 600_000,
};
/** The server's defaults at the 30 s cadence (src/config.ts: G6_PROFILE_*). */
const PROFILE_SETTINGS = { bucketSeconds: 30, alpha: 0.5, maxOffset: 10 };
const PROFILE_QUERY = { tag: 'THIS_WEEK', offset: 0, weekday: 'TUESDAY' };
/**
 * Days the profiles are built over: 2 s a day to fold here (a Parquet read of ≈220,000 rows), so not all
 * 30. Nine days from a Monday hold two Tuesdays; the series file's size (what the query reads) depends on
 * the buckets, not on the number of days.
 */
const DEFAULT_PROFILE_DAYS = 9;
const SESSION_START_MS = Date.parse('2026-08-03T03:45:00Z');
const DAY_MS = 86_400_000;
const FIRST_DAY = '20260803';
const INDEX = 'NIFTY';
/** Rows per row group, the compactor's default: passed to it and used for the copies alike. */
const ROW_GROUP_ROWS = 16_384;

/** Issue 16's targets, each for one run of this bench. */
const TARGETS = {
  oneContractOneDayMs: 50,
  oneContract20DaysMs: 300,
  weekdayProfileMs: 50,
  overview30DaysMs: 100,
  /** A closed day's Parquet bytes at most this fraction of its CSV bytes. */
  closedDayBytesFraction: 1 / 5,
};

const OVERVIEW_FOUR_FIELDS = ['spot', 'atmIv', 'pcrOi', 'maxPainStrike'];

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const round = (ms) => Math.round(ms * 10) / 10;
const dayOf = (offset) => new Date(SESSION_START_MS + offset * DAY_MS).toISOString().slice(0, 10).replaceAll('-', '');

/** Runs `run` `repeats` times; keeps only the row count of each result, so large results can be collected. */
async function timed(repeats, run, count) {
  const times = [];
  let rows = 0;
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    const result = await run();
    times.push(performance.now() - started);
    rows = count(result);
  }
  return { firstMs: round(times[0]), medianMs: round(median(times)), runs: repeats, rows };
}

const listRows = (result) => result.length;
const mapRows = (id) => (result) => result.get(id).length;
const flatRows = (result) => result.flat().length;
/** The `history` resolver's default series: each snapshot's nearest expiry (rows come by time, then expiry). */
const nearestOfEach = (rows) =>
  rows.filter((r, i) => i === 0 || rows[i - 1].timestamp.getTime() !== r.timestamp.getTime());

/** One target: the CSV scan against the Parquet read (both in ms), the ratio csv/parquet, and whether it is met. */
function target(csv, parquet, targetMs, what) {
  return {
    what,
    csvMs: csv,
    parquetMs: parquet,
    ratio: round(csv / parquet),
    targetMs,
    met: parquet <= targetMs,
  };
}

async function writeDay(dataDir, snapshots) {
  const market = new SimulatedIndexMarket({
    spec: INDEX_SPECS.NIFTY,
    seed: 'bench-history-parquet',
    clock: BENCH_CLOCK,
    rate: SETTINGS.conventions.rate,
    dividendYield: 0,
  });
  const baselines = new DayBaselines();
  const files = await openCsvDay(join(dataDir, 'csv', INDEX, FIRST_DAY), FIRST_DAY);
  let rows = 0;
  for (let i = 0; i < snapshots; i++) {
    const data = market.advance(new Date(SESSION_START_MS + i * 30_000));
    const snapshot = buildIndexSnapshot(data, i + 1, SETTINGS, baselines.observe(data, tradingDayOf(SETTINGS, data)));
    const rendered = renderSnapshot(snapshot);
    rows += rendered.optionsRows;
    await files.append(rendered);
  }
  await files.close();
  return rows;
}

/** A contract from the middle of the day's options file (read without loading the file): by symbol and terms. */
function middleContract(path) {
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.alloc(1 << 16);
    const headerLine = chunk
      .subarray(0, readSync(fd, chunk, 0, chunk.length, 0))
      .toString('latin1')
      .split('\n')[0];
    const header = headerLine.split(',');
    const text = chunk.subarray(0, readSync(fd, chunk, 0, chunk.length, Math.floor(statSync(path).size / 2)));
    const line = text.toString('latin1').split('\n')[1].split(',');
    const field = (name) => line[header.indexOf(name)];
    return {
      key: { tradingsymbol: field('tradingsymbol') },
      terms: { expiry: field('expiry'), strike: Number(field('strike')), right: field('option_type') },
    };
  } finally {
    closeSync(fd);
  }
}

/** Parquet day `offset` as a copy of the compacted first day, its instants moved by `offset` days. */
async function copyParquetDay(engine, dataDir, offset, manifest) {
  const from = join(dataDir, 'csv', INDEX, FIRST_DAY);
  const day = dayOf(offset);
  const to = join(dataDir, 'parquet-copies', 'csv', INDEX, day);
  mkdirSync(to, { recursive: true });
  await engine.withConnection(async (connection) => {
    for (const table of ['options', 'overview']) {
      const shift = `"timestamp" + INTERVAL ${offset} DAY AS "timestamp", "last_trade_time" + INTERVAL ${offset} DAY AS "last_trade_time"`;
      const replace = table === 'options' ? shift : `"timestamp" + INTERVAL ${offset} DAY AS "timestamp"`;
      // No ORDER BY: the source is sorted already, a uniform shift keeps it so, and DuckDB keeps insertion
      // order (preserve_insertion_order, on by default); the sort would double the copy's time.
      await connection.run(
        `COPY (SELECT * REPLACE (${replace}) FROM read_parquet(${sqlString(join(from, `${table}.parquet`))})) ` +
          `TO ${sqlString(join(to, `${table}.parquet`))} ` +
          `(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${ROW_GROUP_ROWS}, PARQUET_VERSION V2)`,
      );
    }
  });
  writeFileSync(join(to, 'compacted.json'), JSON.stringify({ ...manifest, day }));
}

const PROFILE_OFFSETS = Array.from(
  { length: 2 * PROFILE_SETTINGS.maxOffset + 1 },
  (_, i) => i - PROFILE_SETTINGS.maxOffset,
);
/** The rows a profile is folded from: every expiry, the profiled offsets (the profile store's own selection). */
const PROFILE_SELECTION = { expiry: null, tag: null, offsets: PROFILE_OFFSETS };

/** The profile store's source (`ProfileSource`) over the first `count` compacted days. */
function parquetProfileSource(history, count) {
  return {
    days: async (index) => (await history.days(index)).slice(0, count),
    offsetRowsDay: (index, day, select) => history.offsetRowsDay(index, day, select),
  };
}

/**
 * Builds the weekday profiles over `profileDays` compacted days, then reads one series: cold (a new store
 * each time, so the file is read and decoded) and warm (the same store again). Its CSV figure is what the
 * same series costs without stored profiles: the days of that weekday folded from their CSV files (the same
 * offsetRowsDay selection, which parses every row of the day).
 */
async function measureProfiles({ history, csvDir, dataDir, days, profileDays, progress }) {
  const profileDir = join(dataDir, 'profile-store');
  const source = parquetProfileSource(history, profileDays);
  const builder = createProfileStore({ dataDir: profileDir, source, settings: PROFILE_SETTINGS });
  const started = performance.now();
  const built = await builder.rebuild(INDEX, days[profileDays - 1], (day, done, total) =>
    progress(`weekday profiles: folded ${day} (${done}/${total})`),
  );
  const buildMs = Math.round(performance.now() - started);
  const { tag, offset, weekday } = PROFILE_QUERY;
  const seriesFile = join(profileDir, 'profiles', INDEX, tag, weekday, `${offset}.json`);
  const read = (store) => store.profile(INDEX, tag, offset, weekday);
  const cold = await timed(
    5,
    () => read(createProfileStore({ dataDir: profileDir, source, settings: PROFILE_SETTINGS })),
    (p) => p.buckets.size,
  );
  const store = createProfileStore({ dataDir: profileDir, source, settings: PROFILE_SETTINGS });
  await read(store);
  const warm = await timed(
    20,
    () => read(store),
    (p) => p.buckets.size,
  );
  const weekdayDays = days.slice(0, profileDays).filter((d) => weekdayOfDay(d) === weekday);

  progress(`weekday profiles: the same series from ${weekdayDays.length} CSV days`);
  const csvHistory = createCsvHistory({ dataDir: csvDir });
  const key = profileKey(tag, offset);
  const onDemand = await timed(
    1,
    async () => {
      const profile = emptyProfile(PROFILE_SETTINGS.bucketSeconds, PROFILE_SETTINGS.alpha);
      for (const day of weekdayDays) {
        const observed = await observeDay(
          await csvHistory.offsetRowsDay(INDEX, day, PROFILE_SELECTION),
          PROFILE_SETTINGS.bucketSeconds,
          PROFILE_SETTINGS.maxOffset,
        );
        foldDay(profile, day, observed.get(key) ?? new Map());
      }
      return profile;
    },
    (p) => p.buckets.size,
  );
  return {
    ...target(
      onDemand.medianMs,
      cold.medianMs,
      TARGETS.weekdayProfileMs,
      `store.profile(${INDEX}, ${tag}, ${offset}, ${weekday}), cold: a new store, first read of the series file (the OS page cache holds it); CSV: that series folded from a scan of the ${weekday} CSV days`,
    ),
    profileDays,
    profileDaysNote:
      profileDays < days.length
        ? `profiles built over the first ${profileDays} of the ${days.length} stored days: folding costs ≈2 s a day here, and the query reads one series file whose size depends on the buckets, not the days`
        : 'profiles built over every stored day',
    weekdayDays,
    source: 'the Parquet copies: offsetRowsDay of ±maxOffset, every expiry, the offset filter in the query',
    settings: PROFILE_SETTINGS,
    buildMs,
    buildMsPerDay: Math.round(buildMs / built.folded.length),
    foldedDays: built.folded.length,
    seriesFileBytes: statSync(seriesFile).size,
    cold,
    warm,
    csvOnDemand: onDemand,
  };
}

/**
 * Runs the whole measurement in a temp dir it removes at the end, failed or not (unless `keep`).
 * `progress(step)` names each step as it starts; `snapshots` (750) sets the day's length and `profileDays`
 * (9) the days the profiles are built over. At 750 snapshots on 2 cores: ≈2 minutes, ≈1.8 GB of disk
 * and ≈3 GB of memory at its peak (every contract row of a day decoded at once).
 */
export async function measureHistory(options = {}) {
  const progress = options.progress ?? (() => {});
  const snapshots = options.snapshots ?? 750;
  const profileDays = options.profileDays ?? DEFAULT_PROFILE_DAYS;
  const phaseStarted = performance.now();
  const dataDir = mkdtempSync(join(tmpdir(), 'g6-bench-parquet-'));
  let engine = null;
  let history = null;
  try {
    const out = { machine: { cpus: cpus().length, node: process.version }, snapshots };
    const details = { csv: {}, parquet: {} };
    progress(`writing one CSV day (${snapshots} snapshots)`);
    let started = performance.now();
    const optionsRows = await writeDay(dataDir, snapshots);
    const writeDayMs = Math.round(performance.now() - started);
    const firstDir = join(dataDir, 'csv', INDEX, FIRST_DAY);
    const csvOptionsBytes = statSync(join(firstDir, 'options.csv')).size;
    const csvOverviewBytes = statSync(join(firstDir, 'overview.csv')).size;

    // CSV days 2–30: hard links to day 1's files.
    const csvDir = join(dataDir, 'csv-copies');
    const days = Array.from({ length: 30 }, (_, i) => dayOf(i));
    for (const day of days) {
      const dir = join(csvDir, 'csv', INDEX, day);
      mkdirSync(dir, { recursive: true });
      for (const name of ['options.csv', 'overview.csv']) {
        linkSync(join(firstDir, name), join(dir, name));
      }
    }

    progress('CSV scans');
    const csvHistory = createCsvHistory({ dataDir: csvDir });
    const { key, terms } = middleContract(join(firstDir, 'options.csv'));
    const id = `s:${key.tradingsymbol}`;
    details.csv.oneContractOneDay = await timed(3, () => csvHistory.contractsDay(INDEX, FIRST_DAY, [key]), mapRows(id));
    details.csv.oneContract20Days = await timed(
      1,
      () => Promise.all(days.slice(0, 20).map((day) => csvHistory.contractsDay(INDEX, day, [key]))),
      (maps) => maps.reduce((sum, m) => sum + m.get(id).length, 0),
    );
    // As the `history` resolver reads today: every overview row of each day (a new reader: nothing cached).
    details.csv.overview30DaysNearestExpiry = await timed(
      1,
      async () => {
        const fresh = createCsvHistory({ dataDir: csvDir });
        return nearestOfEach((await Promise.all(days.map((day) => fresh.overviewDay(INDEX, day)))).flat());
      },
      listRows,
    );
    // The CSV history keeps decoded overview days too: its second read of the same days.
    await Promise.all(days.map((day) => csvHistory.overviewDay(INDEX, day)));
    details.csv.overview30DaysCachedSecondRead = await timed(
      2,
      () => Promise.all(days.map((day) => csvHistory.overviewDay(INDEX, day))),
      flatRows,
    );

    progress('compacting the day');
    engine = createParquetEngine();
    const steps = {};
    started = performance.now();
    const compaction = await compactDay({
      dataDir,
      index: INDEX,
      day: FIRST_DAY,
      isClosed: () => true,
      engine,
      rowGroupRows: ROW_GROUP_ROWS,
      onStep: (step) => {
        steps[step] = Math.round(performance.now() - started);
      },
    });
    const compactionMs = Math.round(performance.now() - started);
    const { tables } = compaction.manifest;
    const parquetBytes = tables.options.bytes + tables.overview.bytes;
    const csvBytes = csvOptionsBytes + csvOverviewBytes;
    out.day = {
      optionsRows,
      overviewRows: tables.overview.rows,
      csvBytes,
      parquetBytes,
      ratio: round(csvBytes / parquetBytes),
    };
    out.compaction = {
      status: compaction.status,
      writeMs: steps['parquet-written'],
      verifyMs: steps.verified - steps['parquet-written'],
      totalMs: compactionMs,
      stepsAtMs: steps,
      rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
    };

    progress('copying the Parquet day to 30 days');
    started = performance.now();
    for (let offset = 0; offset < days.length; offset++) {
      await copyParquetDay(engine, dataDir, offset, compaction.manifest);
    }
    const copyDaysMs = Math.round(performance.now() - started);

    progress('Parquet reads');
    // A fresh reader and DuckDB instance: the first query pays the instance start and the footers.
    history = createParquetHistory({ dataDir: join(dataDir, 'parquet-copies') });
    Object.assign(details.parquet, {
      oneContractOneDay: await timed(10, () => history.contractsDay(INDEX, FIRST_DAY, [key]), mapRows(id)),
      oneContractOneDayByTerms: await timed(
        10,
        () => history.contractsDay(INDEX, FIRST_DAY, [terms]),
        mapRows(`t:${terms.expiry}:${terms.strike}:${terms.right}`),
      ),
      oneContract20Days: await timed(5, () => history.contractsDays(INDEX, days.slice(0, 20), [key]), mapRows(id)),
      overview30DaysAllRows: await timed(5, () => history.overviewDays(INDEX, days), listRows),
      // Only the fields a query selects decoded (the `history` resolver passes them); nothing is kept, so
      // every run is a first read. Measured before the all-fields reads below, which keep their days.
      overview30DaysNearestExpiryFourFields: await timed(
        5,
        () => history.overviewDays(INDEX, days, { nearest: true }, OVERVIEW_FOUR_FIELDS),
        listRows,
      ),
      overview30DaysOneExpiryFourFields: await timed(
        5,
        () => history.overviewDays(INDEX, days, { expiry: terms.expiry }, OVERVIEW_FOUR_FIELDS),
        listRows,
      ),
      // Every field: the first run reads and decodes the 30 days and keeps them; later runs are served
      // from the kept days (firstMs is the first read, medianMs a repeated one).
      overview30DaysNearestExpiry: await timed(5, () => history.overviewDays(INDEX, days, { nearest: true }), listRows),
      overview30DaysOneExpiry: await timed(
        5,
        () => history.overviewDays(INDEX, days, { expiry: terms.expiry }),
        listRows,
      ),
      // As the `history` resolver reads today (one overviewDay per day): the first run decodes, later ones
      // hit the reader's cache of decoded days.
      overview30DaysAsOverviewDayCalls: await timed(
        3,
        () => Promise.all(days.map((day) => history.overviewDay(INDEX, day))),
        flatRows,
      ),
    });

    progress('weekday profiles');
    const profile = await measureProfiles({
      history,
      csvDir,
      dataDir,
      days,
      profileDays: Math.min(profileDays, days.length),
      progress,
    });

    progress('overview series warmed as a restarted server does');
    // A new store and DuckDB instance, as after a restart: the profile updater's queue warms the last 30
    // compacted days (instance start included), then a user's first read of the month.
    const restarted = createStoredHistory({ dataDir: join(dataDir, 'parquet-copies') });
    try {
      started = performance.now();
      const warmed = await restarted.warmOverviewSeries(INDEX, 30);
      details.parquet.overviewWarmAtStart = { ms: round(performance.now() - started), days: warmed.length };
      details.parquet.overview30DaysAfterWarm = await timed(
        5,
        () => restarted.overviewDays(INDEX, days, { nearest: true }),
        listRows,
      );
      details.parquet.overview30DaysAfterWarmFourFields = await timed(
        5,
        () => restarted.overviewDays(INDEX, days, { nearest: true }, OVERVIEW_FOUR_FIELDS),
        listRows,
      );
    } finally {
      await restarted.close();
    }

    progress('Parquet: every contract row of a day');
    details.parquet.allContractsOneDay = await timed(1, () => history.allContractsDay(INDEX, FIRST_DAY), listRows);
    details.parquet.rssMiB = Math.round(process.memoryUsage().rss / 2 ** 20);

    const { csv, parquet } = details;
    out.targets = {
      oneContractOneDay: target(
        csv.oneContractOneDay.medianMs,
        parquet.oneContractOneDay.medianMs,
        TARGETS.oneContractOneDayMs,
        'contractsDay by tradingsymbol over one stored day (median; Parquet: the engine already open)',
      ),
      oneContract20Days: target(
        csv.oneContract20Days.medianMs,
        parquet.oneContract20Days.medianMs,
        TARGETS.oneContract20DaysMs,
        'one contract by tradingsymbol over 20 stored days (CSV: 20 contractsDay scans at once; Parquet: one contractsDays query)',
      ),
      weekdayProfile: profile,
      overview30Days: target(
        csv.overview30DaysNearestExpiry.medianMs,
        parquet.overview30DaysNearestExpiry.medianMs,
        TARGETS.overview30DaysMs,
        "the `history` query's default series over 30 days, every field, read again (a dashboard's refresh, another user): each snapshot's nearest expiry, the compacted days kept decoded by the first read (CSV: every overview row of each day read, then filtered)",
      ),
      overview30DaysFirstRead: target(
        csv.overview30DaysNearestExpiry.firstMs,
        parquet.overview30DaysNearestExpiry.firstMs,
        TARGETS.overview30DaysMs,
        'the same, every field, cold first read (no warm: an API replica, or days older than the last 30): one DuckDB query over the 30 files, every column decoded into records',
      ),
      overview30DaysFirstReadAfterWarm: target(
        csv.overview30DaysNearestExpiry.firstMs,
        parquet.overview30DaysAfterWarm.firstMs,
        TARGETS.overview30DaysMs,
        `the same, every field, a user's first read after a restart: the writing server warmed the last 30 compacted days in the background first (${parquet.overviewWarmAtStart.ms} ms, DuckDB instance start included); an API replica or older days read cold as above`,
      ),
      overview30DaysSelectedFieldsAfterWarm: target(
        csv.overview30DaysNearestExpiry.firstMs,
        parquet.overview30DaysAfterWarmFourFields.firstMs,
        TARGETS.overview30DaysMs,
        'the same four fields, first read after the start-up warm: picked from the kept all-fields series',
      ),
      overview30DaysSelectedFields: target(
        csv.overview30DaysNearestExpiry.medianMs,
        parquet.overview30DaysNearestExpiryFourFields.medianMs,
        TARGETS.overview30DaysMs,
        "the same series as the `history` query reads it for a chart, cold (no warm, nothing kept): only the selected fields decoded (four: the resolver passes the operation's selection to overviewDays)",
      ),
      closedDayBytes: {
        what: 'one closed day: CSV files (options + overview) against its Parquet files',
        csvBytes,
        parquetBytes,
        ratio: out.day.ratio,
        targetBytes: Math.floor(csvBytes * TARGETS.closedDayBytesFraction),
        met: parquetBytes <= csvBytes * TARGETS.closedDayBytesFraction,
      },
    };
    out.allTargetsMet = Object.values(out.targets).every((t) => t.met);
    out.details = details;
    out.timings = {
      writeDayMs,
      copyDaysMs,
      profileBuildMs: profile.buildMs,
      phaseMs: Math.round(performance.now() - phaseStarted),
    };
    return out;
  } finally {
    await history?.close().catch(() => {});
    await engine?.close().catch(() => {});
    if (options.keep === true) {
      process.stderr.write(`history bench: data kept in ${dataDir}\n`);
    } else {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const results = await measureHistory({
    keep: process.env.G6_BENCH_KEEP === '1',
    ...(process.env.G6_BENCH_SNAPSHOTS === undefined ? {} : { snapshots: Number(process.env.G6_BENCH_SNAPSHOTS) }),
    progress: (step) => process.stderr.write(`history bench: ${step}\n`),
  });
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}
