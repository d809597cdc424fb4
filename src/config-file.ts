import { parseDocument } from 'yaml';
import { z } from 'zod';
import { EXPIRY_TAGS, type ExpiryTag } from './domain/expiry-tags.ts';
import { INDEX_SYMBOLS, type IndexSymbol } from './domain/indices.ts';

/**
 * The collection file named by G6_CONFIG_FILE (README "Configuration file"): per-index collection
 * settings over shared defaults, as JSON or YAML (1.2, so `yes` stays a string). The schema below is
 * also written out as g6.config.schema.json, which editors use to check and complete either as it is typed.
 */

/** Bounds shared with G6_STRIKES_AROUND_ATM and G6_COLLECTION_INTERVAL. */
export const STRIKES_MAX = 500;
export const INTERVAL_SECONDS_MIN = 0.05;
export const INTERVAL_SECONDS_MAX = 3600;

const TAG_LIST = EXPIRY_TAGS.join(', ');
const WHOLE_STRIKES = `expected a whole number from 0 to ${STRIKES_MAX}`;
const SECONDS = `expected seconds from ${INTERVAL_SECONDS_MIN} to ${INTERVAL_SECONDS_MAX}`;
const TAG_ALLOWED = `expected one of ${TAG_LIST}`;
const EXPIRIES_ALLOWED = `expected "all" or a non-empty list of ${TAG_LIST}`;

const strikeCount = (description: string) =>
  z
    .int({ error: WHOLE_STRIKES })
    .min(0, { error: WHOLE_STRIKES })
    .max(STRIKES_MAX, { error: WHOLE_STRIKES })
    .optional()
    .meta({ description });

/** Also checked on its own, to report the bad items of a list `expiries` (the union hides them). */
const EXPIRY_LIST_SCHEMA = z.array(z.enum(EXPIRY_TAGS, { error: TAG_ALLOWED })).min(1, { error: EXPIRIES_ALLOWED });

const INDEX_SETTINGS_SCHEMA = z
  .strictObject(
    {
      enabled: z
        .boolean({ error: 'expected true or false' })
        .optional()
        .meta({
          description:
            'Collect this index. An index listed under "indices" is collected unless it says false; one not ' +
            'listed follows defaults.enabled (default true). G6_INDICES, when set, replaces the enabled set.',
        }),
      strikesAroundAtm: strikeCount(
        'Strikes kept each side of the ATM strike per expiry: sets strikesBelowAtm and strikesAboveAtm together. ' +
          '0 keeps the whole chain. Not together with strikesBelowAtm/strikesAboveAtm.',
      ),
      strikesBelowAtm: strikeCount(
        'Strikes kept below the ATM strike per expiry: in the money for calls, out of the money for puts ' +
          '(G6.1 "strikes ITM"). Both sides 0 keeps the whole chain.',
      ),
      strikesAboveAtm: strikeCount(
        'Strikes kept above the ATM strike per expiry: out of the money for calls, in the money for puts ' +
          '(G6.1 "strikes OTM"). Both sides 0 keeps the whole chain.',
      ),
      expiries: z
        .union([z.literal('all'), EXPIRY_LIST_SCHEMA], { error: EXPIRIES_ALLOWED })
        .optional()
        .meta({
          description:
            'The expiries collected: "all" (every listed one) or tags, resolved over all listed expiries ' +
            '(NEXT_WEEK is the second listed expiry whether THIS_WEEK is collected or not).',
        }),
      intervalSeconds: z
        .number({ error: SECONDS })
        .min(INTERVAL_SECONDS_MIN, { error: SECONDS })
        .max(INTERVAL_SECONDS_MAX, { error: SECONDS })
        .optional()
        .meta({ description: 'Seconds between collections of this index; G6_COLLECTION_INTERVAL overrides it.' }),
    },
    { error: 'expected an object of collection settings' },
  )
  .superRefine((value, ctx) => {
    if (value.strikesAroundAtm !== undefined && (value.strikesBelowAtm ?? value.strikesAboveAtm) !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['strikesAroundAtm'],
        message: 'give strikesAroundAtm or strikesBelowAtm/strikesAboveAtm, not both',
      });
    }
  })
  .meta({
    id: 'IndexSettings',
    description: 'Collection settings of one index; every key optional.',
    // The one rule the superRefine above checks, for editors too.
    not: {
      anyOf: [
        { required: ['strikesAroundAtm', 'strikesBelowAtm'] },
        { required: ['strikesAroundAtm', 'strikesAboveAtm'] },
      ],
    },
  });

