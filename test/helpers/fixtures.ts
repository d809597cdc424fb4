import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export function fixturePath(relative: string): string {
  return new URL(`../fixtures/${relative}`, import.meta.url).pathname;
}

/** Rows of a gzipped, unquoted CSV fixture as objects keyed by the header. */
export function readGzipCsv(relative: string): Record<string, string>[] {
  const text = gunzipSync(readFileSync(fixturePath(relative))).toString('utf8');
  const [header, ...lines] = text.split('\n').filter((line) => line.length > 0);
  const columns = header!.split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? '']));
  });
}

/** A gzipped JSON fixture, parsed. */
export function readGzipJson<T>(relative: string): T {
  return JSON.parse(gunzipSync(readFileSync(fixturePath(relative))).toString('utf8')) as T;
}
