import { readdirSync, readFileSync } from 'node:fs';

/**
 * Set by the global setup to a fresh id and inherited by every process the suite starts (helpers that pass
 * their own environment copy it), so the teardown can find any that outlived the run.
 */
export const TEST_RUN_VARIABLE = 'G6_TEST_RUN';

/** Processes (other than this one) whose environment carries `G6_TEST_RUN=<runId>`. */
export function processesOfRun(runId: string): Array<{ pid: number; command: string }> {
  const marker = `${TEST_RUN_VARIABLE}=${runId}`;
  const found: Array<{ pid: number; command: string }> = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) {
      continue;
    }
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      if (!environ.includes(marker)) {
        continue;
      }
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      // vitest's own workers inherit the marker too, and may still be exiting when the teardown runs.
      if (!command.includes('/node_modules/vitest/')) {
        found.push({ pid, command });
      }
    } catch {
      // Gone already, or not ours to read.
    }
  }
  return found;
}
