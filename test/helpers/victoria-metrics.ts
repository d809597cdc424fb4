import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One exported series: the metric's labels and its samples. */
export interface ExportedSeries {
  readonly metric: Record<string, string>;
  readonly values: number[];
  readonly timestamps: number[];
}

export interface VictoriaMetrics {
  /** Base URL for the Influx client (`/api/v2/write` is served at its root). */
  readonly url: string;
  /** SIGSTOP: connections are accepted by the kernel and never answered. */
  pause(): void;
  resume(): void;
  /**
   * SIGKILL and wait for the exit. VictoriaMetrics 1.79 acknowledges writes before they reach disk (seen
   * here: still only in memory 8 s later, even after /internal/force_flush), so a kill loses points it
   * had acknowledged: its durability, not G6's. Tests kill it only before it acknowledged what they check.
   */
  kill(): Promise<void>;
  /** Starts again on the same port and data (after `kill`). */
  restart(): Promise<void>;
  /** Every series whose name matches the regex, deduplicated by (series, timestamp) as InfluxDB would. */
  exportSeries(nameRegex: string): Promise<ExportedSeries[]>;
  /**
   * The export once `ready` accepts it, or the last one after `timeoutMs`: series VictoriaMetrics has just
   * registered can stay out of its index for a few seconds after the write was acknowledged (and after a
   * force_flush), and the server offers nothing to wait on but its answers.
   */
  exportSeriesWhen(
    nameRegex: string,
    ready: (series: ExportedSeries[]) => boolean,
    timeoutMs?: number,
  ): Promise<ExportedSeries[]>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/**
 * Debian's victoria-metrics on a free loopback port with its own data folder: it accepts the Influx
 * client's `/api/v2/write` unchanged. Dedup at 1 ms makes a point rewritten with the same timestamp and
 * tags count once, as in InfluxDB; retention of 100 years keeps historical test timestamps (VM drops
 * points older than its retention with a 204).
 */
export async function startVictoriaMetrics(): Promise<VictoriaMetrics> {
  const dataDir = mkdtempSync(join(tmpdir(), 'g6-vm-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;

  const launch = () =>
    new Promise<void>((resolve, reject) => {
      const proc = spawn(
        'victoria-metrics',
        [
          `-httpListenAddr=127.0.0.1:${port}`,
          `-storageDataPath=${dataDir}`,
          '-retentionPeriod=100y',
          '-dedup.minScrapeInterval=1ms',
          '-search.disableCache',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      child = proc;
      let output = '';
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('starting http server at')) {
          proc.stderr?.off('data', onData);
          proc.stderr?.resume();
          resolve();
        }
      };
      proc.stderr?.on('data', onData);
      proc.once('error', (error) =>
        reject(new Error(`victoria-metrics could not start (is the Debian package installed?): ${error.message}`)),
      );
      proc.once('exit', (code) =>
        reject(new Error(`victoria-metrics exited with ${code} before listening:\n${output}`)),
      );
    });

  await launch();
  const vm: VictoriaMetrics = {
    url,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    async kill() {
      const proc = child;
      if (proc === null || proc.exitCode !== null || proc.signalCode !== null) {
        return;
      }
      await new Promise<void>((resolve) => {
        proc.once('exit', () => resolve());
        proc.kill('SIGKILL');
      });
    },
    restart: launch,
    async exportSeries(nameRegex) {
      await fetch(`${url}/internal/force_flush`);
      const body = new URLSearchParams({ 'match[]': `{__name__=~"${nameRegex}"}` });
      const response = await fetch(`${url}/api/v1/export`, { method: 'POST', body });
      if (!response.ok) {
        throw new Error(`export failed: ${response.status} ${await response.text()}`);
      }
      return (await response.text())
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as ExportedSeries);
    },
    async exportSeriesWhen(nameRegex, ready, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const series = await vm.exportSeries(nameRegex);
        if (ready(series) || Date.now() > deadline) {
          return series;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    async stop() {
      const proc = child;
      if (proc !== null && proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGCONT');
        await new Promise<void>((resolve) => {
          proc.once('exit', () => resolve());
          proc.kill('SIGKILL');
        });
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return vm;
}
