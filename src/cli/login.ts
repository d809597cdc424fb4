import { createInterface } from 'node:readline/promises';
import type { Readable, Writable } from 'node:stream';
import { loadConfig } from '../config.ts';
import { createGuardedKiteConnect, createKiteClient, scrubSecrets } from '../providers/kite/kite-client.ts';
import { tokenExpiresAt } from '../providers/kite/kite-schedule.ts';
import { writeTokenFile } from '../providers/kite/token-vault.ts';

export interface LoginIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly now?: () => Date;
}

const REQUEST_TOKEN = /^[A-Za-z0-9]{6,64}$/;

/**
 * `g6 login [request_token]`: prints Kite's login URL, takes the request_token from the argument or a
 * prompt, exchanges it (with KITE_API_SECRET) for the day's access token and stores that encrypted with
 * G6_TOKEN_PASSPHRASE. A running server watching the vault picks it up. Returns the exit code.
 */
export async function runLogin(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: LoginIo,
): Promise<number> {
  const fail = (text: string) => {
    io.stderr.write(`g6 login: ${text}\n`);
    return 2;
  };
  if (args.length > 1) {
    return fail('expected at most one argument, the request_token');
  }
  const result = loadConfig({ ...env, G6_MOCK_MODE: 'true' }, []);
  if (result.kind === 'invalid') {
    return fail(`invalid configuration\n${result.errors.map((e) => `  ${e}\n`).join('')}`);
  }
  if (result.kind !== 'config') {
    return 2;
  }
  const { kite } = result.config;
  const missing = [
    kite.apiKey === undefined ? 'KITE_API_KEY' : null,
    kite.apiSecret === undefined ? 'KITE_API_SECRET' : null,
    kite.passphrase === undefined ? 'G6_TOKEN_PASSPHRASE' : null,
  ].filter((name): name is string => name !== null);
  if (missing.length > 0) {
    return fail(`${missing.join(', ')} must be set (the passphrase encrypts the stored token)`);
  }
  const apiKey = kite.apiKey as string;
  const apiSecret = kite.apiSecret as string;
  const loginUrl = createGuardedKiteConnect({ apiKey, timeoutMs: kite.requestTimeoutMs }).getLoginURL();
  io.stdout.write(
    `Log in to Kite here, then copy request_token from the address you are sent back to:\n  ${loginUrl}\n`,
  );

  let requestToken = args[0];
  if (requestToken === undefined) {
    const prompt = createInterface({ input: io.stdin, output: io.stdout, terminal: false });
    try {
      requestToken = (await prompt.question('request_token: ')).trim();
    } finally {
      prompt.close();
    }
  }
  if (!REQUEST_TOKEN.test(requestToken)) {
    return fail('that does not look like a request_token (letters and digits only)');
  }

  const client = createKiteClient({
    apiKey,
    accessToken: null,
    ...(kite.root === undefined ? {} : { root: kite.root }),
    timeoutMs: kite.requestTimeoutMs,
    secrets: [apiSecret, requestToken],
  });
  try {
    const session = await client.generateSession(requestToken, apiSecret);
    const loginTime = session.loginTime ?? (io.now ?? (() => new Date()))();
    await writeTokenFile(
      kite.tokenFile,
      { accessToken: session.accessToken, userId: session.userId, loginTime: loginTime.toISOString(), apiKey },
      kite.passphrase as string,
    );
    const expiresAt = tokenExpiresAt(loginTime);
    io.stdout.write(
      `Stored the access token for ${session.userId || 'your account'} in ${kite.tokenFile} (AES-256-GCM).\n` +
        `It expires at 06:00 IST (${expiresAt.toISOString()}). A running G6 picks it up within seconds.\n`,
    );
    return 0;
  } catch (error) {
    io.stderr.write(`g6 login: ${scrubSecrets((error as Error).message, [apiSecret, requestToken])}\n`);
    return 1;
  }
}
