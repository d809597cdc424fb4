import { z } from 'zod';
import { isIsoDate } from '../ist-time.ts';

/** The exchange segments index options trade on: NSE F&O (NFO) and BSE F&O (BFO). */
export const SEGMENTS = ['NSE_FO', 'BSE_FO'] as const;
export type Segment = (typeof SEGMENTS)[number];

/** The calendar segment of a derivatives exchange (an index spec's `exchange`). */
export function segmentOf(spec: { readonly exchange: 'NFO' | 'BFO' }): Segment {
  return spec.exchange === 'BFO' ? 'BSE_FO' : 'NSE_FO';
}

const wallClock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'expected a time HH:MM (IST, 24-hour)' });
const isoDate = z.string().refine(isIsoDate, { error: 'expected a date YYYY-MM-DD' });

const SESSION_TIMES = z.object({
  /** The date these times take effect (IST). */
  from: isoDate,
  preOpen: wallClock.nullable(),
  open: wallClock,
  close: wallClock,
  expiryCutoff: wallClock,
  source: z.string().optional(),
  verified: z.boolean().optional(),
});

const HOLIDAY = z.object({ date: isoDate, name: z.string().min(1), source: z.string().optional() });

const SPECIAL_SESSION = z.object({
  date: isoDate,
  name: z.string().min(1),
  preOpen: wallClock.nullable(),
  open: wallClock,
  close: wallClock,
  source: z.string().optional(),
  verified: z.boolean().optional(),
});

const SEGMENT_YEAR = z.object({
  source: z.string().optional(),
  holidays: z.array(HOLIDAY),
  specialSessions: z.array(SPECIAL_SESSION).default([]),
});

/** One published year of one or more segments: its holidays (weekends included when named) and special sessions. */
export const CALENDAR_YEAR = z.object({
  year: z.number().int().min(2000).max(2100),
  segments: z.partialRecord(z.enum(SEGMENTS), SEGMENT_YEAR),
});

/** Effective-dated session times per segment. */
export const SESSION_TABLE = z.object({
  about: z.string().optional(),
  segments: z.partialRecord(z.enum(SEGMENTS), z.array(SESSION_TIMES).min(1)),
});

/** What `G6_MARKET_CALENDAR_FILE` may hold: session times and/or years, each replacing the built-in entry. */
export const CALENDAR_OVERRIDE = z
  .object({
    sessions: SESSION_TABLE.shape.segments.optional(),
    years: z.array(CALENDAR_YEAR).optional(),
  })
  .strict();

export type SessionTimes = z.infer<typeof SESSION_TIMES>;
export type Holiday = z.infer<typeof HOLIDAY>;
export type SpecialSession = z.infer<typeof SPECIAL_SESSION>;
export type CalendarYear = z.infer<typeof CALENDAR_YEAR>;
export type SessionTable = z.infer<typeof SESSION_TABLE>;
export type CalendarOverride = z.infer<typeof CALENDAR_OVERRIDE>;

/** Everything a calendar is built from. */
export interface CalendarData {
  readonly sessions: Readonly<Partial<Record<Segment, readonly SessionTimes[]>>>;
  readonly years: readonly CalendarYear[];
}

/** Validates calendar JSON (a built-in file or an operator's override), naming the path of each problem. */
export function parseCalendarOverride(
  text: string,
): { ok: true; value: CalendarOverride } | { ok: false; errors: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, errors: [`not JSON: ${(error as Error).message}`] };
  }
  const parsed = CALENDAR_OVERRIDE.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`),
    };
  }
  return { ok: true, value: parsed.data };
}

/**
 * Lays `override` over `base`: a session-times entry replaces the one with the same `from` date (or is added),
 * a year's segment replaces the built-in one for that segment and year.
 */
export function mergeCalendarData(base: CalendarData, override: CalendarOverride): CalendarData {
  const sessions: Partial<Record<Segment, SessionTimes[]>> = {};
  for (const segment of SEGMENTS) {
    const byFrom = new Map((base.sessions[segment] ?? []).map((s) => [s.from, s]));
    for (const entry of override.sessions?.[segment] ?? []) {
      byFrom.set(entry.from, entry);
    }
    sessions[segment] = [...byFrom.values()].sort((a, b) => a.from.localeCompare(b.from));
  }
  const years = new Map<number, CalendarYear>(base.years.map((y) => [y.year, y]));
  for (const year of override.years ?? []) {
    const existing = years.get(year.year);
    years.set(year.year, { year: year.year, segments: { ...existing?.segments, ...year.segments } });
  }
  return { sessions, years: [...years.values()].sort((a, b) => a.year - b.year) };
}
