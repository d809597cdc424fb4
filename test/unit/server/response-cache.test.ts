import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createResponseCache } from '../../../src/server/response-cache.ts';

function setup(ttlMs = 1000, maxBytes = 1_000_000) {
  const clock = { ms: 0, version: 1 };
  const cache = createResponseCache({ ttlMs, maxBytes, dataVersion: () => clock.version, nowMs: () => clock.ms });
  const answer = (text: string) => ({
    contentType: 'application/json',
    body: Buffer.from(text),
    units: 7,
    scopes: new Set(['read' as const]),
  });
  return { clock, cache, answer };
}

describe('response cache', () => {
  it('shares an answer while the data version holds and the TTL runs, not after', () => {
    const { clock, cache, answer } = setup();
    cache.begin('k')(answer('{"data":1}'), clock.version);
    expect(cache.get('k')?.body.toString()).toBe('{"data":1}');
    clock.ms = 999;
    expect(cache.get('k')?.units).toBe(7);
    clock.ms = 1000;
    expect(cache.get('k')).toBeUndefined();

    cache.begin('k')(answer('{"data":2}'), clock.version);
    clock.version = 2;
    expect(cache.get('k')).toBeUndefined();
    expect(cache.size()).toEqual({ entries: 0, bytes: 0 });
  });

  it('lets identical requests wait for the execution under way, and tells them when it cannot be shared', async () => {
    const { clock, cache, answer } = setup();
    expect(cache.pending('k')).toBeUndefined();
    const finish = cache.begin('k');
    const waiting = cache.pending('k');
    expect(waiting).toBeDefined();
    finish(answer('{"data":3}'), clock.version);
    expect((await waiting)?.body.toString()).toBe('{"data":3}');
    expect(cache.pending('k')).toBeUndefined();

    const refused = cache.begin('e');
    const waitingForError = cache.pending('e');
    refused(null, clock.version);
    expect(await waitingForError).toBeNull();
    expect(cache.get('e')).toBeUndefined();
  });

  it('does not hand waiters an answer computed before the data changed', async () => {
    const { clock, cache, answer } = setup();
    const finish = cache.begin('k');
    const waiting = cache.pending('k');
    const startedAt = clock.version;
    clock.version += 1;
    finish(answer('{"data":"old"}'), startedAt);
    expect(await waiting).toBeNull();
    expect(cache.get('k')).toBeUndefined();
  });

  it('keeps its bytes under the cap by dropping the oldest answers', () => {
    const { clock, cache, answer } = setup(60_000, 25);
    cache.begin('a')(answer('0123456789'), clock.version);
    cache.begin('b')(answer('0123456789'), clock.version);
    cache.begin('c')(answer('0123456789'), clock.version);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
    expect(cache.size()).toEqual({ entries: 2, bytes: 20 });
    // One answer larger than the whole cache is never held.
    expect(cache.begin('big')(answer('x'.repeat(26)), clock.version)).toBeNull();
  });

  it('gives each answer a validator of its bytes and a gzip made once', () => {
    const { clock, cache, answer } = setup();
    const one = cache.begin('a')(answer('{"data":"same"}'), clock.version)!;
    const two = cache.begin('b')(answer('{"data":"same"}'), clock.version)!;
    const other = cache.begin('c')(answer('{"data":"other"}'), clock.version)!;
    expect(one.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(two.etag).toBe(one.etag);
    expect(other.etag).not.toBe(one.etag);
    expect(gunzipSync(one.gzipped()).toString()).toBe('{"data":"same"}');
    expect(one.gzipped()).toBe(one.gzipped());
  });

  it('shares nothing when turned off', () => {
    const { clock } = setup();
    const off = createResponseCache({ ttlMs: 0, maxBytes: 1000, dataVersion: () => clock.version });
    expect(off.enabled).toBe(false);
    const finish = off.begin('k');
    expect(off.pending('k')).toBeUndefined();
    expect(finish({ contentType: 'x', body: Buffer.from('1'), units: 1, scopes: new Set() }, 1)).toBeNull();
    expect(off.get('k')).toBeUndefined();
  });
});
