import { GraphQLError } from 'graphql';
import { ERROR_CODES } from '../domain/errors.ts';
import type { ExpiryTag } from '../domain/expiry-tags.ts';
import type { IndexSymbol } from '../domain/indices.ts';
import type { ChainSnapshot } from '../domain/snapshot.ts';
import type { GraphQLContext } from './context.ts';

export const MAX_STRIKES_AROUND_ATM = 500;

export function requireConfiguredIndex(ctx: GraphQLContext, index: IndexSymbol): void {
  if (!ctx.indices.includes(index)) {
    throw new GraphQLError(`${index} is not collected by this server (G6_INDICES=${ctx.indices.join(',')})`, {
      extensions: { code: ERROR_CODES.INDEX_NOT_CONFIGURED, index },
    });
  }
}

/** `Expiry.chain(strikesAroundAtm)` is bounded tighter than `optionChain`'s. */
export const MAX_EXPIRY_STRIKES_AROUND_ATM = 200;
/** `Index.expiryDetails(first)`. */
export const MAX_EXPIRY_DETAILS = 50;
/** `contracts` and `contractsTicked`. */
export const MAX_TRADINGSYMBOLS = 200;

export function badUserInput(message: string, argument: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ERROR_CODES.BAD_USER_INPUT, argument } });
}

/** Offsets from ATM an argument may name. */
export const MAX_OFFSET = 500;

/** One offset from ATM: a whole number within ±MAX_OFFSET, else BAD_USER_INPUT naming `argument`. */
export function requireOffset(offset: number, argument: string): number {
  if (!Number.isInteger(offset) || Math.abs(offset) > MAX_OFFSET) {
    throw badUserInput(
      `${argument}: expected whole numbers from −${MAX_OFFSET} to ${MAX_OFFSET}, got ${offset}`,
      argument,
    );
  }
  return offset;
}

export function requireStrikeWindow(
  strikesAroundAtm: number | null | undefined,
  max: number = MAX_STRIKES_AROUND_ATM,
): number | null {
  if (strikesAroundAtm === null || strikesAroundAtm === undefined) {
    return null;
  }
  if (!Number.isInteger(strikesAroundAtm) || strikesAroundAtm < 0 || strikesAroundAtm > max) {
    throw badUserInput(`strikesAroundAtm must be a whole number from 0 to ${max}`, 'strikesAroundAtm');
  }
  return strikesAroundAtm;
}

/** An inclusive strike range; `min` above `max` (or a non-finite bound) is BAD_USER_INPUT. */
export function requireStrikeRange(
  range: { readonly min: number; readonly max: number } | null | undefined,
): { readonly min: number; readonly max: number } | null {
  if (range === null || range === undefined) {
    return null;
  }
  if (!Number.isFinite(range.min) || !Number.isFinite(range.max) || range.min > range.max) {
    throw badUserInput(`strikeRange needs finite bounds with min ≤ max, got ${range.min}..${range.max}`, 'strikeRange');
  }
  return range;
}

/** A lower bound on a count (OI, volume): finite and not negative. */
export function requireMinimum(value: number | null | undefined, argument: string): number | null {
  if (value === null || value === undefined) {
    return null;
  }
  if (!Number.isFinite(value) || value < 0) {
    throw badUserInput(`${argument} must be a finite number ≥ 0`, argument);
  }
  return value;
}

/** The distinct symbols asked for, in order of first mention; more than MAX_TRADINGSYMBOLS is BAD_USER_INPUT. */
export function requireTradingsymbols(tradingsymbols: readonly string[]): string[] {
  if (tradingsymbols.length > MAX_TRADINGSYMBOLS) {
    throw badUserInput(
      `tradingsymbols takes at most ${MAX_TRADINGSYMBOLS} symbols, got ${tradingsymbols.length}`,
      'tradingsymbols',
    );
  }
  return [...new Set(tradingsymbols)];
}

/**
 * The chain of `expiry` (null: nearest) in the latest snapshot. Undefined while the index has no
 * snapshot yet; a coded error when the snapshot exists but does not list that expiry.
 */
export function findChain(
  ctx: GraphQLContext,
  index: IndexSymbol,
  expiry: string | null | undefined,
  expiryTag?: ExpiryTag | null,
): ChainSnapshot | undefined {
  requireConfiguredIndex(ctx, index);
  const tag = requireOneExpiry(expiry, expiryTag);
  const snapshot = ctx.store.getIndex(index);
  if (snapshot === undefined) {
    return undefined;
  }
  return selectChain(snapshot.chains, index, expiry ?? null, tag);
}

export const EXPIRY_TAG_DESCRIPTION =
  'The expiry by its role (THIS_WEEK, NEXT_WEEK, THIS_MONTH, NEXT_MONTH), resolved at each snapshot; not with `expiry`.';

/** The tag asked for, when the expiry is chosen by tag; both a date and a tag is BAD_USER_INPUT. */
export function requireOneExpiry(
  expiry: string | null | undefined,
  expiryTag: ExpiryTag | null | undefined,
): ExpiryTag | null {
  if (expiryTag == null) {
    return null;
  }
  if (expiry != null) {
    throw badUserInput('give expiry or expiryTag, not both', 'expiryTag');
  }
  return expiryTag;
}

/** The chain of `expiry`, else of `tag`, else the nearest; EXPIRY_NOT_FOUND when the snapshot has none. */
export function selectChain(
  chains: readonly ChainSnapshot[],
  index: IndexSymbol,
  expiry: string | null,
  tag: ExpiryTag | null = null,
): ChainSnapshot {
  const chain =
    expiry !== null
      ? chains.find((c) => c.expiry === expiry)
      : tag !== null
        ? chains.find((c) => c.expiryTags.includes(tag))
        : chains[0];
  if (chain === undefined) {
    const open = chains.map((c) => (c.expiryTags.length > 0 ? `${c.expiry} (${c.expiryTags.join(', ')})` : c.expiry));
    const asked = expiry ?? tag ?? '';
    throw new GraphQLError(
      `${index} has no open expiry ${asked}; open expiries: ${open.join(', ') || 'none'}`.replace('  ', ' '),
      {
        extensions: { code: ERROR_CODES.EXPIRY_NOT_FOUND, index, expiry: expiry ?? tag },
      },
    );
  }
  return chain;
}
