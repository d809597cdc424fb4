/**
 * The NIFTY option chain of the nearest expiry, then a few live overview updates, from a G6 server.
 *
 *   npx tsx examples/typescript/quickstart.ts [--url http://localhost:4000/graphql] [--api-key g6_…]
 *     [--strikes 5] [--updates 3]
 *
 * G6_URL and G6_API_KEY are read when the flags are absent. Exits 0 after the updates, 1 on an error.
 */
import { parseArgs } from 'node:util';
import { CHAIN_QUERY, OVERVIEW_UPDATED } from './documents.ts';
import { createG6Client, G6Error } from './g6-client.ts';
import type { ResultOf } from './graphql.ts';

type Chain = NonNullable<ResultOf<typeof CHAIN_QUERY>['optionChain']>;
type Leg = Chain['strikes'][number]['call'];

function fixed(value: number | null | undefined, digits: number, width: number): string {
  return (value === null || value === undefined ? '-' : value.toFixed(digits)).padStart(width);
}

function percent(value: number | null | undefined, width: number): string {
  return (value === null || value === undefined ? '-' : `${(value * 100).toFixed(2)}%`).padStart(width);
}

function leg(quote: Leg): string {
  return `${fixed(quote?.lastPrice, 2, 9)} ${percent(quote?.iv, 7)} ${fixed(quote?.delta, 3, 6)}`;
}

function printChain(chain: Chain): void {
  console.log(
    `${chain.index} ${chain.expiry} at ${chain.timestamp}: spot ${chain.spot.toFixed(2)}, ATM ${chain.atmStrike}, ${chain.strikes.length} strikes`,
  );
  console.log(`  strike |      call      iv  delta |       put      iv  delta`);
  for (const row of chain.strikes) {
    console.log(`${String(row.strike).padStart(8)} | ${leg(row.call)} | ${leg(row.put)}`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: process.env.G6_URL ?? 'http://localhost:4000/graphql' },
      'api-key': { type: 'string', default: process.env.G6_API_KEY },
      strikes: { type: 'string', default: '5' },
      updates: { type: 'string', default: '3' },
    },
  });
  const strikes = Number(values.strikes);
  const updates = Number(values.updates);
  if (!Number.isInteger(strikes) || strikes < 0 || !Number.isInteger(updates) || updates < 1) {
    throw new Error('--strikes is a whole number ≥ 0 and --updates ≥ 1');
  }

  const client = createG6Client({ url: values.url, apiKey: values['api-key'] });
  try {
    const { optionChain } = await client.query(CHAIN_QUERY, { strikes });
    if (optionChain === null) {
      throw new Error('the server has not collected NIFTY yet: try again in a few seconds');
    }
    printChain(optionChain);

    let received = 0;
    for await (const { overviewUpdated: o } of client.subscribe(OVERVIEW_UPDATED, {})) {
      console.log(
        `overview seq ${o.seq} at ${o.timestamp}: spot ${o.spot.toFixed(2)}, ATM IV ${percent(o.atmIv, 0)}, PCR(OI) ${fixed(o.pcrOi, 3, 0)}, max pain ${o.maxPainStrike ?? '-'}`,
      );
      received += 1;
      if (received === updates) {
        break;
      }
    }
  } finally {
    await client.close();
  }
}

main().catch((error: unknown) => {
  const code = error instanceof G6Error && error.code !== undefined ? ` (${error.code})` : '';
  console.error(`quickstart failed${code}: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
