/**
 * Writes graphql-env.d.ts, the introspection of ../../schema.graphql that gql.tada infers every document's
 * types from: what `gql-tada generate output` does, in the same steps (load the SDL, minify, render the
 * pre-processed .d.ts). The CLI reads tsconfig.json through TypeScript's JavaScript API, which
 * TypeScript 7 (this repository's compiler) no longer has; with TypeScript 5 or 6 the CLI works as well.
 *
 *   npx tsx examples/typescript/generate-graphql-env.ts          # rewrite graphql-env.d.ts
 *   npx tsx examples/typescript/generate-graphql-env.ts --check  # exit 1 when it differs from the schema
 *
 * Paths come from the gql.tada plugin entry of tsconfig.json beside this file, as the CLI would read them.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load, minifyIntrospection, outputIntrospectionFile } from '@gql.tada/internal';

const HERE = dirname(fileURLToPath(import.meta.url));

interface TadaPluginConfig {
  readonly schemaPath: string;
  readonly outputPath: string;
}

/** The `schema` and `tadaOutputLocation` of the `gql.tada/ts-plugin` entry, resolved against this folder. */
export async function readPluginConfig(tsconfigPath = resolve(HERE, 'tsconfig.json')): Promise<TadaPluginConfig> {
  const tsconfig = JSON.parse(await readFile(tsconfigPath, 'utf8')) as {
    compilerOptions?: { plugins?: Array<{ name?: string; schema?: unknown; tadaOutputLocation?: unknown }> };
  };
  const plugin = tsconfig.compilerOptions?.plugins?.find((p) => p.name === 'gql.tada/ts-plugin');
  if (typeof plugin?.schema !== 'string' || typeof plugin.tadaOutputLocation !== 'string') {
    throw new Error(`${tsconfigPath}: no gql.tada/ts-plugin entry with a schema file and tadaOutputLocation`);
  }
  const root = dirname(tsconfigPath);
  return { schemaPath: resolve(root, plugin.schema), outputPath: resolve(root, plugin.tadaOutputLocation) };
}

/** The text graphql-env.d.ts should have for the schema file. */
export async function renderGraphqlEnv(schemaPath: string): Promise<string> {
  const { introspection } = await load({ origin: schemaPath }).load();
  return outputIntrospectionFile(minifyIntrospection(introspection), { fileType: '.d.ts', shouldPreprocess: true });
}

async function main(argv: readonly string[]): Promise<number> {
  const { schemaPath, outputPath } = await readPluginConfig();
  const expected = await renderGraphqlEnv(schemaPath);
  if (argv.includes('--check')) {
    const actual = await readFile(outputPath, 'utf8').catch(() => '');
    if (actual !== expected) {
      process.stderr.write(`${outputPath} is stale: run npx tsx examples/typescript/generate-graphql-env.ts\n`);
      return 1;
    }
    return 0;
  }
  await writeFile(outputPath, expected);
  process.stdout.write(`wrote ${outputPath}\n`);
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
