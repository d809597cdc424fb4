import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { type DocumentNode, Kind, type SelectionSetNode } from 'graphql';

/** read: queries; subscribe: subscriptions; history: fields that read the CSV store. */
export const API_SCOPES = ['read', 'subscribe', 'history'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export interface ApiKeyEntry {
  readonly name: string;
  /** SHA-256 of the key, 32 bytes. The key itself is never stored. */
  readonly sha256: Buffer;
  readonly scopes: ReadonlySet<ApiScope>;
}

export interface Principal {
  readonly name: string;
  readonly scopes: ReadonlySet<ApiScope>;
}

/** Keys start with this so a leaked one is recognisable (and secret scanners can match it). */
const KEY_PREFIX = 'g6_';

export function hashKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** A new random key (32 bytes) and the `G6_API_KEYS` entry that admits it. */
export function generateApiKey(name: string, scopes: readonly ApiScope[]): { key: string; entry: string } {
  const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, entry: `${name}:${hashKey(key).toString('hex')}:${scopes.join('+')}` };
}

/**
 * Parses `G6_API_KEYS`: comma-separated `name:sha256hex:scope+scope` entries (`g6 keygen` prints one).
 * Returns the entries, or the problems naming the entry at fault (never echoing a hash).
 */
export function parseApiKeys(text: string): { ok: true; keys: ApiKeyEntry[] } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const keys: ApiKeyEntry[] = [];
  const names = new Set<string>();
  const entries = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  entries.forEach((entry, i) => {
    const [name, hex, scopeText, ...rest] = entry.split(':');
    const at = `entry ${i + 1}${name ? ` (${name})` : ''}`;
    if (rest.length > 0 || name === undefined || hex === undefined || scopeText === undefined) {
      errors.push(`${at}: expected name:sha256hex:scope+scope`);
      return;
    }
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
      errors.push(`${at}: the name may use letters, digits, _ . - (1 to 64)`);
    }
    if (names.has(name)) {
      errors.push(`${at}: the name is used twice`);
    }
    names.add(name);
    if (!/^[0-9a-f]{64}$/i.test(hex)) {
      errors.push(`${at}: expected the key's SHA-256 as 64 hex digits (g6 keygen prints it)`);
    }
    const scopes = scopeText.split('+').filter((s) => s.length > 0);
    const unknown = scopes.filter((s) => !(API_SCOPES as readonly string[]).includes(s));
    if (scopes.length === 0 || unknown.length > 0) {
      errors.push(`${at}: scopes must be ${API_SCOPES.join(', ')} joined by +`);
    }
    keys.push({ name, sha256: Buffer.from(hex, 'hex'), scopes: new Set(scopes as ApiScope[]) });
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, keys };
}

/** The key's owner, comparing its hash against every entry in constant time; null for an unknown key. */
export function authenticate(keys: readonly ApiKeyEntry[], presented: string | null | undefined): Principal | null {
  if (typeof presented !== 'string' || presented.length === 0 || presented.length > 512) {
    return null;
  }
  const digest = hashKey(presented);
  let found: ApiKeyEntry | null = null;
  for (const entry of keys) {
    // Every entry is compared, so the time taken says nothing about which (or whether one) matched.
    if (timingSafeEqual(digest, entry.sha256) && found === null) {
      found = entry;
    }
  }
  return found === null ? null : { name: found.name, scopes: found.scopes };
}

/** `Bearer <key>` (any case), else the bare value. */
export function keyFromAuthorization(value: string | null | undefined): string | null {
  if (typeof value !== 'string') {
    return null;
  }
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(value);
  return match?.[1] ?? (value.trim() || null);
}

/** Fields that read the CSV store, and so need the `history` scope wherever they appear. */
const HISTORY_FIELDS = new Set(['history', 'contractHistory', 'ivRank', 'ivPercentile', 'ivHistoryDays']);

/** The scopes an operation needs: read or subscribe by its type, history when it reaches stored days. */
export function requiredScopes(document: DocumentNode, operationName?: string | null): Set<ApiScope> {
  const scopes = new Set<ApiScope>();
  const fragments = new Map(
    document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])),
  );
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (HISTORY_FIELDS.has(selection.name.value)) {
          scopes.add('history');
        }
        if (selection.selectionSet) {
          visit(selection.selectionSet);
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet);
      } else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) {
          visit(fragment.selectionSet);
        }
      }
    }
  };
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) {
      continue;
    }
    if (operationName != null && definition.name?.value !== operationName) {
      continue;
    }
    scopes.add(definition.operation === 'subscription' ? 'subscribe' : 'read');
    visit(definition.selectionSet);
  }
  return scopes;
}
