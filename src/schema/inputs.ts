import { GraphQLError } from 'graphql';
import { ERROR_CODES } from '../domain/errors.ts';
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

export function requireStrikeWindow(strikesAroundAtm: number | null | undefined): number | null {
  if (strikesAroundAtm === null || strikesAroundAtm === undefined) {
    return null;
  }
  if (!Number.isInteger(strikesAroundAtm) || strikesAroundAtm < 0 || strikesAroundAtm > MAX_STRIKES_AROUND_ATM) {
    throw new GraphQLError(`strikesAroundAtm must be a whole number from 0 to ${MAX_STRIKES_AROUND_ATM}`, {
      extensions: { code: ERROR_CODES.BAD_USER_INPUT, argument: 'strikesAroundAtm' },
    });
  }
  return strikesAroundAtm;
}

/**
 * The chain of `expiry` (null: nearest) in the latest snapshot. Undefined while the index has no
 * snapshot yet; a coded error when the snapshot exists but does not list that expiry.
 */
export function findChain(
  ctx: GraphQLContext,
  index: IndexSymbol,
  expiry: string | null | undefined,
): ChainSnapshot | undefined {
  requireConfiguredIndex(ctx, index);
  const snapshot = ctx.store.getIndex(index);
  if (snapshot === undefined) {
    return undefined;
  }
  return selectChain(snapshot.chains, index, expiry ?? null);
}

export function selectChain(
  chains: readonly ChainSnapshot[],
  index: IndexSymbol,
  expiry: string | null,
): ChainSnapshot {
  const chain = expiry === null ? chains[0] : chains.find((c) => c.expiry === expiry);
  if (chain === undefined) {
    const open = chains.map((c) => c.expiry).join(', ') || 'none';
    throw new GraphQLError(`${index} has no open expiry ${expiry ?? ''}; open expiries: ${open}`.replace('  ', ' '), {
      extensions: { code: ERROR_CODES.EXPIRY_NOT_FOUND, index, expiry },
    });
  }
  return chain;
}
