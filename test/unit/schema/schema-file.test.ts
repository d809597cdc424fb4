import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printSortedSchema, schema } from '../../../src/schema/index.ts';

describe('schema.graphql', () => {
  it('is exactly what the code generates (run `npm run schema:print` after changing the schema)', () => {
    const committed = readFileSync(new URL('../../../schema.graphql', import.meta.url), 'utf8');
    expect(printSortedSchema()).toBe(committed);
  });

  it('exposes the contract fields of the walking skeleton with their argument and result types', () => {
    const signature = (root: 'Query' | 'Subscription', name: string) => {
      const field = (root === 'Query' ? schema.getQueryType() : schema.getSubscriptionType())!.getFields()[name]!;
      return `${field.args
        .map((a) => `${a.name}: ${String(a.type)}`)
        .sort()
        .join(', ')} -> ${String(field.type)}`;
    };
    expect(signature('Query', 'indices')).toBe(' -> [Index!]!');
    // The skeleton's arguments stay; issue 3 added optional conventions and scenario arguments only.
    expect(signature('Query', 'overview')).toBe(
      'conventions: ConventionsInput, expiry: Date, expiryTag: ExpiryTag, index: IndexSymbol!, maxAgeSeconds: Int -> Overview',
    );
    expect(signature('Query', 'optionChain')).toBe(
      'conventions: ConventionsInput, expiry: Date, expiryTag: ExpiryTag, index: IndexSymbol!, maxAgeSeconds: Int, offsets: [Int!], scenario: ScenarioInput, strikesAroundAtm: Int -> OptionChain',
    );
    expect(signature('Query', 'smile')).toBe('expiry: Date, expiryTag: ExpiryTag, index: IndexSymbol! -> Smile');
    expect(signature('Query', 'termStructure')).toBe('index: IndexSymbol! -> [TermStructurePoint!]');
    expect(signature('Query', 'volSurface')).toBe('index: IndexSymbol! -> VolatilitySurface');
    expect(signature('Query', 'optionCalculator')).toBe('input: OptionCalculatorInput! -> OptionCalculatorResult!');
    expect(signature('Subscription', 'overviewUpdated')).toBe(
      'expiry: Date, expiryTag: ExpiryTag, index: IndexSymbol! -> Overview!',
    );
    expect(signature('Subscription', 'optionChainUpdated')).toBe(
      'expiry: Date, expiryTag: ExpiryTag, index: IndexSymbol!, offsets: [Int!], strikesAroundAtm: Int -> OptionChain!',
    );
  });
});
