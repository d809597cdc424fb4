/**
 * The Python G6's IVs against the ones G6 solves for the same quotes. The files do not say whether their
 * IVs are decimals (0.14) or percentages (14): both readings are accumulated, and the unit is decided at the
 * end from the values (more than half above 2 reads as percent: no index option's IV is 200 %, and the Python
 * solver caps at 5.0). Constant memory: absolute differences go into 0.001-vol-point bins.
 */

export type IvUnit = 'decimal' | 'percent';

export interface IvComparisonReport {
  /** Null when no row carried a Python IV. */
  readonly pythonUnit: IvUnit | null;
  /** Share of the Python IVs above 2 (what decided the unit). */
  readonly pythonAbove2Share: number | null;
  /** Legs where both had an IV. */
  readonly compared: number;
  /** Median |Python − G6|, vol points (1 = 0.01 in decimal IV); null when nothing was compared. */
  readonly medianAbsDiffVolPoints: number | null;
  /** Legs whose IVs differ by more than 1 vol point. */
  readonly overOneVolPoint: number;
  /** Python had an IV and G6 solved none (a price below intrinsic, no price), and the reverse. */
  readonly pythonOnly: number;
  readonly g6Only: number;
}

export interface IvComparison {
  /** One leg: the Python file's IV as written (null for none or 0) and G6's, decimal (null when unsolved). */
  add(pythonIv: number | null, g6Iv: number | null): void;
  report(): IvComparisonReport;
}

/** Bin width and range of the difference histogram, vol points. */
const BIN_VOL_POINTS = 0.001;
const BINS = 100_000;

interface Reading {
  readonly bins: Uint32Array;
  overOne: number;
}

export function createIvComparison(): IvComparison {
  const readings: Record<IvUnit, Reading> = {
    decimal: { bins: new Uint32Array(BINS + 1), overOne: 0 },
    percent: { bins: new Uint32Array(BINS + 1), overOne: 0 },
  };
  let compared = 0;
  let pythonValues = 0;
  let above2 = 0;
  let pythonOnly = 0;
  let g6Only = 0;

  const record = (reading: Reading, diffVolPoints: number) => {
    reading.bins[Math.min(BINS, Math.floor(diffVolPoints / BIN_VOL_POINTS))]! += 1;
    if (diffVolPoints > 1) {
      reading.overOne += 1;
    }
  };

  const median = (bins: Uint32Array): number | null => {
    if (compared === 0) {
      return null;
    }
    const middle = (compared + 1) / 2;
    let seen = 0;
    for (let i = 0; i <= BINS; i++) {
      seen += bins[i]!;
      if (seen >= middle) {
        return Number(((i + 0.5) * BIN_VOL_POINTS).toFixed(4));
      }
    }
    return null;
  };

  return {
    add(pythonIv, g6Iv) {
      if (pythonIv !== null) {
        pythonValues += 1;
        if (pythonIv > 2) {
          above2 += 1;
        }
      }
      if (pythonIv === null || g6Iv === null) {
        if (pythonIv !== null) {
          pythonOnly += 1;
        } else if (g6Iv !== null) {
          g6Only += 1;
        }
        return;
      }
      compared += 1;
      record(readings.decimal, Math.abs(pythonIv - g6Iv) * 100);
      record(readings.percent, Math.abs(pythonIv - g6Iv * 100));
    },
    report() {
      const unit: IvUnit | null = pythonValues === 0 ? null : above2 * 2 > pythonValues ? 'percent' : 'decimal';
      const reading = readings[unit ?? 'decimal'];
      return {
        pythonUnit: unit,
        pythonAbove2Share: pythonValues === 0 ? null : Number((above2 / pythonValues).toFixed(4)),
        compared,
        medianAbsDiffVolPoints: median(reading.bins),
        overOneVolPoint: reading.overOne,
        pythonOnly,
        g6Only,
      };
    },
  };
}
