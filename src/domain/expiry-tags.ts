import type { ExpiryKind } from './expiry-calendar.ts';

/**
 * Expiries by the role traders name them by. Resolved per index from its open expiries, nearest first:
 * - THIS_WEEK: the nearest open expiry, NEXT_WEEK: the one after it, whatever their kind;
 * - THIS_MONTH: the nearest open monthly, NEXT_MONTH: the monthly after it.
 * On a monthly-only index (BANKNIFTY, FINNIFTY, MIDCPNIFTY) THIS_WEEK is THIS_MONTH and NEXT_WEEK is
 * NEXT_MONTH. In the week the weekly is the monthly, that expiry is both THIS_WEEK and THIS_MONTH, and
 * NEXT_WEEK is the first weekly of the next series. An expiry stays THIS_WEEK until its cut-off on expiry day.
 */
export const EXPIRY_TAGS = ['THIS_WEEK', 'NEXT_WEEK', 'THIS_MONTH', 'NEXT_MONTH'] as const;
export type ExpiryTag = (typeof EXPIRY_TAGS)[number];

export interface TaggableExpiry {
  /** `YYYY-MM-DD` */
  readonly expiry: string;
  readonly kind: ExpiryKind;
}

/** The expiry each tag names among `expiries` (any order), or none when the index lists too few. */
export function resolveExpiryTags(expiries: readonly TaggableExpiry[]): Map<ExpiryTag, string> {
  const sorted = [...expiries].sort((a, b) => (a.expiry < b.expiry ? -1 : a.expiry > b.expiry ? 1 : 0));
  const monthlies = sorted.filter((e) => e.kind === 'MONTHLY');
  const resolved = new Map<ExpiryTag, string>();
  const put = (tag: ExpiryTag, expiry: TaggableExpiry | undefined) => {
    if (expiry !== undefined) {
      resolved.set(tag, expiry.expiry);
    }
  };
  put('THIS_WEEK', sorted[0]);
  put('NEXT_WEEK', sorted[1]);
  put('THIS_MONTH', monthlies[0]);
  put('NEXT_MONTH', monthlies[1]);
  return resolved;
}

/** The tags of each expiry, in EXPIRY_TAGS order; expiries no tag names get none. */
export function tagsByExpiry(expiries: readonly TaggableExpiry[]): Map<string, ExpiryTag[]> {
  const out = new Map<string, ExpiryTag[]>(expiries.map((e) => [e.expiry, []]));
  for (const [tag, expiry] of resolveExpiryTags(expiries)) {
    out.get(expiry)?.push(tag);
  }
  for (const tags of out.values()) {
    tags.sort((a, b) => EXPIRY_TAGS.indexOf(a) - EXPIRY_TAGS.indexOf(b));
  }
  return out;
}

/** Stored form: tags joined by `|` (`THIS_WEEK|THIS_MONTH`), null when the expiry has none. */
export const formatExpiryTags = (tags: readonly ExpiryTag[]): string | null =>
  tags.length === 0 ? null : tags.join('|');

export function parseExpiryTags(text: string | null): ExpiryTag[] {
  if (text === null || text === '') {
    return [];
  }
  return text.split('|').filter((t): t is ExpiryTag => (EXPIRY_TAGS as readonly string[]).includes(t));
}

export const isExpiryTag = (text: string): text is ExpiryTag => (EXPIRY_TAGS as readonly string[]).includes(text);
