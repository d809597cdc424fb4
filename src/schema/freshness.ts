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
  if (ctx.serverInfo.isResting(index)) {
    return false;
  }
  // Back from resting, the close stays current until the session's first collection is due.
  const resumedAt =
    ctx.serverInfo
      .collectorStatus()
      .find((s) => s.index === index)
      ?.resumedAt?.getTime() ?? 0;
  return ctx.now().getTime() - Math.max(observedAt.getTime(), resumedAt) > ctx.serverInfo.staleAfterMs;
}
