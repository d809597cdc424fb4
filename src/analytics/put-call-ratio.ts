/** Σ put / Σ call of a per-contract quantity (OI, volume); null when the call side sums to zero. */
export function putCallRatio(totalPut: number, totalCall: number): number | null {
  return totalCall > 0 ? totalPut / totalCall : null;
}
