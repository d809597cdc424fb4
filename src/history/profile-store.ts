import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  emptyProfile,
  foldDay,
  PROFILE_METRICS,
  type ProfileBucket,
  type RunningStat,
  type WeekdayProfileState,
} from '../analytics/weekday-profile.ts';
import { EXPIRY_TAGS, type ExpiryTag } from '../domain/expiry-tags.ts';
import type { IndexSymbol } from '../domain/indices.ts';
import { isoWeekday } from '../domain/ist-time.ts';
import type { ContractRecord } from '../domain/stored-fields.ts';
import type { OffsetSelection } from './csv-history.ts';
import { observeDay, profileKey } from './profile-day.ts';

export const WEEKDAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** The weekday of a stored day (`YYYYMMDD`). */
export const weekdayOfDay = (day: string): Weekday =>
  WEEKDAYS[isoWeekday(`${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}`) - 1]!;

export interface ProfileSettings {
  /** Time-of-day bucket, seconds (the collection interval's grid by default). */
  readonly bucketSeconds: number;
  /** EMA weight of the newest day. */
  readonly alpha: number;
  /** Offsets from ATM profiled: −maxOffset … +maxOffset. */
  readonly maxOffset: number;
}

/** What the profiles are built from: the stored days and their contract rows near ATM. */
export interface ProfileSource {
  days(index: IndexSymbol): Promise<string[]>;
  offsetRowsDay(index: IndexSymbol, day: string, select: OffsetSelection): Promise<readonly ContractRecord[]>;
}

export interface ProfileUpdate {
  readonly index: IndexSymbol;
  /** Days folded in this run, oldest first. */
  readonly folded: readonly string[];
  /** Weekdays rebuilt from scratch (a day older than the last folded one arrived, or the settings changed). */
  readonly rebuilt: readonly Weekday[];
}

export interface ProfileStore {
  readonly settings: ProfileSettings;
  /**
   * Folds every stored day of `index` up to `throughDay` (inclusive, `YYYYMMDD`) that the profiles do not
   * hold yet: incrementally when it is newer than its weekday's last day, else by rebuilding that weekday.
   */
  update(
    index: IndexSymbol,
    throughDay: string,
    onDay?: (day: string, done: number, total: number) => void,
  ): Promise<ProfileUpdate>;
  /** Drops the index's profiles and folds every stored day up to `throughDay` again. */
  rebuild(
    index: IndexSymbol,
    throughDay: string,
    onDay?: (day: string, done: number, total: number) => void,
  ): Promise<ProfileUpdate>;
  /** One series' profile, or null when no stored day fed it. Cached until its file changes. */
  profile(index: IndexSymbol, tag: ExpiryTag, offset: number, weekday: Weekday): Promise<WeekdayProfileState | null>;
}

interface Manifest {
  readonly version: 1;
  readonly settings: ProfileSettings;
  /** Days folded per weekday, oldest first. */
  readonly days: Partial<Record<Weekday, string[]>>;
}

type StoredStat = [n: number, mean: number, m2: number, ema: number] | null;

interface StoredProfile {
  readonly version: 1;
  readonly bucketSeconds: number;
  readonly alpha: number;
  readonly days: string[];
  readonly buckets: Array<[startSecond: number, days: number, stats: StoredStat[]]>;
}

function encode(profile: WeekdayProfileState): StoredProfile {
  const buckets = [...profile.buckets.values()]
    .sort((a, b) => a.startSecond - b.startSecond)
    .map((b): [number, number, StoredStat[]] => [
      b.startSecond,
      b.days,
      PROFILE_METRICS.map((m) => {
        const s = b.stats[m];
        return s === undefined ? null : [s.n, s.mean, s.m2, s.ema];
      }),
    ]);
  return { version: 1, bucketSeconds: profile.bucketSeconds, alpha: profile.alpha, days: profile.days, buckets };
}

function decode(stored: StoredProfile): WeekdayProfileState {
  const profile = emptyProfile(stored.bucketSeconds, stored.alpha);
  profile.days.push(...stored.days);
  for (const [startSecond, days, stats] of stored.buckets) {
    const bucket: ProfileBucket = { startSecond, days, stats: {} };
    PROFILE_METRICS.forEach((metric, i) => {
      const s = stats[i];
      if (s != null) {
        bucket.stats[metric] = { n: s[0], mean: s[1], m2: s[2], ema: s[3] } satisfies RunningStat;
      }
    });
    profile.buckets.set(startSecond, bucket);
  }
  return profile;
}

