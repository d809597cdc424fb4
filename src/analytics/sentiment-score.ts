export interface SentimentInputs {
  readonly pcrOi: number | null;
  /** Σ put OI change and Σ call OI change since the day's first snapshot. */
  readonly putOiChange: number | null;
  readonly callOiChange: number | null;
  /** 25-delta risk reversal (call IV − put IV), decimal. */
  readonly riskReversal25Delta: number | null;
  readonly maxPainStrike: number | null;
  readonly forward: number;
  readonly expectedMove: number | null;
}

const WEIGHTS = { pcrOi: 0.35, oiChange: 0.25, skew: 0.2, maxPain: 0.2 } as const;

/**
 * A score in [−1, 1], positive bullish, from four readings each squashed to [−1, 1]:
 *   pcrOi       tanh(ln PCR)                             (put writing above call writing reads bullish)
 *   oiChange    (ΔOI_put − ΔOI_call)/(|ΔOI_put| + |ΔOI_call|)
 *   skew        tanh(RR25 / 0.02)                        (puts bid over calls reads bearish)
 *   maxPain     tanh((max pain − F) / expected move)      (settlement drift toward max pain)
 * weighted 0.35 / 0.25 / 0.20 / 0.20 and renormalised over the readings available; 0 when none is.
 */
export function sentimentScore(inputs: SentimentInputs): number {
  let weighted = 0;
  let weights = 0;
  if (inputs.pcrOi !== null && inputs.pcrOi > 0) {
    weighted += WEIGHTS.pcrOi * Math.tanh(Math.log(inputs.pcrOi));
    weights += WEIGHTS.pcrOi;
  }
  if (inputs.putOiChange !== null && inputs.callOiChange !== null) {
    const scale = Math.abs(inputs.putOiChange) + Math.abs(inputs.callOiChange);
    if (scale > 0) {
      weighted += (WEIGHTS.oiChange * (inputs.putOiChange - inputs.callOiChange)) / scale;
      weights += WEIGHTS.oiChange;
    }
  }
  if (inputs.riskReversal25Delta !== null) {
    weighted += WEIGHTS.skew * Math.tanh(inputs.riskReversal25Delta / 0.02);
    weights += WEIGHTS.skew;
  }
  if (inputs.maxPainStrike !== null && inputs.expectedMove !== null && inputs.expectedMove > 0) {
    weighted += WEIGHTS.maxPain * Math.tanh((inputs.maxPainStrike - inputs.forward) / inputs.expectedMove);
    weights += WEIGHTS.maxPain;
  }
  return weights > 0 ? weighted / weights : 0;
}
