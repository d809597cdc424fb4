import { GraphQLError } from 'graphql';
import { ERROR_CODES } from '../domain/errors.ts';
import type { IndexSymbol } from '../domain/indices.ts';
import type { GraphQLContext } from './context.ts';
import { badUserInput } from './inputs.ts';

/** `maxAgeSeconds` arguments: a day covers any freshness bound a client has reason to ask for. */
export const MAX_AGE_SECONDS_LIMIT = 86_400;

/**
 * A snapshot is served stale when the provider cannot deliver (e.g. the Kite token expired) or the
 * snapshot is older than the collector's freshness limit (or the caller's `staleAfterMs`); the data stays
 * available either way. Outside market hours the session's closing snapshot is current, however old.
 */
export function isStale(
  ctx: GraphQLContext,
  index: IndexSymbol,
  observedAt: Date | undefined,
  staleAfterMs: number = ctx.serverInfo.staleAfterMsOf?.(index) ?? ctx.serverInfo.staleAfterMs,
): boolean {
  if (observedAt === undefined) {
    return true;
  }
  if (!ctx.serverInfo.providerHealth().ready) {
    return true;
  }
  if (ctx.serverInfo.isResting(index)) {
    return false;
  }
  // Back from resting, the close stays current until the session's first collection is due.
  const resumedAt =
    ctx.serverInfo
      .collectorStatus()
      .find((s) => s.index === index)
      ?.resumedAt?.getTime() ?? 0;
  return ctx.now().getTime() - Math.max(observedAt.getTime(), resumedAt) > staleAfterMs;
}

/**
 * For clients that would rather get an error than an old answer (an order router, say): with
 * `maxAgeSeconds` given, a snapshot that is stale by that bound fails the field with STALE_DATA, its
 * observation time and age in `extensions`. Without it, stale data is served and flagged (`stale`).
 */
export function requireFresh(
  ctx: GraphQLContext,
  index: IndexSymbol,
  observedAt: Date,
  maxAgeSeconds: number | null | undefined,
): void {
  if (maxAgeSeconds === null || maxAgeSeconds === undefined) {
    return;
  }
  if (!Number.isInteger(maxAgeSeconds) || maxAgeSeconds < 1 || maxAgeSeconds > MAX_AGE_SECONDS_LIMIT) {
    throw badUserInput(`maxAgeSeconds must be a whole number from 1 to ${MAX_AGE_SECONDS_LIMIT}`, 'maxAgeSeconds');
  }
  if (!isStale(ctx, index, observedAt, maxAgeSeconds * 1000)) {
    return;
  }
  const ageSeconds = Math.max(0, Math.round((ctx.now().getTime() - observedAt.getTime()) / 1000));
  const reason = ctx.serverInfo.providerHealth().ready
    ? `is ${ageSeconds} s old, more than maxAgeSeconds=${maxAgeSeconds} while the market is open`
    : `cannot be refreshed: the provider is not delivering (${ageSeconds} s old)`;
  throw new GraphQLError(`the latest ${index} snapshot ${reason}`, {
    extensions: {
      code: ERROR_CODES.STALE_DATA,
      index,
      observedAt: observedAt.toISOString(),
      ageSeconds,
      maxAgeSeconds,
    },
  });
}

export const MAX_AGE_DESCRIPTION =
  'Fail with STALE_DATA rather than answer from a snapshot that is stale by this bound, seconds (1 to 86400): ' +
  'older than this while its market is trading, or not refreshable because the provider is down. Outside market ' +
  "hours the session's close is current however old. Without it, stale data is answered and flagged `stale`.";
