/**
 * Weekday profiles: for one index × expiry tag × ATM offset × weekday, per time-of-day bucket, the mean,
 * standard deviation and exponential moving average of the straddle's figures over the stored days of
 * that weekday. Each day contributes one observation per bucket: its last snapshot in the bucket. Days
 * are folded oldest first; the EMA starts at the first day's value, then ema ← α·x + (1 − α)·ema (G6's
 * predecessor used α = 0.5), so it leans to recent weeks while the mean weighs every day alike. Pure.
 */

export const PROFILE_METRICS = ['tp', 'avgTp', 'ceIv', 'peIv', 'oi', 'volume'] as const;
export type ProfileMetric = (typeof PROFILE_METRICS)[number];

/** One day's value of each metric in one bucket (null where the day had none). */
export type BucketObservation = Readonly<Record<ProfileMetric, number | null>>;

/** Running statistics of one metric in one bucket (Welford's mean and M2, plus the EMA). */
export interface RunningStat {
  n: number;
  mean: number;
  m2: number;
  ema: number;
}

export interface ProfileBucket {
  /** Seconds since IST midnight at the bucket's start. */
  readonly startSecond: number;
  /** Days that had any observation in this bucket. */
  days: number;
  readonly stats: Partial<Record<ProfileMetric, RunningStat>>;
}

export interface WeekdayProfileState {
  readonly bucketSeconds: number;
  readonly alpha: number;
  /** IST days folded in (`YYYYMMDD`), oldest first. */
  readonly days: string[];
  /** By bucket start second. */
  readonly buckets: Map<number, ProfileBucket>;
}

export function emptyProfile(bucketSeconds: number, alpha: number): WeekdayProfileState {
  if (!(bucketSeconds >= 1) || !(alpha > 0 && alpha <= 1)) {
    throw new RangeError(`profile needs bucketSeconds ≥ 1 and 0 < alpha ≤ 1, got ${bucketSeconds}, ${alpha}`);
  }
  return { bucketSeconds, alpha, days: [], buckets: new Map() };
}

function fold(stat: RunningStat | undefined, x: number, alpha: number): RunningStat {
  if (stat === undefined) {
    return { n: 1, mean: x, m2: 0, ema: x };
  }
  const n = stat.n + 1;
  const delta = x - stat.mean;
  const mean = stat.mean + delta / n;
  return { n, mean, m2: stat.m2 + delta * (x - mean), ema: alpha * x + (1 - alpha) * stat.ema };
}

/**
 * Folds one day (its observation per bucket start second) into the profile. Days must come in order:
 * a day not after the last folded one is refused, since the EMA depends on the order.
 */
export function foldDay(
  profile: WeekdayProfileState,
  day: string,
  observations: ReadonlyMap<number, BucketObservation>,
): void {
  const last = profile.days.at(-1);
  if (last !== undefined && day <= last) {
    throw new RangeError(`profile days must be folded in order: ${day} after ${last}`);
  }
  profile.days.push(day);
  for (const [startSecond, observation] of observations) {
    const bucket = profile.buckets.get(startSecond) ?? { startSecond, days: 0, stats: {} };
    let any = false;
    for (const metric of PROFILE_METRICS) {
      const x = observation[metric];
      if (x !== null && Number.isFinite(x)) {
        bucket.stats[metric] = fold(bucket.stats[metric], x, profile.alpha);
        any = true;
      }
    }
    if (any) {
      bucket.days += 1;
      profile.buckets.set(startSecond, bucket);
    }
  }
}

/** Sample standard deviation; null below two observations. */
export const stdDevOf = (stat: RunningStat): number | null => (stat.n < 2 ? null : Math.sqrt(stat.m2 / (stat.n - 1)));

/** Minimum days before a deviation from the profile is reported as a z-score. */
export const MIN_DAYS_FOR_Z = 3;

/** (x − mean) / sd over at least MIN_DAYS_FOR_Z days with a non-zero spread; null otherwise. */
export function zScore(x: number | null, stat: RunningStat | undefined): number | null {
  if (x === null || stat === undefined || stat.n < MIN_DAYS_FOR_Z) {
    return null;
  }
  const sd = stdDevOf(stat);
  return sd === null || sd === 0 ? null : (x - stat.mean) / sd;
}

/** Bucket start (seconds since IST midnight) of an instant. */
export function bucketStartSecond(timeMs: number, bucketSeconds: number, istOffsetMs: number): number {
  const secondOfDay = Math.floor(((((timeMs + istOffsetMs) % 86_400_000) + 86_400_000) % 86_400_000) / 1000);
  return secondOfDay - (secondOfDay % bucketSeconds);
}
