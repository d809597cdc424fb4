import { accessSync, constants, mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { type DestinationStream, type Logger, pino } from 'pino';
import type { Config } from './config.ts';

/** Keys whose values never reach a log line, wherever they appear (one or two levels deep). */
export const REDACTED_PATHS = [
  'accessToken',
  'apiSecret',
  'apiKey',
  'access_token',
  'api_secret',
  'request_token',
  'token',
  'password',
  'secret',
  'authorization',
  '*.accessToken',
  '*.apiSecret',
  '*.apiKey',
  '*.access_token',
  '*.api_secret',
  '*.request_token',
  '*.token',
  '*.password',
  '*.secret',
  '*.authorization',
  '*.*.accessToken',
  '*.*.apiSecret',
  '*.*.apiKey',
  '*.*.token',
  '*.*.authorization',
  'req.headers.authorization',
  'connectionParams',
  // Header and option names arrive in either case (axios configs, fetch Headers copied into objects).
  'Authorization',
  '*.Authorization',
  '*.*.Authorization',
  '*.*.*.authorization',
  '*.*.*.Authorization',
  '*.*.*.*.authorization',
  '*.*.*.*.Authorization',
  'x-api-key',
  '*.x-api-key',
  '*.*.x-api-key',
  '*.*.*.x-api-key',
];

/** The date in a log file's name: pino-roll formats it with date-fns, in the process's time zone. */
export const LOG_FILE_DATE_FORMAT = 'yyyy-MM-dd';

/**
 * Where G6_LOG_FILE's files go. pino-roll names each file `<base>.<date>.<n>.<extension>` (the number
 * grows only if a day's file is rolled again), so `%DATE%` marks nothing but the base's end: the
 * separators around it are dropped and the date takes pino-roll's place in the name.
 */
export interface LogFileLayout {
  readonly directory: string;
  readonly base: string;
  /** Without the dot. */
  readonly extension: string;
}

export type LoggerConfig = Pick<Config, 'logLevel' | 'logFormat'> &
  Partial<Pick<Config, 'logFile' | 'logRetentionDays'>>;

export interface LoggerOptions {
  /** The clock that decides which old log files are past retention at start-up. */
  readonly now?: () => Date;
}

/** G6_LOG_FILE (relative to `cwd`) → the directory, base name and extension of its dated files. */
export function resolveLogFileLayout(logFile: string, cwd: string): LogFileLayout {
  const absolute = resolve(cwd, logFile);
  const endsInDirectory = /[/\\]$/.test(logFile);
  const name = endsInDirectory ? '' : basename(absolute);
  const at = name.indexOf('%DATE%');
  const around = at === -1 ? name : `${name.slice(0, at)}${name.slice(at + '%DATE%'.length)}`;
  // extname('.log') is '' (a dotfile), yet '%DATE%.log' means a .log file.
  const dotted = extname(around) || (/^\.[^.]+$/.test(around) ? around : '');
  const extension = dotted.slice(1).replace(/[-_\s]+$/, '');
  const stem = (dotted === '' ? around : around.slice(0, -dotted.length))
    .replaceAll('%DATE%', '')
    .replace(/^[-_.\s]+|[-_.\s]+$/g, '');
  return {
    directory: endsInDirectory ? absolute : dirname(absolute),
    base: stem === '' ? 'g6' : stem,
    extension: extension === '' ? 'log' : extension,
  };
}

/** How the files of a layout are named, for people: `/…/logs/g6_platform.<yyyy-MM-dd>.<n>.log`. */
export function describeLogFiles(layout: LogFileLayout): string {
  return join(layout.directory, `${layout.base}.<${LOG_FILE_DATE_FORMAT}>.<n>.${layout.extension}`);
}

/** The options handed to pino-roll: a new dated file at each local midnight, at most `retentionDays` kept. */
export function logFileTransportOptions(layout: LogFileLayout, retentionDays: number): Record<string, unknown> {
  return {
    // pino-roll takes the extension from this name and inserts `.<date>.<n>` before it.
    file: join(layout.directory, `${layout.base}.${layout.extension}`),
    frequency: 'daily',
    dateFormat: LOG_FILE_DATE_FORMAT,
    mkdir: true,
    // `current.log` beside the files follows the newest, for `tail -F`.
    symlink: true,
    // Counted over every file of this name, not only this process's: a restart keeps the same budget.
    limit: { count: retentionDays, removeOtherLogFiles: true },
  };
}

const pad = (n: number) => String(n).padStart(2, '0');
const localDate = (instant: Date) =>
  `${instant.getFullYear()}-${pad(instant.getMonth() + 1)}-${pad(instant.getDate())}`;

/**
 * Names of a layout's files dated before the last `retentionDays` local days (today included). pino-roll prunes
 * only when it rolls at midnight, so a process restarted every day before midnight would never prune.
 */
export function expiredLogFiles(
  names: readonly string[],
  layout: LogFileLayout,
  retentionDays: number,
  now: Date,
): string[] {
  const head = `${layout.base}.`;
  const tail = `.${layout.extension}`;
  const dateOf = (name: string) =>
    name.startsWith(head) && name.endsWith(tail)
      ? /^(\d{4}-\d{2}-\d{2})\.\d+$/.exec(name.slice(head.length, name.length - tail.length))?.[1]
      : undefined;
  // Today counts as one of the days, as pino-roll's count includes the file in use.
  const oldest = new Date(now.getFullYear(), now.getMonth(), now.getDate() - (retentionDays - 1));
  const cutoff = localDate(oldest);
  return names.filter((name) => {
    const date = dateOf(name);
    return date !== undefined && date < cutoff;
  });
}

export class LogFileError extends Error {
  override readonly name = 'LogFileError';
  readonly directory: string;
  constructor(directory: string, cause: unknown) {
    super(`cannot write log files in ${directory} (G6_LOG_FILE): ${(cause as Error).message}`, { cause });
    this.directory = directory;
  }
}

function pruneLogFiles(layout: LogFileLayout, retentionDays: number, now: Date): void {
  let names: string[];
  try {
    names = readdirSync(layout.directory);
  } catch {
    return;
  }
  for (const name of expiredLogFiles(names, layout, retentionDays, now)) {
    try {
      unlinkSync(join(layout.directory, name));
    } catch {
      // Gone already (pino-roll pruned it too) or not ours to delete.
    }
  }
}

const nextLocalMidnightMs = (instant: Date) =>
  new Date(instant.getFullYear(), instant.getMonth(), instant.getDate() + 1).getTime();

/**
 * Opens the rotating file target, after making sure its directory exists and is writable. Retention
 * is by the dates in the names: expired files go now and with the first line of each new local day,
 * when pino-roll opens that day's file. pino-roll's own `limit.count` stays as a backstop; alone it
 * would not do, as it prunes only when it rolls and lists the directory before the new file exists.
 */
function openLogFile(layout: LogFileLayout, retentionDays: number, now: () => Date): DestinationStream {
  try {
    mkdirSync(layout.directory, { recursive: true });
    accessSync(layout.directory, constants.W_OK);
  } catch (error) {
    throw new LogFileError(layout.directory, error);
  }
  const startedAt = now();
  pruneLogFiles(layout, retentionDays, startedAt);
  let pruneAtMs = nextLocalMidnightMs(startedAt);
  const file = pino.transport({ target: 'pino-roll', options: logFileTransportOptions(layout, retentionDays) });
  let reported = false;
  // A file target that breaks later (disk gone) must not take stdout logging or the process with it.
  file.on('error', (error: Error) => {
    if (!reported) {
      reported = true;
      process.stderr.write(`g6: log file ${describeLogFiles(layout)} stopped: ${error.message}\n`);
    }
  });
  // No timer of its own: a day without a line needs no pruning until the next line.
  return {
    write(line: string) {
      const at = now();
      if (at.getTime() >= pruneAtMs) {
        pruneAtMs = nextLocalMidnightMs(at);
        pruneLogFiles(layout, retentionDays, at);
      }
      return file.write(line);
    },
    flushSync: () => file.flushSync(),
    end: () => file.end(),
  } as DestinationStream;
}

/**
 * pino to stdout (JSON, or pino-pretty on a terminal) and, when `logFile` is set, also to dated files
 * rotated daily by pino-roll in a worker thread. Redaction happens before either sees a line.
 * Throws LogFileError when the log directory cannot be created or written.
 */
export function createLogger(
  config: LoggerConfig,
  destination?: DestinationStream,
  options: LoggerOptions = {},
): Logger {
  const base = {
    name: 'g6',
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
  };
  const pretty = {
    target: 'pino-pretty',
    options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' },
  };
  if (config.logFile === undefined || config.logFile === null) {
    if (destination !== undefined) {
      return pino(base, destination);
    }
    return config.logFormat === 'pretty' ? pino({ ...base, transport: pretty }) : pino(base);
  }
  const layout = resolveLogFileLayout(config.logFile, process.cwd());
  const file = openLogFile(layout, config.logRetentionDays ?? 14, options.now ?? (() => new Date()));
  // stdout stays what it is without a file: JSON written from this thread, or pretty from a worker.
  const stdout =
    destination ??
    (config.logFormat === 'pretty' ? pino.transport(pretty) : pino.destination({ dest: 1, sync: false }));
  return pino(
    base,
    pino.multistream([
      { level: config.logLevel, stream: stdout },
      { level: config.logLevel, stream: file },
    ]),
  );
}
