import type { GraphQLContext } from './context.ts';

/**
 * A snapshot is served stale when the provider cannot deliver (e.g. the Kite token expired) or the
 * snapshot is older than the collector's freshness limit; the data stays available either way.
 */
export function isStale(ctx: GraphQLContext, observedAt: Date | undefined): boolean {
  if (observedAt === undefined) {
    return true;
  }
  return !ctx.serverInfo.providerHealth().ready || Date.now() - observedAt.getTime() > ctx.serverInfo.staleAfterMs;
}
