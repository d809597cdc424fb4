import { AppError, ERROR_CODES } from '../../domain/errors.ts';

/** What a failed Kite call means for the caller. */
export type KiteFailureKind = 'token' | 'retryable' | 'final';

export interface KiteFailure {
  readonly kind: KiteFailureKind;
  /** Kite's `error_type`, or `UnknownError` for a rejection of an unexpected shape. */
  readonly errorType: string;
  readonly message: string;
}

const FINAL_TYPES = new Set([
  'InputException',
  'PermissionException',
  'UserException',
  'OrderException',
  'MarginException',
  'HoldingException',
  'TwoFAException',
]);

/**
 * Classifies a kiteconnect rejection. The client rejects with plain objects `{message, error_type, status?}`,
 * not Errors (and resolves some failures, see `isKiteErrorBody`). HTTP 429 arrives as NetworkException
 * "Too many requests"; 5xx without JSON as NetworkException with the status text; timeouts and refused
 * connections as NetworkException "No response from server…".
 */
export function classifyKiteError(error: unknown): KiteFailure {
  if (typeof error === 'object' && error !== null && 'error_type' in error) {
    const errorType = String((error as { error_type: unknown }).error_type);
    const rawMessage = (error as { message?: unknown }).message;
    const message = typeof rawMessage === 'string' && rawMessage.length > 0 ? rawMessage : errorType;
    if (errorType === 'TokenException') {
      return { kind: 'token', errorType, message };
    }
    if (FINAL_TYPES.has(errorType)) {
      return { kind: 'final', errorType, message };
    }
    // NetworkException, DataException, GeneralException and unknown types: a retry costs one request.
    return { kind: 'retryable', errorType, message };
  }
  if (error instanceof Error) {
    return { kind: 'retryable', errorType: error.name, message: error.message };
  }
  return { kind: 'retryable', errorType: 'UnknownError', message: String(error) };
}

/** A 2xx reply with an unexpected content type resolves to `{error_type, message}` instead of rejecting. */
export function isKiteErrorBody(value: unknown): value is { error_type: string; message?: string } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'error_type' in value;
}

/**
 * The raw rejection is deliberately not kept as `cause`: an axios error carries its request config, whose
 * `Authorization` header holds the access token, and a logged cause would print it.
 */
export function kiteFailureToAppError(failure: KiteFailure, what: string): AppError {
  const text = `Kite ${what} failed: ${failure.errorType}: ${failure.message}`;
  switch (failure.kind) {
    case 'token':
      return new AppError(ERROR_CODES.PROVIDER_UNAUTHENTICATED, text, { retryable: false });
    case 'final':
      return new AppError(ERROR_CODES.PROVIDER_REJECTED, text, { retryable: false });
    default:
      return new AppError(ERROR_CODES.PROVIDER_UNAVAILABLE, text, { retryable: true });
  }
}
