import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tmpfs {
  readonly dir: string;
  unmount(): void;
}

/**
 * A size-limited tmpfs, for real ENOSPC. Mounting needs root (CI runs the suite as root); without it
 * the test fails with this message rather than skipping.
 */
export function mountTmpfs(sizeBytes: number): Tmpfs {
  if (process.getuid?.() !== 0) {
    throw new Error('the disk-full test mounts a small tmpfs and must run as root (CI does: .ci/run)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'g6-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir]);
  return {
    dir,
    unmount() {
      execFileSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
