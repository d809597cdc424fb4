/** Machine-readable error codes, also used as GraphQL `extensions.code`. */
export const ERROR_CODES = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  INDEX_NOT_CONFIGURED: 'INDEX_NOT_CONFIGURED',
  EXPIRY_NOT_FOUND: 'EXPIRY_NOT_FOUND',
  /** No contract with that tradingsymbol in the latest snapshots (expired, outside the window, or a typo). */
  UNKNOWN_CONTRACT: 'UNKNOWN_CONTRACT',
  /** The caller asked for data no older than `maxAgeSeconds` and the latest snapshot is staler than that. */
  STALE_DATA: 'STALE_DATA',
  PROVIDER_UNAVAILABLE: 'PROVIDER_UNAVAILABLE',
  PROVIDER_TIMEOUT: 'PROVIDER_TIMEOUT',
  /** The broker refused our credentials (Kite TokenException); nothing is retried until a new token. */
  PROVIDER_UNAUTHENTICATED: 'PROVIDER_UNAUTHENTICATED',
  /** The broker rejected the request itself (bad input, permission); retrying the same request won't help. */
  PROVIDER_REJECTED: 'PROVIDER_REJECTED',
  SINK_WRITE_FAILED: 'SINK_WRITE_FAILED',
  /** History is read from the CSV store, which this server does not keep (G6_ENABLE_CSV=false). */
  HISTORY_UNAVAILABLE: 'HISTORY_UNAVAILABLE',
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** An operational error: something outside the program failed, and the caller may retry. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.retryable = options.retryable;
  }
}
