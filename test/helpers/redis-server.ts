import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_RUN_VARIABLE } from './leftovers.ts';
import { freePort } from './victoria-metrics.ts';

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** SIGSTOP: the kernel accepts connections and nothing answers. */
  pause(): void;
  resume(): void;
  /** SIGKILL and wait for the exit (nothing is persisted: a restart starts empty, as after losing a node). */
  kill(): Promise<void>;
  /** Starts again on the same port (after `kill`). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Debian's redis-server on a free loopback port, persistence off, its own working directory. Ready when it
 * logs that it accepts connections.
 */
export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'g6-redis-'));
  const port = await freePort();
  let child: ChildProcess | null = null;

  const launch = () =>
    new Promise<void>((resolve, reject) => {
      const proc = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { PATH: process.env.PATH ?? '', [TEST_RUN_VARIABLE]: process.env[TEST_RUN_VARIABLE] ?? '' },
        },
      );
      child = proc;
      let output = '';
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          proc.stdout?.off('data', onData);
          proc.stdout?.resume();
          resolve();
        }
      };
      proc.stdout?.on('data', onData);
      proc.stderr?.resume();
      proc.once('error', (error) =>
        reject(new Error(`redis-server could not start (apt-get install redis-server): ${error.message}`)),
      );
      proc.once('exit', (code) => reject(new Error(`redis-server exited with ${code} before listening:\n${output}`)));
    });

  const kill = async () => {
    const proc = child;
    if (proc === null || proc.exitCode !== null || proc.signalCode !== null) {
      return;
    }
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGCONT');
      proc.kill('SIGKILL');
    });
  };

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    kill,
    restart: launch,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
