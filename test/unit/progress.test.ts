import { describe, expect, it } from 'vitest';
import { createProgress, createProgressFactory, formatCount, formatDuration } from '../../src/cli/progress.ts';

const CLEAR = '\u001b[2K';

function fakeClock(startIso = '2026-08-17T04:00:00Z') {
  let ms = Date.parse(startIso);
  return {
    now: () => new Date(ms),
    advance(byMs: number) {
      ms += byMs;
    },
  };
}

function terminal(columns?: number) {
  const writes: string[] = [];
  return { writes, stream: { write: (text: string) => writes.push(text), columns } };
}

function capturingLogger() {
  const lines: { object: Record<string, unknown>; message: string }[] = [];
  return {
    lines,
    logger: { info: (object: object, message: string) => lines.push({ object: { ...object }, message }) },
  };
}

describe('progress on a terminal', () => {
  it('redraws one line in place, at most every 100 ms, with count, percentage, rate and ETA', () => {
    const clock = fakeClock();
    const tty = terminal();
    const { lines, logger } = capturingLogger();
    const progress = createProgress({
      label: 'replay',
      total: 1000,
      unit: 'snapshots',
      stream: tty.stream,
      isTty: true,
      logger,
      now: clock.now,
    });
    expect(tty.writes).toEqual([`${CLEAR}replay  0/1000 snapshots  0%  -/s  eta -\r`]);

    // 250 snapshots in the first second, reported one at a time every 4 ms.
    for (let n = 1; n <= 250; n++) {
      clock.advance(4);
      progress.update(n);
    }
    // One draw at the start, then one per 100 ms of the clock (at 100, 200, … 1000 ms).
    expect(tty.writes).toHaveLength(11);
    expect(tty.writes.at(-1)).toBe(`${CLEAR}replay  250/1000 snapshots  25%  250 snapshots/s  eta 3s\r`);
    for (const write of tty.writes) {
      expect(write.startsWith(CLEAR) && write.endsWith('\r') && !write.includes('\n')).toBe(true);
    }

    clock.advance(3000);
    progress.update(1000, '2026-08-14');
    progress.done();
    expect(tty.writes.at(-1)).toBe(
      `${CLEAR}replay  1000/1000 snapshots  100%  250 snapshots/s  done in 4s  2026-08-14\n`,
    );
    // Finished is final: later calls draw nothing, and the terminal run logs nothing.
    progress.update(5);
    progress.done();
    expect(tty.writes).toHaveLength(13);
    expect(lines).toEqual([]);
  });

  it('cuts the line to the terminal width, since a wrapped line cannot be redrawn', () => {
    const tty = terminal(30);
    const clock = fakeClock();
    const progress = createProgress({
      label: 'instruments',
      total: 2,
      unit: 'exchanges',
      stream: tty.stream,
      isTty: true,
      now: clock.now,
    });
    clock.advance(500);
    progress.update(1, 'NFO');
    for (const write of tty.writes) {
      expect(write.replace(CLEAR, '').replace('\r', '').length).toBeLessThanOrEqual(29);
    }
    expect(tty.writes.at(-1)).toBe(`${CLEAR}instruments  1/2 exchanges\r`);
  });

  it('closes the line with the reason when the work fails', () => {
    const tty = terminal();
    const clock = fakeClock();
    const progress = createProgress({
      label: 'instruments',
      total: 2,
      stream: tty.stream,
      isTty: true,
      now: clock.now,
    });
    clock.advance(65_000);
    progress.fail('HTTP 503 from Kite');
    expect(tty.writes.at(-1)).toBe(`${CLEAR}instruments  0/2  0%  -/s  failed after 1m05s  HTTP 503 from Kite\n`);
  });
});

