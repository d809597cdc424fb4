/** Where a terminal's progress line is drawn (stderr, so stdout stays the program's output). */
export interface ProgressStream {
  write(text: string): unknown;
  /** The terminal's width: the line is cut to it, since a wrapped line cannot be redrawn in place. */
  readonly columns?: number;
}

/** The part of a pino logger progress needs. */
export interface ProgressLogger {
  info(object: object, message: string): void;
}

export interface ProgressOptions {
  readonly label: string;
  /** Units of work in all; null when unknown (then no percentage and no ETA). */
  readonly total: number | null;
  /** What is counted, e.g. `snapshots`; shown after the count and in the rate. */
  readonly unit?: string;
  /** The first step's name, shown from the start (later ones come with `update`). */
  readonly detail?: string;
  readonly stream: ProgressStream;
  /** True: one line redrawn in place on `stream`. False: a line at the start, every 10 % and the end. */
  readonly isTty: boolean;
  /** Receives those lines when not on a terminal; without it they are written to `stream` as text. */
  readonly logger?: ProgressLogger;
  readonly now?: () => Date;
  /**
   * Least time between two redraws of the terminal line.
   * @default 100
   */
  readonly redrawIntervalMs?: number;
}

export interface Progress {
  /** `done` units are finished (a running count, not an increment); `detail` names the current step. */
  update(done: number, detail?: string): void;
  /** The work is complete: the terminal line becomes a summary, or a last line is logged. */
  done(detail?: string): void;
  /** The work stopped short: the terminal line is closed with the reason, or it is logged. */
  fail(reason: string): void;
}

/** Makes reporters that share a destination: what `main` hands down to the parts with long work. */
export type ProgressFactory = (task: {
  readonly label: string;
  readonly total: number | null;
  readonly unit?: string;
  readonly detail?: string;
}) => Progress;

export const NO_PROGRESS: Progress = Object.freeze({
  update() {},
  done() {},
  fail() {},
});

const DEFAULT_REDRAW_INTERVAL_MS = 100;
// Erase the whole line; the cursor is then left at its start, so a log line written meanwhile by
// another stream overwrites the progress instead of being appended to it.
const CLEAR_LINE = '\u001b[2K';

/** 0.5 → `0.5`, 12.3 → `12`, 4567 → `4.6k`, 1234567 → `1.2M`. */
export function formatCount(value: number): string {
  if (value >= 1_000_000) {
    return `${(value / 1_000_000).toFixed(1)}M`;
  }
  if (value >= 1000) {
    return `${(value / 1000).toFixed(1)}k`;
  }
  return value < 10 ? String(Math.round(value * 10) / 10) : String(Math.round(value));
}

