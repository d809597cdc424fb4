import fc from 'fast-check';
import {
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
} from 'graphql';

/**
 * fast-check arbitraries for GraphQL operations drawn from a schema: real fields and arguments at random
 * depth, mostly well-typed values with a share of wrong types, huge numbers, long strings, unknown enum
 * values and invalid dates, arguments as literals or as (sometimes mistyped) variables, aliases, unknown
 * fields, operation types the schema lacks — and broken syntax made by mutating such documents. Every
 * arbitrary is built once per (type, depth) so a schema with cycles stays cheap to describe.
 */

/** A value as the document spells it: enums are bare names in literals and strings in variables. */
type Value =
  | null
  | boolean
  | number
  | string
  | { readonly enum: string }
  | readonly Value[]
  | { readonly fields: ReadonlyArray<readonly [string, Value]> };

export interface GeneratedOperation {
  readonly query: string;
  readonly variables?: Record<string, unknown>;
  readonly operationName?: string;
}

interface Piece {
  readonly text: string;
  readonly variables: ReadonlyArray<{ readonly name: string; readonly type: string; readonly value: Value }>;
}

/** `arbitrary`'s value once in `oneIn` draws, else null (fc.option's `freq` is the odds of null instead). */
export function onceIn<T>(oneIn: number, arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | null> {
  return fc.oneof({ arbitrary: fc.constant(null), weight: oneIn - 1 }, { arbitrary, weight: 1 });
}

const NAME = fc.stringMatching(/^[_A-Za-z][_0-9A-Za-z]{0,11}$/);

function isEnumValue(value: Value): value is { readonly enum: string } {
  return typeof value === 'object' && value !== null && 'enum' in value;
}

function isFields(value: Value): value is { readonly fields: ReadonlyArray<readonly [string, Value]> } {
  return typeof value === 'object' && value !== null && 'fields' in value;
}

export function printLiteral(value: Value): string {
  if (value === null) {
    return 'null';
  }
  if (typeof value === 'number') {
    // NaN and Infinity have no literal: printed as names, they are for the server to refuse.
    return Number.isFinite(value) ? String(value) : String(value).replace('-', '');
  }
  if (typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (typeof value === 'boolean') {
    return String(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map(printLiteral).join(', ')}]`;
  }
  if (isEnumValue(value)) {
    return value.enum;
  }
  if (isFields(value)) {
    return `{${value.fields.map(([name, field]) => `${name}: ${printLiteral(field)}`).join(', ')}}`;
  }
  throw new Error('unreachable');
}

export function toJson(value: Value): unknown {
  if (value === null || typeof value !== 'object') {
    return value;
  }
  if (Array.isArray(value)) {
    return value.map(toJson);
  }
  if (isEnumValue(value)) {
    return value.enum;
  }
  if (isFields(value)) {
    return Object.fromEntries(value.fields.map(([name, field]) => [name, toJson(field)]));
  }
  throw new Error('unreachable');
}

const HUGE_NUMBERS = [2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 2, 1e21, -1e300, 1.7976931348623157e308, 5e-324, -0];

const intValue: fc.Arbitrary<Value> = fc.oneof(
  { arbitrary: fc.integer({ min: -5, max: 600 }), weight: 6 },
  { arbitrary: fc.constantFrom(...HUGE_NUMBERS), weight: 2 },
  { arbitrary: fc.double(), weight: 1 },
);

const floatValue: fc.Arbitrary<Value> = fc.oneof(
  { arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }), weight: 6 },
  { arbitrary: fc.integer({ min: 0, max: 30_000 }), weight: 3 },
  { arbitrary: fc.constantFrom(...HUGE_NUMBERS, Number.NaN, Number.POSITIVE_INFINITY), weight: 1 },
);

const stringValue: fc.Arbitrary<Value> = fc.oneof(
  { arbitrary: fc.string({ maxLength: 24 }), weight: 6 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }), weight: 2 },
  {
    arbitrary: fc.constantFrom('NIFTY', 'NIFTY2682524600CE', 'SENSEX', '', ' ', '\u0000', '../../etc/passwd'),
    weight: 2,
  },
  { arbitrary: fc.string({ minLength: 2_000, maxLength: 12_000 }), weight: 1 },
);

const isoDate = fc
  .tuple(fc.integer({ min: 1990, max: 2100 }), fc.integer({ min: 0, max: 14 }), fc.integer({ min: 0, max: 32 }))
  .map(([y, m, d]) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`);

const dateValue: fc.Arbitrary<Value> = fc.oneof(
  { arbitrary: isoDate, weight: 6 },
  { arbitrary: fc.constantFrom('2026-02-30', '2026-12-31', '20261231', 'today', '2026-12-02T00:00:00Z'), weight: 2 },
  { arbitrary: fc.string({ maxLength: 12 }), weight: 1 },
);

const dateTimeValue: fc.Arbitrary<Value> = fc.oneof(
  {
    arbitrary: fc
      .tuple(isoDate, fc.integer({ min: 0, max: 25 }), fc.constantFrom('Z', '+05:30', '', '-00:00', '+99:00'))
      .map(([date, hour, offset]) => `${date}T${String(hour).padStart(2, '0')}:15:00${offset}`),
    weight: 6,
  },
  { arbitrary: fc.constantFrom('2026-08-18T09:30:00', '1970-01-01T00:00:00Z', 'now'), weight: 2 },
  { arbitrary: fc.string({ maxLength: 30 }), weight: 1 },
);

/** Dates around the test apps' instant (2 Dec 2026), where the open expiries are. */
const nearDate = fc
  .date({ min: new Date('2026-11-01T00:00:00Z'), max: new Date('2027-03-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

/** A value of some other kind than asked for. */
const wrongValue: fc.Arbitrary<Value> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  intValue,
  fc.string({ maxLength: 8 }),
  NAME.map((name) => ({ enum: name })),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(NAME, fc.integer(), { maxKeys: 2 }).map((o) => ({ fields: Object.entries(o) })),
);

export interface OperationArbitraries {
  /** One operation from the schema's query, subscription and (absent) mutation roots. */
  readonly operation: fc.Arbitrary<GeneratedOperation>;
  /** A subscription operation (mostly valid) for the WebSocket. */
  readonly subscription: fc.Arbitrary<GeneratedOperation>;
  /** An operation whose text was damaged: truncated, a character inserted, deleted or doubled. */
  readonly broken: fc.Arbitrary<GeneratedOperation>;
}

/**
 * `wild: false` keeps to what the schema allows (every required argument, values of the right kind,
 * real fields only) so that most operations reach the resolvers; `wild: true` mixes in the mistakes.
 */
export function operationArbitraries(schema: GraphQLSchema, options: { readonly wild: boolean }): OperationArbitraries {
  const { wild } = options;
  const valueArbs = new Map<string, fc.Arbitrary<Value>>();
  const selectionArbs = new Map<string, fc.Arbitrary<Piece>>();

  function inputValue(type: GraphQLInputType, depth = 0): fc.Arbitrary<Value> {
    const key = `${type.toString()}@${depth}`;
    const known = valueArbs.get(key);
    if (known !== undefined) {
      return known;
    }
    const right = rightValueOf(type, depth);
    const arbitrary = wild ? fc.oneof({ arbitrary: right, weight: 9 }, { arbitrary: wrongValue, weight: 1 }) : right;
    valueArbs.set(key, arbitrary);
    return arbitrary;
  }

  function rightValueOf(type: GraphQLInputType, depth: number): fc.Arbitrary<Value> {
    if (isNonNullType(type)) {
      return inputValue(type.ofType, depth);
    }
    if (isListType(type)) {
      const item = inputValue(type.ofType as GraphQLInputType, depth + 1);
      return fc.oneof(
        { arbitrary: fc.array(item, { maxLength: 4 }), weight: 6 },
        { arbitrary: item, weight: 1 },
        { arbitrary: fc.array(item, { minLength: 199, maxLength: 260 }), weight: 1 },
      );
    }
    if (isEnumType(type)) {
      const names = type.getValues().map((v) => v.name);
      return fc.oneof(
        { arbitrary: fc.constantFrom(...names).map((name) => ({ enum: name })), weight: 8 },
        { arbitrary: NAME.map((name) => ({ enum: name })), weight: wild ? 1 : 0 },
        { arbitrary: fc.constantFrom(...names), weight: wild ? 1 : 0 },
      );
    }
    if (isInputObjectType(type)) {
      if (depth > 3) {
        return fc.constant(null);
      }
      const fields = Object.values(type.getFields()).map((field) => {
        const entry = inputValue(field.type, depth + 1).map((value) => [field.name, value] as const);
        return !wild && isNonNullType(field.type) ? entry : fc.option(entry, { freq: 3 });
      });
      return fc
        .tuple(fc.tuple(...fields), wild ? onceIn(8, fc.tuple(NAME, wrongValue)) : fc.constant(null))
        .map(([chosen, extra]) => ({
          fields: [...chosen.filter((f) => f !== null), ...(extra === null ? [] : [extra])] as Array<
            readonly [string, Value]
          >,
        }));
    }
    if (isScalarType(type) && !wild) {
      switch (type.name) {
        case 'Int':
          return fc.integer({ min: 0, max: 60 });
        case 'Float':
          return fc.oneof(fc.double({ min: 0, max: 2, noNaN: true }), fc.integer({ min: 0, max: 30_000 }));
        case 'Boolean':
          return fc.boolean();
        case 'Date':
          return nearDate;
        case 'DateTime':
          return nearDate.map((date) => `${date}T09:15:00+05:30`);
        default:
          return fc.oneof(fc.string({ maxLength: 24 }), fc.constantFrom('NIFTY', 'NIFTY2682524600CE'));
      }
    }
    if (isScalarType(type)) {
      switch (type.name) {
        case 'Int':
          return intValue;
        case 'Float':
          return floatValue;
        case 'Boolean':
          return fc.boolean();
        case 'Date':
          return dateValue;
        case 'DateTime':
          return dateTimeValue;
        default:
          return stringValue;
      }
    }
    return wrongValue;
  }

  function argumentsOf(args: readonly GraphQLArgument[]): fc.Arbitrary<Piece> {
    if (args.length === 0) {
      return fc.constant({ text: '', variables: [] });
    }
    const each = args.map((arg) =>
      fc.option(
        fc.record({
          value: inputValue(arg.type),
          asVariable: fc.boolean(),
          variableName: NAME,
          declaredType: fc.oneof(
            { arbitrary: fc.constant(arg.type.toString()), weight: 9 },
            { arbitrary: fc.constantFrom('String', 'Int!', '[String!]!', 'Unknown', 'Boolean'), weight: wild ? 1 : 0 },
          ),
        }),
        // Required arguments are left out now and then too (wild): the server must say so with a code.
        { freq: isNonNullType(arg.type) ? 12 : 2 },
      ),
    );
    const present = wild
      ? each
      : each.map((arb, i) => (isNonNullType(args[i]!.type) ? arb.filter((c) => c !== null) : arb));
    return fc.tuple(...present).map((chosen) => {
      const parts: string[] = [];
      const variables: Array<{ name: string; type: string; value: Value }> = [];
      chosen.forEach((c, i) => {
        if (c === null) {
          return;
        }
        const name = args[i]!.name;
        if (c.asVariable) {
          const variable = `${c.variableName}_${i}`;
          variables.push({ name: variable, type: c.declaredType, value: c.value });
          parts.push(`${name}: $${variable}`);
        } else {
          parts.push(`${name}: ${printLiteral(c.value)}`);
        }
      });
      return { text: parts.length === 0 ? '' : `(${parts.join(', ')})`, variables };
    });
  }

  function fieldOf(field: GraphQLField<unknown, unknown>, depth: number): fc.Arbitrary<Piece> {
    const named = getNamedType(field.type);
    const sub = isLeafType(named)
      ? fc.oneof(
          { arbitrary: fc.constant<Piece | null>(null), weight: 19 },
          { arbitrary: fc.constant<Piece | null>({ text: 'x', variables: [] }), weight: wild ? 1 : 0 },
        )
      : fc.oneof(
          { arbitrary: selectionOf(named, depth - 1), weight: 19 },
          { arbitrary: fc.constant<Piece | null>(null), weight: wild ? 1 : 0 },
        );
    return fc.tuple(onceIn(4, NAME), argumentsOf(field.args), sub).map(([alias, args, selection]) => ({
      text: `${alias === null ? '' : `${alias}: `}${field.name}${args.text}${
        selection === null ? '' : ` { ${selection.text} }`
      }`,
      variables: [...args.variables, ...(selection?.variables ?? [])],
    }));
  }

  function selectionOf(type: GraphQLNamedType, depth: number): fc.Arbitrary<Piece> {
    const key = `${type.name}@${depth}`;
    const known = selectionArbs.get(key);
    if (known !== undefined) {
      return known;
    }
    let arbitrary: fc.Arbitrary<Piece>;
    if (isObjectType(type) || isInterfaceType(type)) {
      const fields = Object.values(type.getFields()).filter((f) => depth > 0 || isLeafType(getNamedType(f.type)));
      const choices: Array<fc.WeightedArbitrary<Piece>> = fields.map((f) => ({
        arbitrary: fieldOf(f as GraphQLField<unknown, unknown>, depth),
        weight: 4,
      }));
      choices.push({ arbitrary: fc.constant({ text: '__typename', variables: [] }), weight: 1 });
      if (wild) {
        choices.push({ arbitrary: NAME.map((name) => ({ text: `${name}Unknown`, variables: [] })), weight: 1 });
      }
      arbitrary = fc.array(fc.oneof(...choices), { minLength: 1, maxLength: 3 }).map(join);
    } else if (isUnionType(type)) {
      arbitrary = fc
        .array(
          fc.oneof(...type.getTypes().map((member) => selectionOf(member, depth).map((s) => inline(member.name, s)))),
          { minLength: 1, maxLength: 2 },
        )
        .map(join);
    } else {
      arbitrary = fc.constant({ text: '__typename', variables: [] });
    }
    selectionArbs.set(key, arbitrary);
    return arbitrary;
  }

  function root(kind: 'query' | 'subscription' | 'mutation', depth: number): fc.Arbitrary<GeneratedOperation> {
    const type =
      kind === 'query' ? schema.getQueryType() : kind === 'subscription' ? schema.getSubscriptionType() : null;
    const selection =
      type === null || type === undefined
        ? fc.constant<Piece>({ text: 'anything', variables: [] })
        : kind === 'subscription'
          ? // A subscription has exactly one root field; more is a validation error the server must code.
            fc
              .array(fc.oneof(...Object.values(type.getFields()).map((f) => fieldOf(f as never, depth))), {
                minLength: 1,
                maxLength: 1,
              })
              .map(join)
          : selectionOf(type, depth);
    return fc
      .tuple(selection, fc.option(NAME, { freq: 3 }), fc.boolean())
      .map(([piece, name, shorthand]) => toOperation(kind, piece, name, shorthand));
  }

  const depths = (kind: 'query' | 'subscription' | 'mutation') =>
    fc.integer({ min: 1, max: 5 }).chain((depth) => root(kind, depth));
  const operation = fc.oneof(
    { arbitrary: depths('query'), weight: 7 },
    { arbitrary: depths('subscription'), weight: 2 },
    { arbitrary: depths('mutation'), weight: wild ? 1 : 0 },
  );
  const broken = fc
    .tuple(
      operation,
      fc.nat(),
      fc.constantFrom('truncate', 'insert', 'delete', 'double'),
      fc.constantFrom(
        '{',
        '}',
        '(',
        ')',
        '[',
        ']',
        ':',
        '$',
        '@',
        '!',
        '"',
        '\\',
        '...',
        '#',
        '\u2028',
        '\uFFFF',
        '0x',
        '&',
      ),
    )
    .map(([op, at, how, char]) => {
      const i = op.query.length === 0 ? 0 : at % op.query.length;
      const q = op.query;
      const query =
        how === 'truncate'
          ? q.slice(0, i)
          : how === 'insert'
            ? q.slice(0, i) + char + q.slice(i)
            : how === 'delete'
              ? q.slice(0, i) + q.slice(i + 1)
              : q.slice(0, i) + q.slice(i, i + 1).repeat(2) + q.slice(i + 1);
      return { ...op, query };
    });
  return { operation, subscription: depths('subscription'), broken };
}

function join(pieces: readonly Piece[]): Piece {
  return { text: pieces.map((p) => p.text).join(' '), variables: pieces.flatMap((p) => p.variables) };
}

function inline(typeName: string, piece: Piece): Piece {
  return { text: `... on ${typeName} { ${piece.text} }`, variables: piece.variables };
}

function toOperation(kind: string, piece: Piece, name: string | null, shorthand: boolean): GeneratedOperation {
  const seen = new Set<string>();
  const declared = piece.variables.filter((v) => !seen.has(v.name) && seen.add(v.name));
  const definitions = declared.length === 0 ? '' : `(${declared.map((v) => `$${v.name}: ${v.type}`).join(', ')})`;
  const head =
    kind === 'query' && shorthand && name === null && definitions === '' ? '' : `${kind} ${name ?? ''}${definitions} `;
  const variables = Object.fromEntries(declared.map((v) => [v.name, toJson(v.value)]));
  return {
    query: `${head}{ ${piece.text} }`,
    ...(declared.length > 0 ? { variables } : {}),
    ...(name !== null ? { operationName: name } : {}),
  };
}
