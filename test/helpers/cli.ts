import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface CliRun {
  readonly child: ChildProcess;
  readonly lines: Array<Record<string, unknown>>;
  /** Resolves with the first JSON log line matching `predicate`. */
  waitForLog(predicate: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** Starts `node dist/main.js` as a user would, with JSON logs parsed line by line. */
export function runCli(args: string[], env: Record<string, string>): CliRun {
  const child = spawn(process.execPath, ['dist/main.js', ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
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
