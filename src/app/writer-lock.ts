import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { type DataDirLock, lockDataDir } from '../sinks/data-dir-lock.ts';
import type { AppMode } from './app-mode.ts';

export interface WriterLockOptions {
  readonly startedAt: Date;
  readonly logger: Logger;
  /** Told when the lock is lost while running (taken over); without it that is logged at fatal. */
  readonly onFatal: ((error: Error) => void) | undefined;
}

/**
 * One process writes a data directory (CSV, spool, Kite cache): a mode that writes takes its lock before
 * anything is written, and throws DataDirLockedError naming the holder if another process has it.
 * Null for a mode that writes nothing there.
 */
export async function takeWriterLock(
  config: Config,
  mode: AppMode,
  options: WriterLockOptions,
): Promise<DataDirLock | null> {
  if (!mode.locksDataDir) {
    return null;
  }
  const { logger } = options;
  const lock = await lockDataDir(config.dataDir, {
    role: mode.role.toLowerCase(),
    startedAt: options.startedAt,
    onCompromised: (error) => {
      const lost = new Error(`data directory lock lost: ${error.message}`);
      if (options.onFatal === undefined) {
        logger.fatal({ err: lost }, 'data directory lock lost: another process may be writing it');
      } else {
        options.onFatal(lost);
      }
    },
  });
  if (lock.tookOverFrom !== null) {
    logger.warn(
      { dataDir: resolve(config.dataDir), holder: lock.tookOverFrom },
      'data directory lock taken over from a dead holder',
    );
  }
  return lock;
}
