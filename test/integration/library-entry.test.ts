import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('the g6/analytics package entry', () => {
  it('resolves through package.json exports to the built module, with its typings, under plain Node', async () => {
    // A package may import itself by name through its own "exports": exactly what a dependant resolves.
    const script = `
      import * as analytics from 'g6/analytics';
      const price = analytics.blackScholes({ right: 'C', spot: 100, strike: 100, timeToExpiryYears: 1, rate: 0, dividendYield: 0, volatility: 0.2 }).price;
      const iv = analytics.impliedVolatility({ right: 'C', price, spot: 100, strike: 100, timeToExpiryYears: 1, rate: 0, dividendYield: 0 });
      console.log(JSON.stringify({ exports: Object.keys(analytics).sort(), price, iv, url: import.meta.resolve('g6/analytics') }));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
    const result = JSON.parse(stdout) as {
      exports: string[];
      price: number;
      iv: { ok: boolean; volatility: number };
      url: string;
    };
    expect(result.url).toMatch(/\/dist\/analytics\/index\.js$/);
    for (const name of [
      'blackScholes',
      'black76',
      'blackScholesBatch',
      'black76Batch',
      'impliedVolatility',
      'impliedVolatilityBlack76',
      'impliedVolatilityBatch',
    ]) {
      expect(result.exports).toContain(name);
    }
    // ATM, zero rate: C = S·(2Φ(σ/2) − 1).
    expect(result.price).toBeCloseTo(7.965567455405798, 12);
    expect(result.iv.ok).toBe(true);
    expect(result.iv.volatility).toBeCloseTo(0.2, 14);
    const { stdout: dts } = await run(process.execPath, [
      '-e',
      "process.stdout.write(require('fs').readFileSync('dist/analytics/index.d.ts','utf8'))",
    ]);
    expect(dts).toContain('impliedVolatilityBatch');
  });
});
