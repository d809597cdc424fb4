import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** What the vault protects: the day's access token and what Kite said about it. */
export interface StoredToken {
  readonly accessToken: string;
  readonly userId: string;
  /** ISO instant of the login; the token dies at the next 06:00 IST after it. */
  readonly loginTime: string;
  readonly apiKey: string;
}

export interface ScryptCost {
  /** CPU/memory cost, a power of two. */
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** OWASP-grade scrypt: 128 MiB and ~0.3 s per derivation, once per login and once per start. */
export const DEFAULT_SCRYPT_COST: ScryptCost = { N: 2 ** 17, r: 8, p: 1 };

interface VaultFile {
  readonly format: 'g6-kite-token';
  readonly version: 1;
  readonly kdf: {
    readonly name: 'scrypt';
    readonly N: number;
    readonly r: number;
    readonly p: number;
    readonly salt: string;
  };
  readonly cipher: 'aes-256-gcm';
  readonly iv: string;
  readonly tag: string;
  readonly ciphertext: string;
}

export class TokenVaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenVaultError';
  }
}

function deriveKey(passphrase: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // Node's default maxmem (32 MiB) refuses N = 2^17, r = 8 (128 MiB).
    const maxmem = 256 * cost.N * cost.r + 32 * 1024 * 1024;
    scrypt(passphrase, salt, 32, { N: cost.N, r: cost.r, p: cost.p, maxmem }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** Binds the ciphertext to its purpose and format: a blob from elsewhere fails authentication. */
const AAD = Buffer.from('g6-kite-token:v1');

export async function encryptToken(
  token: StoredToken,
  passphrase: string,
  cost: ScryptCost = DEFAULT_SCRYPT_COST,
): Promise<string> {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = await deriveKey(passphrase, salt, cost);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(AAD);
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(token), 'utf8'), cipher.final()]);
  const file: VaultFile = {
    format: 'g6-kite-token',
    version: 1,
    kdf: { name: 'scrypt', N: cost.N, r: cost.r, p: cost.p, salt: salt.toString('base64') },
    cipher: 'aes-256-gcm',
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    ciphertext: ciphertext.toString('base64'),
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

export async function decryptToken(text: string, passphrase: string): Promise<StoredToken> {
  let file: VaultFile;
  try {
    file = JSON.parse(text) as VaultFile;
  } catch {
    throw new TokenVaultError('token file is not a G6 token vault (not JSON)');
  }
  if (file?.format !== 'g6-kite-token' || file.version !== 1 || file.cipher !== 'aes-256-gcm') {
    throw new TokenVaultError('token file is not a version-1 G6 token vault');
  }
  const { N, r, p, salt } = file.kdf ?? {};
  if (![N, r, p].every((v) => Number.isInteger(v) && (v as number) > 0) || N > 2 ** 20 || typeof salt !== 'string') {
    throw new TokenVaultError('token file has invalid key-derivation parameters');
  }
  const key = await deriveKey(passphrase, Buffer.from(salt, 'base64'), { N, r, p });
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(file.iv, 'base64'));
  decipher.setAAD(AAD);
  decipher.setAuthTag(Buffer.from(file.tag, 'base64'));
  let plaintext: string;
  try {
    plaintext = Buffer.concat([decipher.update(Buffer.from(file.ciphertext, 'base64')), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    throw new TokenVaultError('cannot decrypt the token file: wrong G6_TOKEN_PASSPHRASE or the file was altered');
  }
  const token = JSON.parse(plaintext) as StoredToken;
  if (typeof token.accessToken !== 'string' || typeof token.loginTime !== 'string') {
    throw new TokenVaultError('token file decrypted to an unexpected shape');
  }
  return token;
}

/** Writes the vault atomically (temp file, fsync, rename) with mode 0600. */
export async function writeTokenFile(
  path: string,
  token: StoredToken,
  passphrase: string,
  cost: ScryptCost = DEFAULT_SCRYPT_COST,
): Promise<void> {
  const text = await encryptToken(token, passphrase, cost);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** The stored token, or null when there is no vault file. */
export async function readTokenFile(path: string, passphrase: string): Promise<StoredToken | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return null;
    }
    throw error;
  }
  return decryptToken(text, passphrase);
}