export const CONFIG_FILE_SCHEMA = z
  .strictObject(
    {
      $schema: z.string().optional().meta({ description: 'Where editors find this schema (ignored by G6).' }),
      defaults: INDEX_SETTINGS_SCHEMA.optional().meta({
        description: 'Settings of every index that its own entry in "indices" does not set.',
      }),
      indices: z
        .strictObject(
          Object.fromEntries(INDEX_SYMBOLS.map((index) => [index, INDEX_SETTINGS_SCHEMA.optional()])) as Record<
            IndexSymbol,
            z.ZodOptional<typeof INDEX_SETTINGS_SCHEMA>
          >,
          { error: `expected an object keyed by index (${INDEX_SYMBOLS.join(', ')})` },
        )
        .optional()
        .meta({ description: 'Settings per index, over "defaults".' }),
    },
    { error: 'expected an object with "defaults" and/or "indices"' },
  )
  .meta({
    title: 'G6 collection configuration (G6_CONFIG_FILE)',
    description:
      'Per-index collection settings. Precedence: command-line flags > environment > indices.<INDEX> > defaults > built-in defaults.',
  });

export type ConfigFile = z.output<typeof CONFIG_FILE_SCHEMA>;
export type IndexSettingsInput = z.output<typeof INDEX_SETTINGS_SCHEMA>;

/** What of an index's listing is collected: its strike window and its expiries. */
export interface ChainSelection {
  /**
   * Strikes kept below and above the ATM strike per expiry (below: ITM calls and OTM puts). Both 0 keeps
   * the whole chain; 0 on one side only keeps none on that side.
   */
  readonly strikesBelowAtm: number;
  readonly strikesAboveAtm: number;
  /** Every listed expiry, or those carrying one of these tags (resolved over all listed expiries). */
  readonly expiries: 'ALL' | readonly ExpiryTag[];
}

/** What one index collects and how often, every level of configuration applied (Config.collection). */
export interface IndexCollectionSettings extends ChainSelection {
  readonly intervalMs: number;
}

export type ConfigFileResult =
  | { readonly ok: true; readonly value: ConfigFile }
  | { readonly ok: false; readonly errors: readonly string[] };

/** The JSON Schema g6.config.schema.json holds (a test keeps the two equal). */
export function configFileJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(CONFIG_FILE_SCHEMA, { target: 'draft-7', io: 'input' }) as Record<string, unknown>;
}

/** g6.config.schema.json's text, before Biome's formatting (which only moves whitespace). */
export function printConfigFileJsonSchema(): string {
  return `${JSON.stringify(configFileJsonSchema(), null, 2)}\n`;
}

export type ConfigFileFormat = 'json' | 'yaml';

/** YAML for a `.yaml`/`.yml` path, else JSON. */
export const configFileFormatOf = (path: string): ConfigFileFormat => (/\.ya?ml$/i.test(path) ? 'yaml' : 'json');

/**
 * Parses and validates the file's text. Every problem is reported with its path
 * (`indices.NIFTY.expiries[1]`), the value found where it is short, and what is allowed there.
 */
export function parseConfigFile(text: string, format: ConfigFileFormat = 'json'): ConfigFileResult {
  let root: unknown;
  if (format === 'yaml') {
    const read = readYaml(text);
    if (!read.ok) {
      return { ok: false, errors: [`not valid YAML: ${read.error}`] };
    }
    root = read.value;
  } else {
    try {
      root = JSON.parse(text);
    } catch (error) {
      return { ok: false, errors: [`not valid JSON: ${describeJsonError(text, (error as Error).message)}`] };
    }
  }
  const parsed = CONFIG_FILE_SCHEMA.safeParse(root);
  if (parsed.success) {
    return { ok: true, value: parsed.data };
  }
  return { ok: false, errors: parsed.error.issues.flatMap((issue) => describeIssue(issue, root)) };
}

