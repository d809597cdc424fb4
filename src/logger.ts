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
  'authorization',
  '*.accessToken',
  '*.apiSecret',
  '*.apiKey',
  '*.access_token',
  '*.api_secret',
  '*.request_token',
  '*.token',
  '*.password',
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

export function createLogger(config: Pick<Config, 'logLevel' | 'logFormat'>, destination?: DestinationStream): Logger {
  const options = {
    name: 'g6',
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
  };
  if (destination !== undefined) {
    return pino(options, destination);
  }
  if (config.logFormat === 'pretty') {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' },
      },
    });
  }
  return pino(options);
}
