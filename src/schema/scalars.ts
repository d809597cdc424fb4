import { GraphQLError, Kind } from 'graphql';
import { ERROR_CODES } from '../domain/errors.ts';
import { isIsoDate } from '../domain/ist-time.ts';
import { builder } from './builder.ts';

function parseDate(value: unknown): string {
  if (typeof value !== 'string' || !isIsoDate(value)) {
    throw new GraphQLError(`Date must be a calendar date written YYYY-MM-DD, got ${JSON.stringify(value)}`, {
      extensions: { code: ERROR_CODES.BAD_USER_INPUT },
    });
  }
  return value;
}

builder.scalarType('Date', {
  description: 'A calendar date, YYYY-MM-DD (expiry dates are IST trading days).',
  serialize: (value) => value,
  parseValue: parseDate,
  parseLiteral: (ast) => parseDate(ast.kind === Kind.STRING ? ast.value : undefined),
});

/** RFC 3339 date-time: a real calendar date, a time of day, and an offset (Z or ±HH:MM) always. */
const DATE_TIME =
  /^(\d{4}-\d{2}-\d{2})[Tt ]([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(\.\d{1,9})?)?([Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

function parseDateTime(value: unknown): Date {
  const match = typeof value === 'string' ? DATE_TIME.exec(value) : null;
  // Date.parse alone reads 2026-02-30 as 2 March, and an instant without an offset in the server's TZ.
  const parsed =
    match !== null && isIsoDate(match[1]!)
      ? new Date(
          `${match[1]}T${match[2]}:${match[3]}:${match[4] ?? '00'}${(match[5] ?? '').slice(0, 4)}${match[6]!.toUpperCase()}`,
        )
      : null;
  if (parsed === null || Number.isNaN(parsed.getTime())) {
    throw new GraphQLError(
      `DateTime must be an ISO 8601 instant with a real date and an offset (e.g. 2026-08-18T09:30:00+05:30 or ` +
        `…Z), got ${JSON.stringify(value)}`,
      { extensions: { code: ERROR_CODES.BAD_USER_INPUT } },
    );
  }
  return parsed;
}

builder.scalarType('DateTime', {
  description: 'An instant, ISO 8601 in UTC (e.g. 2026-08-18T04:00:00.000Z); convert to IST (+05:30) for display.',
  serialize: (value) => value.toISOString(),
  parseValue: parseDateTime,
  parseLiteral: (ast) => parseDateTime(ast.kind === Kind.STRING ? ast.value : undefined),
});