/** One YAML 1.2 document, duplicate keys refused; an error carries its line and column. */
function readYaml(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  const document = parseDocument(text, { version: '1.2', uniqueKeys: true, prettyErrors: false });
  const first = document.errors[0];
  if (first !== undefined) {
    const message = first.code === 'MULTIPLE_DOCS' ? 'the file holds more than one YAML document' : first.message;
    return { ok: false, error: `${message} (${lineAndColumn(text, first.pos[0])})` };
  }
  try {
    // An empty file is an empty configuration, as `{}` is.
    return { ok: true, value: document.toJS({ maxAliasCount: 100 }) ?? {} };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

const lineAndColumn = (text: string, offset: number) => {
  const before = text.slice(0, offset);
  return `line ${before.split('\n').length}, column ${before.length - before.lastIndexOf('\n')}`;
};

/** `at position 42` becomes a line and column an editor can go to. */
function describeJsonError(text: string, message: string): string {
  const flat = message.replace(/\s+/g, ' ');
  const match = / at position (\d+)/.exec(flat);
  if (match === null) {
    return flat;
  }
  return `${flat.replace(match[0], '')} (${lineAndColumn(text, Number(match[1]))})`;
}

type Path = readonly PropertyKey[];

/** `indices.NIFTY.expiries[1]`; keys that are not identifiers are quoted (`["odd key"]`). */
export function formatJsonPath(path: Path): string {
  if (path.length === 0) {
    return '(top level)';
  }
  return path
    .map((segment, i) => {
      if (typeof segment === 'number') {
        return `[${segment}]`;
      }
      const key = String(segment);
      if (/^[A-Za-z_$][\w$]*$/.test(key)) {
        return i === 0 ? key : `.${key}`;
      }
      return `[${JSON.stringify(key)}]`;
    })
    .join('');
}

function valueAt(root: unknown, path: Path): unknown {
  let value = root;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null) {
      return undefined;
    }
    value = (value as Record<PropertyKey, unknown>)[segment as string];
  }
  return value;
}

/** `path="value"` for short values; objects and lists are not repeated back. */
function located(root: unknown, path: Path): string {
  const value = valueAt(root, path);
  const where = formatJsonPath(path);
  if (path.length > 0 && (value === null || ['string', 'number', 'boolean'].includes(typeof value))) {
    const shown = JSON.stringify(value);
    return `${where}=${shown.length > 40 ? `${shown.slice(0, 37)}...` : shown}`;
  }
  return where;
}

/** The keys the object at `path` allows, read from the schema itself. */
function allowedKeysAt(path: Path): readonly string[] {
  let schema: z.ZodType = CONFIG_FILE_SCHEMA;
  for (const segment of path) {
    while (schema instanceof z.ZodOptional) {
      schema = schema.unwrap() as z.ZodType;
    }
    if (!(schema instanceof z.ZodObject)) {
      return [];
    }
    schema = (schema.shape as Record<string, z.ZodType>)[String(segment)] ?? z.never();
  }
  while (schema instanceof z.ZodOptional) {
    schema = schema.unwrap() as z.ZodType;
  }
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function unknownKeyMessage(key: string, allowed: readonly string[], isIndex: boolean): string {
  const hints: string[] = [];
  const sameLetters = allowed.find((k) => k.toLowerCase() === key.toLowerCase());
  if (sameLetters !== undefined) {
    hints.push(`did you mean ${JSON.stringify(sameLetters)}?`);
  } else if (/itm|otm/i.test(key)) {
    // G6.1 said "strikes ITM/OTM"; which side is ITM depends on the option, so G6 names the side of ATM.
    hints.push('strikesBelowAtm keeps ITM calls and OTM puts, strikesAboveAtm OTM calls and ITM puts');
  }
  const hint = hints.length === 0 ? '' : ` (${hints.join('; ')})`;
  return `unknown ${isIndex ? 'index' : 'key'}; expected one of ${allowed.join(', ')}${hint}`;
}

function describeIssue(issue: z.core.$ZodIssue, root: unknown): string[] {
  const path = issue.path;
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeysAt(path);
    const isIndex = path.length === 1 && path[0] === 'indices';
    return issue.keys.map((key) => `${formatJsonPath([...path, key])}: ${unknownKeyMessage(key, allowed, isIndex)}`);
  }
  if (issue.code === 'invalid_union' && path.at(-1) === 'expiries') {
    const value = valueAt(root, path);
    if (Array.isArray(value)) {
      // A list: report its own items (`expiries[1]`) rather than "neither "all" nor a list".
      const items = EXPIRY_LIST_SCHEMA.safeParse(value);
      if (!items.success) {
        return items.error.issues.map((inner) => {
          const at = [...path, ...inner.path];
          if (valueAt(root, at) === 'all') {
            return `${located(root, at)}: "all" stands alone: write "expiries": "all" for every expiry`;
          }
          return `${located(root, at)}: ${inner.message}`;
        });
      }
    }
    return [`${located(root, path)}: ${EXPIRIES_ALLOWED}`];
  }
  return [`${located(root, path)}: ${issue.message}`];
}

