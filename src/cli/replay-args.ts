import { parseArgs } from 'node:util';
import type { ReplaySettings } from '../app/start-app.ts';
import { isIsoDate } from '../domain/ist-time.ts';

export const REPLAY_USAGE =
  'Usage: g6 replay --from <YYYY-MM-DD> --to <YYYY-MM-DD> [--speed N] [--port n] [--debug]\n' +
  '  plays the CSV days stored under G6_DATA_DIR through the live pipeline (queries, subscriptions)\n';

/** `g6 replay` flags; the server flags (--port, --debug) pass through to the configuration. */
export function parseReplayArgs(
  argv: readonly string[],
): { replay: ReplaySettings; rest: string[] } | { errors: string[] } {
  let values: { from?: string; to?: string; speed?: string; port?: string; debug?: boolean };
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        speed: { type: 'string' },
        port: { type: 'string' },
        debug: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    return { errors: [(error as Error).message] };
  }
  const errors: string[] = [];
  const day = (flag: 'from' | 'to') => {
    const text = values[flag]?.trim();
    if (text === undefined) {
      errors.push(`--${flag}: required (a date, YYYY-MM-DD)`);
      return '';
    }
    const iso = /^\d{8}$/.test(text) ? `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6)}` : text;
    if (!isIsoDate(iso)) {
      errors.push(`--${flag} ${JSON.stringify(text)}: expected a date, YYYY-MM-DD`);
    }
    return iso;
  };
  const fromDay = day('from');
  const toDay = day('to');
  if (errors.length === 0 && fromDay > toDay) {
    errors.push(`--from ${fromDay} is after --to ${toDay}`);
  }
  const speed = values.speed === undefined ? 1 : Number(values.speed);
  if (!(Number.isFinite(speed) && speed > 0 && speed <= 100_000)) {
    errors.push(`--speed ${JSON.stringify(values.speed)}: expected a number above 0, at most 100000`);
  }
  if (errors.length > 0) {
    return { errors };
  }
  const rest = [
    ...(values.port === undefined ? [] : ['--port', values.port]),
    ...(values.debug === true ? ['--debug'] : []),
    '--mock',
  ];
  return { replay: { fromDay, toDay, speed }, rest };
}
