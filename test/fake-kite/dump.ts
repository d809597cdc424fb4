import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** The real NFO+BFO instruments dump of 18 Aug 2026 (test/fixtures/kite/README.md), 39,941 rows. */
export const REAL_DUMP_ROWS = 39_941;

export function loadRealDump(): string {
  const path = new URL('../fixtures/kite/nfo_bfo_derivatives_2026-08-18.csv.gz', import.meta.url);
  return gunzipSync(readFileSync(path)).toString('utf8');
}