/** 4 → `4s`, 65 → `1m05s`, 3725 → `1h02m`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) {
    return `${s}s`;
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  }
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

interface Figures {
  readonly done: number;
  readonly total: number | null;
  readonly percent: number | null;
  readonly perSecond: number | null;
  readonly etaSeconds: number | null;
  readonly elapsedSeconds: number;
}

export function createProgress(options: ProgressOptions): Progress {
  const now = options.now ?? (() => new Date());
  const redrawIntervalMs = options.redrawIntervalMs ?? DEFAULT_REDRAW_INTERVAL_MS;
  const unit = options.unit === undefined ? '' : ` ${options.unit}`;
  const startedAtMs = now().getTime();
  let done = 0;
  let detail = options.detail;
  let lastDrawMs = Number.NEGATIVE_INFINITY;
  let lastDecile = 0;
  let finished = false;

  const figures = (): Figures => {
    const elapsedSeconds = (now().getTime() - startedAtMs) / 1000;
    const total = options.total;
    const perSecond = elapsedSeconds > 0 && done > 0 ? done / elapsedSeconds : null;
    return {
      done,
      total,
      percent: total === null || total <= 0 ? null : Math.min(100, (done / total) * 100),
      perSecond,
      etaSeconds: total === null || perSecond === null ? null : Math.max(0, total - done) / perSecond,
      elapsedSeconds,
    };
  };

  const text = (f: Figures, ending: string | null): string => {
    const parts = [options.label, f.total === null ? `${f.done}${unit}` : `${f.done}/${f.total}${unit}`];
    if (f.percent !== null) {
      parts.push(`${Math.floor(f.percent)}%`);
    }
    parts.push(f.perSecond === null ? '-/s' : `${formatCount(f.perSecond)}${unit}/s`);
    if (ending !== null) {
      parts.push(ending);
    } else if (f.total !== null) {
      parts.push(f.etaSeconds === null ? 'eta -' : `eta ${formatDuration(f.etaSeconds)}`);
    }
    if (detail !== undefined) {
      parts.push(detail);
    }
    const line = parts.join('  ');
    const columns = options.stream.columns;
    if (columns === undefined || columns <= 1 || line.length < columns) {
      return line;
    }
    // Whole fields are dropped from the end; the label and count are cut only if nothing else fits.
    while (parts.length > 2 && parts.join('  ').length >= columns) {
      parts.pop();
    }
    return parts.join('  ').slice(0, columns - 1);
  };

  const fields = (f: Figures, ending: string | null) => ({
    task: options.label,
    done: f.done,
    total: f.total,
    ...(options.unit === undefined ? {} : { unit: options.unit }),
    ...(f.percent === null ? {} : { percent: Math.floor(f.percent) }),
    ...(f.perSecond === null ? {} : { perSecond: Number(f.perSecond.toPrecision(3)) }),
    ...(ending !== null || f.etaSeconds === null ? {} : { etaSeconds: Math.round(f.etaSeconds) }),
    ...(detail === undefined ? {} : { detail }),
  });

  // Not a terminal: a line a log reader can follow without a flood.
  const record = (message: string, extra: object, ending: string | null) => {
    const f = figures();
    if (options.logger !== undefined) {
      options.logger.info({ ...fields(f, ending), ...extra }, message);
    } else {
      options.stream.write(`${text(f, ending)}\n`);
    }
  };

  const draw = (force: boolean) => {
    const atMs = now().getTime();
    if (!force && atMs - lastDrawMs < redrawIntervalMs) {
      return;
    }
    lastDrawMs = atMs;
    options.stream.write(`${CLEAR_LINE}${text(figures(), null)}\r`);
  };

  const finish = (ending: string, message: string, extra: object) => {
    if (finished) {
      return;
    }
    finished = true;
    if (options.isTty) {
      options.stream.write(`${CLEAR_LINE}${text(figures(), ending)}\n`);
    } else {
      record(message, extra, ending);
    }
  };

  if (options.isTty) {
    draw(true);
  } else {
    record('progress started', {}, 'started');
  }

  return {
    update(count, step) {
      if (finished) {
        return;
      }
      done = count;
      if (step !== undefined) {
        detail = step;
      }
      if (options.isTty) {
        draw(false);
        return;
      }
      const total = options.total;
      if (total !== null && total > 0) {
        const decile = Math.floor((Math.min(done, total) * 10) / total);
        // 100 % is said by done(), once.
        if (decile > lastDecile && decile < 10) {
          lastDecile = decile;
          record('progress', {}, null);
        }
      }
    },
    done(step) {
      if (step !== undefined) {
        detail = step;
      }
      if (!finished && options.total !== null) {
        done = Math.max(done, options.total);
      }
      const f = figures();
      finish(`done in ${formatDuration(f.elapsedSeconds)}`, 'progress finished', {
        elapsedSeconds: Number(f.elapsedSeconds.toFixed(3)),
      });
    },
    fail(reason) {
      detail = reason;
      const f = figures();
      finish(`failed after ${formatDuration(f.elapsedSeconds)}`, 'progress failed', {
        elapsedSeconds: Number(f.elapsedSeconds.toFixed(3)),
      });
    },
  };
}

/** One destination for every long task of a process (main: stderr, a terminal or not, and the logger). */
export function createProgressFactory(
  shared: Omit<ProgressOptions, 'label' | 'total' | 'unit' | 'detail'>,
): ProgressFactory {
  return (task) => createProgress({ ...shared, ...task });
}
