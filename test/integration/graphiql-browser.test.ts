import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

const CHROMIUM = '/usr/bin/chromium';
let t: TestApp;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run scripts/ensure-test-services.sh (npm test does)`);
  }
  t = await startTestApp({ G6_INDICES: 'NIFTY' });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

/** The text of GraphiQL's result pane, whatever GraphiQL version renders it. */
const resultText = async (page: import('playwright-core').Page) =>
  (await page.locator('.graphiql-response, .result-window').first().innerText()).replace(/\s+/g, ' ');

describe('GraphiQL in headless Chromium', () => {
  it('loads without any network but loopback and runs a query', async () => {
    const page = await browser.newPage();
    const external: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (!['127.0.0.1', 'localhost'].includes(url.hostname) && url.protocol.startsWith('http')) {
        external.push(request.url());
      }
    });
    const query = '{ overview(index: NIFTY) { index atmStrike pcrOi } }';
    await page.goto(`${t.httpUrl}/graphql?query=${encodeURIComponent(query)}`);
    await page.locator('.graphiql-execute-button, .execute-button').first().click();
    await expect.poll(() => resultText(page), { timeout: 15_000 }).toContain('"atmStrike"');
    expect(await resultText(page)).toContain('"index": "NIFTY"');
    expect(external).toEqual([]);
    await page.close();
  });

  it('streams a subscription over WebSockets into the result pane', async () => {
    const page = await browser.newPage();
    const query = 'subscription { overviewUpdated(index: NIFTY) { seq spot } }';
    await page.goto(`${t.httpUrl}/graphql?query=${encodeURIComponent(query)}`);
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    await page.locator('.graphiql-execute-button, .execute-button').first().click();
    await expect.poll(() => resultText(page), { timeout: 15_000 }).toContain('"seq"');
    const firstSeq = Number(/"seq": (\d+)/.exec(await resultText(page))![1]);
    await expect
      .poll(async () => Number(/"seq": (\d+)/.exec(await resultText(page))?.[1] ?? 0), { timeout: 15_000 })
      .toBeGreaterThan(firstSeq);
    expect(sockets.some((url) => url.startsWith(`ws://127.0.0.1:`) && url.endsWith('/graphql'))).toBe(true);
    await page.close();
  });
});
