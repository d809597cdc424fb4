import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { latestInstrumentRefreshAt, tokenExpiresAt } from '../../../src/providers/kite/kite-schedule.ts';
import {
  decryptToken,
  encryptToken,
  readTokenFile,
  TokenVaultError,
  writeTokenFile,
} from '../../../src/providers/kite/token-vault.ts';

const TOKEN = {
  accessToken: 'secretaccesstoken123',
  userId: 'AB1234',
  loginTime: '2026-11-24T03:00:00.000Z',
  apiKey: 'k',
};
const CHEAP = { N: 2 ** 12, r: 8, p: 1 };
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('token vault (AES-256-GCM, scrypt)', () => {
  it('round-trips with the default OWASP-grade scrypt cost, storing no plaintext', async () => {
    const text = await encryptToken(TOKEN, 'correct horse battery');
    expect(text).not.toContain('secretaccesstoken123');
    expect(JSON.parse(text).kdf).toMatchObject({ name: 'scrypt', N: 2 ** 17, r: 8, p: 1 });
    expect(await decryptToken(text, 'correct horse battery')).toEqual(TOKEN);
  });

  it('uses a fresh salt and nonce every time', async () => {
    const a = JSON.parse(await encryptToken(TOKEN, 'pass phrase', CHEAP));
    const b = JSON.parse(await encryptToken(TOKEN, 'pass phrase', CHEAP));
    expect(a.kdf.salt).not.toBe(b.kdf.salt);
    expect(a.iv).not.toBe(b.iv);
    expect(a.ciphertext).not.toBe(b.ciphertext);
  });

  it('refuses a wrong passphrase and any altered byte', async () => {
    const text = await encryptToken(TOKEN, 'pass phrase', CHEAP);
    await expect(decryptToken(text, 'wrong phrase')).rejects.toThrow(
      /wrong G6_TOKEN_PASSPHRASE or the file was altered/,
    );
    const file = JSON.parse(text);
    const ciphertext = Buffer.from(file.ciphertext, 'base64');
    ciphertext[0] = (ciphertext[0] ?? 0) ^ 1;
    await expect(
      decryptToken(JSON.stringify({ ...file, ciphertext: ciphertext.toString('base64') }), 'pass phrase'),
    ).rejects.toBeInstanceOf(TokenVaultError);
    await expect(decryptToken('not json', 'pass phrase')).rejects.toThrow(/not a G6 token vault/);
  });

  it('writes atomically with mode 0600 and reads back; a missing file is null', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'g6-vault-'));
    dirs.push(dir);
    const path = join(dir, 'kite', 'access-token.enc');
    expect(await readTokenFile(path, 'pass phrase')).toBeNull();
    await writeTokenFile(path, TOKEN, 'pass phrase', CHEAP);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(await readTokenFile(path, 'pass phrase')).toEqual(TOKEN);
    writeFileSync(path, readFileSync(path, 'utf8').replace('"version": 1', '"version": 2'));
    await expect(readTokenFile(path, 'pass phrase')).rejects.toThrow(/version-1/);
  });
});

describe("Kite's daily schedule (IST)", () => {
  it('tokens die at the next 06:00 IST after login', () => {
    expect(tokenExpiresAt(new Date('2026-11-24T03:00:00Z')).toISOString()).toBe('2026-11-25T00:30:00.000Z');
    // Logged in at 05:00 IST: dies an hour later.
    expect(tokenExpiresAt(new Date('2026-11-23T23:30:00Z')).toISOString()).toBe('2026-11-24T00:30:00.000Z');
  });

  it('the instruments dump is fresh from 08:00 IST', () => {
    expect(latestInstrumentRefreshAt(new Date('2026-11-24T02:31:00Z')).toISOString()).toBe('2026-11-24T02:30:00.000Z');
    expect(latestInstrumentRefreshAt(new Date('2026-11-24T02:29:00Z')).toISOString()).toBe('2026-11-23T02:30:00.000Z');
  });
});
