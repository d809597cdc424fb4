import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGraphQL, startTestApp, type TestApp } from '../helpers/test-app.ts';

let dir: string;
let app: TestApp;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'g6-collection-settings-'));
  const file = join(dir, 'g6.config.json');
  writeFileSync(
    file,
    JSON.stringify({
      defaults: { enabled: false },
      indices: {
        NIFTY: { strikesBelowAtm: 2, strikesAboveAtm: 3, expiries: ['NEXT_WEEK', 'NEXT_MONTH'], intervalSeconds: 0.2 },
        SENSEX: { strikesAroundAtm: 1, expiries: 'all', intervalSeconds: 0.5 },
      },
    }),
  );
  // G6_COLLECTION_INTERVAL unset (the test app sets one): the file's per-index intervals apply.
  app = await startTestApp({ G6_CONFIG_FILE: file, G6_INDICES: '', G6_COLLECTION_INTERVAL: '' });
  await app.waitForLog((l) => l.msg === 'collected' && l.index === 'SENSEX');
});
afterAll(async () => {
  await app?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('per-index collection settings from G6_CONFIG_FILE', () => {
  it('collects only the configured indices, expiries and strike windows', async () => {
    const { data, errors } = await postGraphQL(
      app.httpUrl,
      `{ indices { symbol }
         nifty: index(symbol: NIFTY) { expiryDetails(first: 10) { date expiryTags chain { strikes { offset } } } }
         sensex: index(symbol: SENSEX) { expiryDetails(first: 10) { expiryTags chain { strikes { offset } } } } }`,
    );
    expect(errors).toBeUndefined();
    expect((data!.indices as Array<{ symbol: string }>).map((i) => i.symbol)).toEqual(['NIFTY', 'SENSEX']);
    type Details = { expiryDetails: Array<{ expiryTags: string[]; chain: { strikes: Array<{ offset: number }> } }> };
    const nifty = data!.nifty as Details;
    expect(nifty.expiryDetails.map((e) => e.expiryTags)).toEqual([['NEXT_WEEK'], ['NEXT_MONTH']]);
    for (const expiry of nifty.expiryDetails) {
      expect(expiry.chain.strikes.map((s) => s.offset)).toEqual([-2, -1, 0, 1, 2, 3]);
    }
    const sensex = data!.sensex as Details;
    expect(sensex.expiryDetails.length).toBeGreaterThan(2);
    expect(sensex.expiryDetails[0]!.chain.strikes.map((s) => s.offset)).toEqual([-1, 0, 1]);
  });

  it('collects each index at its own interval, judged stale by its own limit, and says so in /metrics', async () => {
    const metrics = await (await fetch(`${app.httpUrl}/metrics`)).text();
    expect(metrics).toContain('g6_index_collection_interval_seconds{index="NIFTY"} 0.2');
    expect(metrics).toContain('g6_index_collection_interval_seconds{index="SENSEX"} 0.5');
    // A few more SENSEX collections, then the gaps between each index's snapshots: SENSEX is never
    // collected sooner than its 0.5 s (however loaded the machine; 400 ms leaves room for timing jitter), NIFTY sooner than that at its 0.2 s.
    const times = (index: string) =>
      app.logLines
        .map((l) => JSON.parse(l) as { msg?: string; index?: string; observedAt?: string })
        .filter((l) => l.msg === 'collected' && l.index === index)
        .map((l) => Date.parse(l.observedAt!));
    const sensexStart = times('SENSEX').length;
    await app.waitForLog(() => times('SENSEX').length >= sensexStart + 4);
    const minGapMs = (ms: number[]) => Math.min(...ms.slice(1).map((t, i) => t - ms[i]!));
    expect(minGapMs(times('SENSEX'))).toBeGreaterThanOrEqual(400);
    expect(minGapMs(times('NIFTY'))).toBeLessThan(400);
    const health = await postGraphQL(app.httpUrl, '{ health { components { name status } } }');
    const components = (health.data!.health as { components: Array<{ name: string; status: string }> }).components;
    expect(components.filter((c) => c.name.startsWith('collector/')).map((c) => c.status)).toEqual([
      'HEALTHY',
      'HEALTHY',
    ]);
  });
});
