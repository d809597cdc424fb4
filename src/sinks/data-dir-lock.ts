import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import lockfile from 'proper-lockfile';

/** Who holds a data directory: written beside the lock by the process that took it. */
export interface LockHolder {
  readonly pid: number;
  readonly hostname: string;
  readonly startedAt: string;
  readonly role: string;
}

export interface DataDirLock {
  /** The lock directory (`<dataDir>/.g6.lock`). */
  readonly path: string;
  /** Set when a stale lock (its holder killed) was taken over: who held it, when it said. */
  readonly tookOverFrom: LockHolder | 'unknown' | null;
  release(): Promise<void>;
}

/** Another live process writes this data directory; the process asking must not start. */
export class DataDirLockedError extends Error {
  readonly dataDir: string;
  readonly holder: LockHolder | null;

  constructor(dataDir: string, holder: LockHolder | null) {
    const who =
      holder === null
        ? 'another process (it has not said which yet)'
        : `pid ${holder.pid} on ${holder.hostname} (role ${holder.role}, since ${holder.startedAt})`;
    super(
      `G6_DATA_DIR ${dataDir} is in use by ${who}: one process writes a data directory. Stop it, or give this ` +
        'process its own G6_DATA_DIR (an API replica, --role api, writes none and takes no lock)',
    );
    this.name = 'DataDirLockedError';
    this.dataDir = dataDir;
    this.holder = holder;
  }
}

export interface DataDirLockOptions {
  readonly role: string;
  /**
   * A lock not refreshed for this long is a dead holder's (killed, its container gone) and is taken over.
   * The holder refreshes it every staleMs / 4; pids alone cannot tell, since containers reuse them.
   */
  readonly staleMs?: number;
  /** The lock was lost (refreshing failed past staleMs, or another process took it over). */
  readonly onCompromised: (error: Error) => void;
  readonly startedAt: Date;
}

const LOCK_NAME = '.g6.lock';
const HOLDER_NAME = '.g6.lock-holder.json';

function readHolder(dataDir: string): LockHolder | null {
  try {
    const parsed = JSON.parse(readFileSync(join(dataDir, HOLDER_NAME), 'utf8')) as Partial<LockHolder>;
    return typeof parsed.pid === 'number' && typeof parsed.hostname === 'string'
      ? {
          pid: parsed.pid,
          hostname: parsed.hostname,
          startedAt: String(parsed.startedAt),
          role: String(parsed.role ?? 'unknown'),
        }
      : null;
  } catch {
    return null;
  }
}

/**
 * Takes the exclusive write lock on a data directory (CSV days, the Influx spool, the Kite cache), or
 * throws DataDirLockedError naming the live holder. The lock is proper-lockfile's: an atomic `mkdir` whose
 * mtime the holder refreshes, so it works on any local or shared filesystem and across containers, and a
 * killed holder's lock goes stale and is taken over.
 */
export async function lockDataDir(dataDir: string, options: DataDirLockOptions): Promise<DataDirLock> {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const staleMs = options.staleMs ?? 10_000;
  const stale = existsSync(join(dir, LOCK_NAME));
  const previous = stale ? readHolder(dir) : null;
  let releaseLock: () => Promise<void>;
  try {
    releaseLock = await lockfile.lock(dir, {
      lockfilePath: join(dir, LOCK_NAME),
      stale: staleMs,
      update: Math.max(1000, Math.floor(staleMs / 4)),
      retries: 0,
      onCompromised: options.onCompromised,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new DataDirLockedError(dir, readHolder(dir));
    }
    throw error;
  }
  const holder: LockHolder = {
    pid: process.pid,
    hostname: hostname(),
    startedAt: options.startedAt.toISOString(),
    role: options.role,
  };
  const holderPath = join(dir, HOLDER_NAME);
  writeFileSync(`${holderPath}.tmp`, `${JSON.stringify(holder)}\n`);
  renameSync(`${holderPath}.tmp`, holderPath);
  let released = false;
  return {
    path: join(dir, LOCK_NAME),
    tookOverFrom: stale ? (previous ?? 'unknown') : null,
    async release() {
      if (released) {
        return;
      }
      released = true;
      rmSync(holderPath, { force: true });
      await releaseLock();
    },
  };
}