/** What the environment (and built-ins) lay over the file; unset fields leave the file's values. */
export interface CollectionOverrides {
  /** G6_INDICES: replaces the file's enabled set. */
  readonly indices?: readonly IndexSymbol[];
  /** G6_STRIKES_AROUND_ATM: every index's strikesBelowAtm and strikesAboveAtm. */
  readonly strikesAroundAtm?: number;
  /** G6_COLLECTION_INTERVAL: every index's interval. */
  readonly intervalSeconds?: number;
}

export interface CollectionDefaults {
  readonly strikesAroundAtm: number;
  readonly intervalSeconds: number;
}

export type CollectionResolution =
  | {
      readonly ok: true;
      /** Enabled indices: the environment's order, else INDEX_SYMBOLS order. */
      readonly indices: readonly IndexSymbol[];
      readonly collection: ReadonlyMap<IndexSymbol, IndexCollectionSettings>;
    }
  | { readonly ok: false; readonly errors: readonly string[] };

/**
 * Every enabled index's settings. Per setting, the first of these that sets it wins: the environment
 * (`overrides`), the index's own entry, the file's `defaults`, the built-in `defaults`. A side of the strike
 * window counts as set by a level that sets strikesAroundAtm or that side. Enabled: G6_INDICES, else an
 * index listed under `indices` unless it says `enabled: false`, else `defaults.enabled`, else true.
 */
export function resolveCollection(
  file: ConfigFile | null,
  overrides: CollectionOverrides,
  defaults: CollectionDefaults,
): CollectionResolution {
  const levels = (index: IndexSymbol): IndexSettingsInput[] =>
    [file?.indices?.[index], file?.defaults].filter((l): l is IndexSettingsInput => l !== undefined);
  const first = <T>(index: IndexSymbol, pick: (level: IndexSettingsInput) => T | undefined): T | undefined => {
    for (const level of levels(index)) {
      const value = pick(level);
      if (value !== undefined) {
        return value;
      }
    }
    return undefined;
  };
  // Listing an index asks for it: only its own `enabled: false` turns it off; the others follow defaults.
  const enabled = (index: IndexSymbol) => {
    const own = file?.indices?.[index];
    return own !== undefined ? (own.enabled ?? true) : (file?.defaults?.enabled ?? true);
  };
  const indices = overrides.indices ?? INDEX_SYMBOLS.filter(enabled);
  if (indices.length === 0) {
    return {
      ok: false,
      errors: [
        'no index is enabled: list one under "indices" (without "enabled": false), set defaults.enabled to true, or set G6_INDICES',
      ],
    };
  }
  const collection = new Map<IndexSymbol, IndexCollectionSettings>();
  for (const index of indices) {
    const side = (key: 'strikesBelowAtm' | 'strikesAboveAtm') =>
      overrides.strikesAroundAtm ??
      first(index, (level) => level[key] ?? level.strikesAroundAtm) ??
      defaults.strikesAroundAtm;
    const expiries = first(index, (level) => level.expiries) ?? 'all';
    const intervalSeconds =
      overrides.intervalSeconds ?? first(index, (level) => level.intervalSeconds) ?? defaults.intervalSeconds;
    collection.set(
      index,
      Object.freeze({
        strikesBelowAtm: side('strikesBelowAtm'),
        strikesAboveAtm: side('strikesAboveAtm'),
        // In EXPIRY_TAGS order, each once, however the file listed them.
        expiries: expiries === 'all' ? 'ALL' : Object.freeze(EXPIRY_TAGS.filter((tag) => expiries.includes(tag))),
        intervalMs: Math.round(intervalSeconds * 1000),
      }),
    );
  }
  return { ok: true, indices: Object.freeze([...indices]), collection };
}
