import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configFileJsonSchema, parseConfigFile, resolveCollection } from '../../src/config-file.ts';
import { EXPIRY_TAGS } from '../../src/domain/expiry-tags.ts';
import { INDEX_SYMBOLS } from '../../src/domain/indices.ts';

const REGENERATE =
  'npx tsx -e "import(\'./src/config-file.ts\').then((m) => process.stdout.write(m.printConfigFileJsonSchema()))" > g6.config.schema.json && npx biome format --write g6.config.schema.json';

const rootFile = (name: string) => readFileSync(new URL(`../../${name}`, import.meta.url), 'utf8');

describe('g6.config.schema.json', () => {
  it('is what the zod schema generates', () => {
    // Compared as data: Biome formats the committed file, which moves only whitespace.
    expect(JSON.parse(rootFile('g6.config.schema.json')), `regenerate it: ${REGENERATE}`).toEqual(
      configFileJsonSchema(),
    );
  });

  it('tells editors what the file allows: no unknown keys, the indices and the tags', () => {
    const schema = configFileJsonSchema() as {
      additionalProperties: boolean;
      properties: { indices: { properties: Record<string, unknown>; additionalProperties: boolean } };
      definitions: { IndexSettings: { additionalProperties: boolean; properties: Record<string, unknown> } };
    };
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties.indices.properties)).toEqual([...INDEX_SYMBOLS]);
    expect(schema.properties.indices.additionalProperties).toBe(false);
    const settings = schema.definitions.IndexSettings;
    expect(settings.additionalProperties).toBe(false);
    expect(settings.properties.expiries).toMatchObject({
      anyOf: [{ const: 'all' }, { type: 'array', minItems: 1, items: { enum: [...EXPIRY_TAGS] } }],
    });
    expect(settings.properties.strikesBelowAtm).toMatchObject({ type: 'integer', minimum: 0, maximum: 500 });
  });
});

describe('g6.config.example.json', () => {
  it('is a valid file that points editors at the schema and enables what it says', () => {
    const parsed = parseConfigFile(rootFile('g6.config.example.json'));
    if (!parsed.ok) {
      throw new Error(parsed.errors.join('\n'));
    }
    expect(parsed.value.$schema).toBe('./g6.config.schema.json');
    const resolved = resolveCollection(parsed.value, {}, { strikesAroundAtm: 30, intervalSeconds: 2 });
    expect(resolved.ok && resolved.indices).toEqual(['NIFTY', 'BANKNIFTY', 'SENSEX']);
    expect(resolved.ok && resolved.collection.get('NIFTY')).toEqual({
      strikesBelowAtm: 10,
      strikesAboveAtm: 12,
      expiries: ['THIS_WEEK', 'NEXT_WEEK', 'THIS_MONTH'],
      intervalMs: 15_000,
    });
  });
});

describe('g6.config.example.yaml', () => {
  it('holds the JSON example’s settings, comments aside', () => {
    const yaml = parseConfigFile(rootFile('g6.config.example.yaml'), 'yaml');
    const json = parseConfigFile(rootFile('g6.config.example.json'));
    if (!yaml.ok || !json.ok) {
      throw new Error([yaml, json].flatMap((r) => (r.ok ? [] : r.errors)).join('\n'));
    }
    // The YAML names the schema in its editor comment instead of a `$schema` key.
    expect(rootFile('g6.config.example.yaml')).toMatch(
      /^# yaml-language-server: \$schema=\.\/g6\.config\.schema\.json$/m,
    );
    const { $schema: _schema, ...settings } = json.value;
    expect(yaml.value).toEqual(settings);
  });
});
