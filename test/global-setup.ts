import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync } from 'node:fs';
import { processesOfRun, TEST_RUN_VARIABLE } from './helpers/leftovers.ts';

/**
 * Builds dist/ once so the CLI tests run the program exactly as `npm start` does, and checks the
 * services the suite drives are installed (scripts/ensure-test-services.sh installs them). Every process
 * the run starts inherits a run id; at the end, any still alive fails the run (and is killed), so a
 * failing test cannot leave a server collecting in the background.
 */
export default function setup(): () => void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  });
  if (!existsSync('dist/main.js')) {
    throw new Error('build did not produce dist/main.js');
  }
  // As `npm run build` does: the bin entry runs as ./dist/main.js (its shebang) and through npx.
  chmodSync('dist/main.js', 0o755);
  const runId = randomUUID();
  process.env[TEST_RUN_VARIABLE] = runId;
  return () => {
    const survivors = processesOfRun(runId);
    for (const { pid } of survivors) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Exited meanwhile.
      }
    }
    if (survivors.length > 0) {
      throw new Error(
        `processes started by the tests outlived them (now killed):\n${survivors.map((s) => `  ${s.pid} ${s.command}`).join('\n')}`,
      );
    }
  };
}
