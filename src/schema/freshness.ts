import type { IndexSymbol } from '../domain/indices.ts';
import type { GraphQLContext } from './context.ts';

/**
 * A snapshot is served stale when the provider cannot deliver (e.g. the Kite token expired) or the
 * snapshot is older than the collector's freshness limit; the data stays available either way. Outside
 * market hours the session's closing snapshot is current, however old.
 */
export function isStale(ctx: GraphQLContext, index: IndexSymbol, observedAt: Date | undefined): boolean {
  if (observedAt === undefined) {
    return true;
  }
  if (!ctx.serverInfo.providerHealth().ready) {
    return true;
  }
  return !ctx.serverInfo.isResting(index) && ctx.now().getTime() - observedAt.getTime() > ctx.serverInfo.staleAfterMs;
}