describe('progress without a terminal', () => {
  it('logs the start, each 10 % crossed and the end, with the figures as fields', () => {
    const clock = fakeClock();
    const tty = terminal();
    const { lines, logger } = capturingLogger();
    const progress = createProgress({
      label: 'replay',
      total: 200,
      unit: 'snapshots',
      stream: tty.stream,
      isTty: false,
      logger,
      now: clock.now,
    });
    for (let n = 1; n <= 200; n++) {
      clock.advance(50);
      progress.update(n);
    }
    progress.done();
    expect(tty.writes).toEqual([]);
    expect(lines.map((l) => l.message)).toEqual([
      'progress started',
      ...Array.from({ length: 9 }, () => 'progress'),
      'progress finished',
    ]);
    expect(lines.slice(1, 10).map((l) => l.object.percent)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(lines[0]!.object).toEqual({ task: 'replay', done: 0, total: 200, unit: 'snapshots', percent: 0 });
    // 20 of 200 after 1 s: 20 per second, 9 s to go.
    expect(lines[1]!.object).toEqual({
      task: 'replay',
      done: 20,
      total: 200,
      unit: 'snapshots',
      percent: 10,
      perSecond: 20,
      etaSeconds: 9,
    });
    expect(lines[10]!.object).toEqual({
      task: 'replay',
      done: 200,
      total: 200,
      unit: 'snapshots',
      percent: 100,
      perSecond: 20,
      elapsedSeconds: 10,
    });
  });

  it('logs a jump over several tenths once, and a failure with its reason', () => {
    const clock = fakeClock();
    const { lines, logger } = capturingLogger();
    const progress = createProgress({
      label: 'bench',
      total: 4,
      stream: terminal().stream,
      isTty: false,
      logger,
      now: clock.now,
    });
    clock.advance(1000);
    progress.update(3, 'query throughput');
    progress.update(3);
    clock.advance(1000);
    progress.fail('scale-out: redis-server not found');
    expect(lines.map((l) => [l.message, l.object.percent, l.object.detail])).toEqual([
      ['progress started', 0, undefined],
      ['progress', 75, 'query throughput'],
      ['progress failed', 75, 'scale-out: redis-server not found'],
    ]);
  });

  it('writes plain lines to the stream when there is no logger (npm run bench), naming each phase', () => {
    const clock = fakeClock();
    const out = terminal();
    const progress = createProgress({
      label: 'bench',
      total: 5,
      unit: 'phases',
      detail: 'greeks',
      stream: out.stream,
      isTty: false,
      now: clock.now,
    });
    clock.advance(2000);
    progress.update(1, 'implied volatility');
    clock.advance(6000);
    progress.update(4, 'scale-out');
    clock.advance(2000);
    progress.done();
    expect(out.writes).toEqual([
      'bench  0/5 phases  0%  -/s  started  greeks\n',
      'bench  1/5 phases  20%  0.5 phases/s  eta 8s  implied volatility\n',
      'bench  4/5 phases  80%  0.5 phases/s  eta 2s  scale-out\n',
      'bench  5/5 phases  100%  0.5 phases/s  done in 10s  scale-out\n',
    ]);
  });

  it('with an unknown total logs only the start and the end, with no percentage or ETA', () => {
    const clock = fakeClock();
    const { lines, logger } = capturingLogger();
    const progress = createProgress({
      label: 'download',
      total: null,
      unit: 'rows',
      stream: terminal().stream,
      isTty: false,
      logger,
      now: clock.now,
    });
    for (let n = 1; n <= 100; n++) {
      clock.advance(10);
      progress.update(n * 1000);
    }
    progress.done();
    expect(lines.map((l) => l.message)).toEqual(['progress started', 'progress finished']);
    expect(lines[1]!.object).toEqual({
      task: 'download',
      done: 100_000,
      total: null,
      unit: 'rows',
      perSecond: 100_000,
      elapsedSeconds: 1,
    });
  });
});

describe('progress factory and formats', () => {
  it('shares one destination between tasks', () => {
    const { lines, logger } = capturingLogger();
    const clock = fakeClock();
    const make = createProgressFactory({ stream: terminal().stream, isTty: false, logger, now: clock.now });
    make({ label: 'instruments', total: 2, unit: 'exchanges' }).done();
    make({ label: 'replay', total: 10 }).done();
    expect(lines.map((l) => [l.object.task, l.message])).toEqual([
      ['instruments', 'progress started'],
      ['instruments', 'progress finished'],
      ['replay', 'progress started'],
      ['replay', 'progress finished'],
    ]);
  });

  it('formats counts and durations compactly', () => {
    expect([0.25, 9.96, 12.4, 999, 4567, 1_234_567].map(formatCount)).toEqual([
      '0.3',
      '10',
      '12',
      '999',
      '4.6k',
      '1.2M',
    ]);
    expect([0, 4.4, 59.6, 65, 3599, 3725].map(formatDuration)).toEqual([
      '0s',
      '4s',
      '1m00s',
      '1m05s',
      '59m59s',
      '1h02m',
    ]);
  });
});
