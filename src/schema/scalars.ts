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

function parseDateTime(value: unknown): Date {
  const parsed = typeof value === 'string' ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(parsed.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(String(value))) {
    throw new GraphQLError(`DateTime must be an ISO 8601 instant, got ${JSON.stringify(value)}`, {
      extensions: { code: ERROR_CODES.BAD_USER_INPUT },
    });
  }
  return parsed;
}

builder.scalarType('DateTime', {
  description: 'An instant, ISO 8601 in UTC (e.g. 2026-08-18T04:00:00.000Z); convert to IST (+05:30) for display.',
  serialize: (value) => value.toISOString(),
  parseValue: parseDateTime,
  parseLiteral: (ast) => parseDateTime(ast.kind === Kind.STRING ? ast.value : undefined),
});
