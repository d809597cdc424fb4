import { unwatchFile, watchFile } from 'node:fs';
import type { Logger } from 'pino';
import { AppError, ERROR_CODES } from '../../domain/errors.ts';
import type { KiteClient } from './kite-client.ts';
import { tokenExpiresAt } from './kite-schedule.ts';
import { readTokenFile } from './token-vault.ts';

export type TokenSource = 'environment' | 'vault';

export type TokenState =
  | {
      readonly status: 'valid';
      readonly accessToken: string;
      readonly source: TokenSource;
      readonly expiresAt: Date;
      /** False while Kite could not be asked (network down at start); the first collection verifies. */
      readonly verified: boolean;
    }
  | { readonly status: 'missing' | 'expired' | 'rejected'; readonly reason: string; readonly expiresAt: Date | null };

export interface KiteCredentialsOptions {
  readonly apiKey: string;
  readonly environmentToken: string | null;
  /** The encrypted vault `g6 login` writes; watched for new tokens while running. */
  readonly tokenFile: string | null;
  readonly passphrase: string | null;
  readonly client: Pick<KiteClient, 'getProfile' | 'setAccessToken'>;
  readonly now: () => Date;
  readonly logger: Logger;
  readonly onChange: (state: TokenState) => void;
  readonly watchIntervalMs?: number;
}

/**
 * The access token's life: loaded from KITE_ACCESS_TOKEN or the vault, validated with `/user/profile`,
 * dead at 06:00 IST or at the first TokenException, replaced when `g6 login` writes a new vault.
 */
export class KiteCredentials {
  readonly #options: KiteCredentialsOptions;
  #state: TokenState = { status: 'missing', reason: 'no Kite access token loaded yet', expiresAt: null };
  #reloading: Promise<void> = Promise.resolve();
  #watching = false;

  constructor(options: KiteCredentialsOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    const { environmentToken, tokenFile } = this.#options;
    if (environmentToken !== null) {
      await this.#adopt(environmentToken, 'environment', tokenExpiresAt(this.#options.now()));
    }
    if (this.#state.status !== 'valid' && tokenFile !== null) {
      await this.#loadVault();
    }
    if (this.#state.status === 'missing') {
      this.#set({
        status: 'missing',
        reason: 'no Kite access token: set KITE_ACCESS_TOKEN or run `g6 login`',
        expiresAt: null,
      });
    }
    if (tokenFile !== null && this.#options.passphrase !== null) {
      this.#watching = true;
      watchFile(
        tokenFile,
        { interval: this.#options.watchIntervalMs ?? 1000, persistent: false },
        (current, previous) => {
          if (current.mtimeMs !== previous.mtimeMs || current.size !== previous.size) {
            this.#reloading = this.#reloading.then(() => this.#loadVault());
          }
        },
      );
    }
  }

  stop(): void {
    if (this.#watching && this.#options.tokenFile !== null) {
      unwatchFile(this.#options.tokenFile);
      this.#watching = false;
    }
  }

  /** The state now, with the 06:00 IST expiry applied. */
  current(): TokenState {
    const state = this.#state;
    if (state.status === 'valid' && this.#options.now().getTime() >= state.expiresAt.getTime()) {
      this.#set({
        status: 'expired',
        reason: `Kite access token expired at ${state.expiresAt.toISOString()} (06:00 IST); run \`g6 login\``,
        expiresAt: state.expiresAt,
      });
    }
    return this.#state;
  }

  /** The token to use now, or a PROVIDER_UNAUTHENTICATED error that costs no request. */
  require(): string {
    const state = this.current();
    if (state.status !== 'valid') {
      throw new AppError(ERROR_CODES.PROVIDER_UNAUTHENTICATED, state.reason, { retryable: false });
    }
    return state.accessToken;
  }

  /** Kite answered TokenException: the token is dead until a new one is stored. */
  reject(message: string): void {
    const state = this.#state;
    if (state.status !== 'valid') {
      return;
    }
    this.#set({
      status: 'rejected',
      reason: `Kite rejected the access token (${message}); run \`g6 login\``,
      expiresAt: state.expiresAt,
    });
  }

  /** Resolves when a vault change seen so far has been processed (tests wait on it). */
  settled(): Promise<void> {
    return this.#reloading;
  }

  async #loadVault(): Promise<void> {
    const { tokenFile, passphrase } = this.#options;
    if (tokenFile === null || passphrase === null) {
      return;
    }
    try {
      const stored = await readTokenFile(tokenFile, passphrase);
      if (stored === null) {
        return;
      }
      if (stored.apiKey !== this.#options.apiKey) {
        this.#options.logger.warn({ tokenFile }, 'token vault holds a token for another KITE_API_KEY; ignored');
        return;
      }
      const current = this.#state;
      if (current.status === 'valid' && current.accessToken === stored.accessToken) {
        return;
      }
      const expiresAt = tokenExpiresAt(new Date(stored.loginTime));
      if (expiresAt.getTime() <= this.#options.now().getTime()) {
        if (current.status !== 'valid') {
          this.#set({
            status: 'expired',
            reason: 'the stored Kite token has expired (06:00 IST); run `g6 login`',
            expiresAt,
          });
        }
        return;
      }
      await this.#adopt(stored.accessToken, 'vault', expiresAt);
    } catch (error) {
      this.#options.logger.error({ tokenFile, error: (error as Error).message }, 'cannot read the token vault');
    }
  }

  async #adopt(accessToken: string, source: TokenSource, expiresAt: Date): Promise<void> {
    const previous = this.#state;
    this.#options.client.setAccessToken(accessToken);
    try {
      const profile = await this.#options.client.getProfile();
      this.#options.logger.info(
        { source, userId: profile.userId, expiresAt: expiresAt.toISOString() },
        'Kite access token accepted',
      );
      this.#set({ status: 'valid', accessToken, source, expiresAt, verified: true });
    } catch (error) {
      if (error instanceof AppError && error.code === ERROR_CODES.PROVIDER_UNAUTHENTICATED) {
        if (previous.status === 'valid' && this.#options.now() < previous.expiresAt) {
          // A bad new token must not displace a working one.
          this.#options.client.setAccessToken(previous.accessToken);
          this.#options.logger.warn({ source }, 'Kite rejected the new access token; keeping the current one');
          return;
        }
        this.#set({ status: 'rejected', reason: `${error.message}; run \`g6 login\``, expiresAt });
        return;
      }
      // Kite unreachable: keep the token; the first collection tells whether it works.
      this.#options.logger.warn(
        { source, error: (error as Error).message },
        'could not validate the Kite access token; will verify on first collection',
      );
      this.#set({ status: 'valid', accessToken, source, expiresAt, verified: false });
    }
  }

  #set(state: TokenState): void {
    this.#state = state;
    this.#options.onChange(state);
  }
}
