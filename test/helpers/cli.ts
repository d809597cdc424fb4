import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { onTestFinished } from 'vitest';
import { TEST_RUN_VARIABLE } from './leftovers.ts';

export interface CliRun {
  readonly child: ChildProcess;
  readonly lines: Array<Record<string, unknown>>;
  /** Resolves with the first JSON log line matching `predicate`. */
  waitForLog(predicate: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

export interface CliOptions {
  /**
   * Start the process's wall clock at this instant (Debian's libfaketime, `FAKETIME="@…"`; the clock then
   * runs on from there). Monotonic time is left alone so timers behave.
   */
  readonly fakeTime?: Date;
  /** The child's TZ (default UTC); the faked instant is the same whatever it is. */
  readonly timeZone?: string;
}

/** Debian's libfaketime (package faketime, installed by scripts/ensure-test-services.sh). */
function libfaketime(): string {
  for (const dir of readdirSync('/usr/lib')) {
    const path = join('/usr/lib', dir, 'faketime', 'libfaketime.so.1');
    if (existsSync(path)) {
      return path;
    }
  }
  throw new Error('libfaketime.so.1 not found under /usr/lib/*/faketime: apt-get install faketime');
}

/** `YYYY-MM-DD HH:MM:SS` of an instant on the wall clock of `timeZone`: how faketime reads its start. */
function wallClockIn(instant: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

/**
 * Starts `node dist/main.js` as a user would, with JSON logs parsed line by line. The process is killed
 * when the test finishes, whatever its outcome, and carries the run's marker so the suite's teardown can
 * prove nothing outlived it.
 */
export function runCli(args: string[], env: Record<string, string>, options: CliOptions = {}): CliRun {
  const timeZone = options.timeZone ?? 'UTC';
  // Preloaded into node itself (not through the `faketime` wrapper, which forks): killing the child kills G6.
  const fakeTime =
    options.fakeTime === undefined
      ? {}
      : {
          LD_PRELOAD: libfaketime(),
          FAKETIME: `@${wallClockIn(options.fakeTime, timeZone)}`,
          FAKETIME_DONT_FAKE_MONOTONIC: '1',
        };
  const child = spawn(process.execPath, ['dist/main.js', ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      TZ: timeZone,
      [TEST_RUN_VARIABLE]: process.env[TEST_RUN_VARIABLE] ?? '',
      ...fakeTime,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  const watchers: Array<{
    predicate: (line: Record<string, unknown>) => boolean;
    resolve: (line: Record<string, unknown>) => void;
  }> = [];
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += String(chunk);
  });
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      line = { msg: text };
    }
    lines.push(line);
    for (const watcher of [...watchers]) {
      if (watcher.predicate(line)) {
        watchers.splice(watchers.indexOf(watcher), 1);
        watcher.resolve(line);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return {
    child,
    lines,
    exited,
    waitForLog(predicate) {
      const found = lines.find(predicate);
      if (found) {
        return Promise.resolve(found);
      }
      return new Promise((resolve, reject) => {
        watchers.push({ predicate, resolve });
        void exited.then(({ code, stderr: err }) =>
          reject(new Error(`g6 exited (${code}) before the expected log line: ${err}`)),
        );
      });
    },
  };
}