/** Written whole or not at all: a temporary file, fsynced, renamed over the old one. */
async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.tmp-${process.pid}`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
}

const sameSettings = (a: ProfileSettings, b: ProfileSettings) =>
  a.bucketSeconds === b.bucketSeconds && a.alpha === b.alpha && a.maxOffset === b.maxOffset;

/**
 * Weekday profiles beside the data: `<dataDir>/profiles/<INDEX>/<TAG>/<WEEKDAY>/<offset>.json`, one file per
 * series so a query reads one small file, and `manifest.json` per index (settings and the days folded),
 * written last so a crash mid-update folds the same days again rather than twice.
 */
export function createProfileStore(options: {
  readonly dataDir: string;
  readonly source: ProfileSource;
  readonly settings: ProfileSettings;
}): ProfileStore {
  const { settings, source } = options;
  const root = join(options.dataDir, 'profiles');
  const cache = new Map<string, { version: string; profile: WeekdayProfileState }>();
  const seriesPath = (index: IndexSymbol, tag: ExpiryTag, weekday: Weekday, offset: number) =>
    join(root, index, tag, weekday, `${offset}.json`);
  const manifestPath = (index: IndexSymbol) => join(root, index, 'manifest.json');

  async function readManifest(index: IndexSymbol): Promise<Manifest | null> {
    const path = manifestPath(index);
    if (!existsSync(path)) {
      return null;
    }
    return JSON.parse(await readFile(path, 'utf8')) as Manifest;
  }

  async function loadWeekday(index: IndexSymbol, weekday: Weekday): Promise<Map<string, WeekdayProfileState>> {
    const series = new Map<string, WeekdayProfileState>();
    for (const tag of EXPIRY_TAGS) {
      const dir = join(root, index, tag, weekday);
      if (!existsSync(dir)) {
        continue;
      }
      for (const file of await readdir(dir)) {
        const match = /^(-?\d+)\.json$/.exec(file);
        if (match !== null) {
          const stored = JSON.parse(await readFile(join(dir, file), 'utf8')) as StoredProfile;
          series.set(profileKey(tag, Number(match[1])), decode(stored));
        }
      }
    }
    return series;
  }

  async function run(
    index: IndexSymbol,
    throughDay: string,
    fresh: boolean,
    onDay?: (day: string, done: number, total: number) => void,
  ): Promise<ProfileUpdate> {
    const previous = fresh ? null : await readManifest(index);
    const rebuildAll = previous === null || !sameSettings(previous.settings, settings);
    const stored = (await source.days(index)).filter((d) => d <= throughDay);
    const byWeekday = new Map<Weekday, string[]>();
    for (const day of stored) {
      const weekday = weekdayOfDay(day);
      byWeekday.set(weekday, [...(byWeekday.get(weekday) ?? []), day]);
    }
    const plan: Array<{ weekday: Weekday; from: 'scratch' | 'files'; days: string[] }> = [];
    const rebuilt: Weekday[] = [];
    for (const [weekday, days] of byWeekday) {
      const folded = rebuildAll ? [] : (previous.days[weekday] ?? []);
      const have = new Set(folded);
      const pending = days.filter((d) => !have.has(d));
      if (pending.length === 0) {
        continue;
      }
      const last = folded.at(-1);
      if (last === undefined || pending[0]! > last) {
        plan.push({ weekday, from: folded.length === 0 ? 'scratch' : 'files', days: pending });
      } else {
        plan.push({ weekday, from: 'scratch', days });
        rebuilt.push(weekday);
      }
    }
    if (rebuildAll && previous !== null) {
      rebuilt.push(...[...byWeekday.keys()].filter((w) => !rebuilt.includes(w)));
    }
    if (rebuildAll) {
      await rm(join(root, index), { recursive: true, force: true });
    }
    const total = plan.reduce((n, p) => n + p.days.length, 0);
    const offsets = Array.from({ length: 2 * settings.maxOffset + 1 }, (_, i) => i - settings.maxOffset);
    let done = 0;
    const manifestDays: Partial<Record<Weekday, string[]>> = rebuildAll ? {} : { ...previous.days };
    const folded: string[] = [];
    for (const step of plan) {
      if (step.from === 'scratch') {
        for (const tag of EXPIRY_TAGS) {
          await rm(join(root, index, tag, step.weekday), { recursive: true, force: true });
        }
      }
      const series =
        step.from === 'files' ? await loadWeekday(index, step.weekday) : new Map<string, WeekdayProfileState>();
      for (const day of step.days) {
        // Only the profiled offsets are read: a compacted day filters them in its query.
        const rows = await source.offsetRowsDay(index, day, { expiry: null, tag: null, offsets });
        const observed = await observeDay(rows, settings.bucketSeconds, settings.maxOffset);
        for (const [key, observations] of observed) {
          let profile = series.get(key);
          if (profile === undefined) {
            profile = emptyProfile(settings.bucketSeconds, settings.alpha);
            series.set(key, profile);
          }
          foldDay(profile, day, observations);
        }
        done += 1;
        folded.push(day);
        onDay?.(day, done, total);
      }
      for (const [key, profile] of series) {
        const [tag, offset] = key.split('|') as [ExpiryTag, string];
        await writeAtomically(seriesPath(index, tag, step.weekday, Number(offset)), JSON.stringify(encode(profile)));
      }
      manifestDays[step.weekday] =
        step.from === 'files' ? [...(manifestDays[step.weekday] ?? []), ...step.days] : [...step.days];
      await writeAtomically(
        manifestPath(index),
        JSON.stringify({ version: 1, settings, days: manifestDays } satisfies Manifest),
      );
    }
    return { index, folded: folded.sort(), rebuilt };
  }

  return {
    settings,
    update: (index, throughDay, onDay) => run(index, throughDay, false, onDay),
    rebuild: (index, throughDay, onDay) => run(index, throughDay, true, onDay),
    async profile(index, tag, offset, weekday) {
      const path = seriesPath(index, tag, weekday, offset);
      let version: string;
      try {
        const info = await stat(path);
        version = `${info.mtimeMs}:${info.size}:${info.ino}`;
      } catch {
        return null;
      }
      const cached = cache.get(path);
      if (cached !== undefined && cached.version === version) {
        return cached.profile;
      }
      const profile = decode(JSON.parse(await readFile(path, 'utf8')) as StoredProfile);
      cache.set(path, { version, profile });
      return profile;
    },
  };
}
