import type { BuildUp } from '../domain/snapshot.ts';

/**
 * The usual reading of price change × OI change (IIFL, GoCharting "OI Sense", Sensibull): price ↑ OI ↑
 * long build-up, price ↓ OI ↑ short build-up, price ↑ OI ↓ short covering, price ↓ OI ↓ long unwinding.
 * No change on either side is NEUTRAL.
 */
export function classifyBuildUp(priceChange: number, oiChange: number): BuildUp {
  if (priceChange === 0 || oiChange === 0) {
    return 'NEUTRAL';
  }
  if (oiChange > 0) {
    return priceChange > 0 ? 'LONG_BUILD_UP' : 'SHORT_BUILD_UP';
  }
  return priceChange > 0 ? 'SHORT_COVERING' : 'LONG_UNWINDING';
}
