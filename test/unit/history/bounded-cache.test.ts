import { describe, expect, it } from 'vitest';
import { createBoundedCache } from '../../../src/history/bounded-cache.ts';

const rowsCache = (maxEntries: number, maxRows: number) =>
  createBoundedCache<readonly number[]>({ maxEntries, maxRows, rowsOf: (rows) => rows.length });

describe('bounded cache', () => {
  it('evicts the least recently used entries until the rows fit', () => {
    const cache = rowsCache(10, 5);
    cache.set('a', [1, 2]);
    cache.set('b', [3, 4]);
    expect(cache.get('a')).toEqual([1, 2]);
    cache.set('c', [5, 6]);
    // b was used least recently (a was read after it).
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toEqual([1, 2]);
    expect(cache.get('c')).toEqual([5, 6]);
    expect(cache.rows).toBe(4);
    expect(cache.size).toBe(2);
  });

  it('evicts by entry count too, and replaces a key without counting it twice', () => {
    const cache = rowsCache(2, 100);
    cache.set('a', [1]);
    cache.set('b', [2]);
    cache.set('a', [1, 1, 1]);
    expect(cache.rows).toBe(4);
    cache.set('c', [3]);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toEqual([1, 1, 1]);
    expect(cache.size).toBe(2);
    expect(cache.rows).toBe(4);
  });

  it('keeps nothing larger than the row bound, and drops the old value of its key', () => {
    const cache = rowsCache(10, 3);
    cache.set('a', [1]);
    cache.set('a', [1, 2, 3, 4]);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.rows).toBe(0);
    cache.set('b', [1, 2, 3]);
    expect(cache.get('b')).toEqual([1, 2, 3]);
    cache.clear();
    expect([cache.size, cache.rows]).toEqual([0, 0]);
  });
});
