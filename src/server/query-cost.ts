import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { getArgumentValues } from 'graphql/execution/values.js';

/**
 * What the estimate needs to know about the server: list sizes that are not in the arguments.
 */
export interface CostSettings {
  /** Indices served (the size of `indices`). */
  readonly indices: number;
  /** The collector's strikes each side of ATM (0: whole chains): bounds every chain's rows. */
  readonly defaultStrikesAroundAtm: number;
}

/** Rows of a whole chain (collector's G6_STRIKES_AROUND_ATM=0), an upper estimate of a listed index chain. */
const WHOLE_CHAIN_STRIKES = 250;
/** Open expiries of an index, an upper estimate (NIFTY lists 7). */
const EXPIRIES = 8;
/** Columns of the volatility surface grid. */
const SURFACE_COLUMNS = 13;
/** A list the table below does not size. */
const DEFAULT_LIST_SIZE = 10;
/** Work units per contract repriced under `scenario`/`conventions` (IV solve, Greeks, re-aggregation). */
const REPRICE_PER_CONTRACT = 4;
/** Introspection is answered from the schema; its size is fixed. */
const INTROSPECTION_COST = 50;
const MAX_FRAGMENT_DEPTH = 20;

interface Scope {
  /** Strike rows of the chain being selected (from the enclosing chain field's arguments). */
  readonly strikes: number;
  /** Page size of the enclosing history connection. */
  readonly pageSize: number;
  /** Contracts named by the enclosing `tradingsymbols` argument. */
  readonly symbols: number;
}

function strikesOf(args: Record<string, unknown>, settings: CostSettings): number {
  const range = args.strikeRange as { min?: number; max?: number } | undefined;
  if (range !== undefined && range !== null) {
    // Not knowing the index's step, assume the finest listed one (25 points, MIDCPNIFTY).
    const rows = Math.floor(((range.max ?? 0) - (range.min ?? 0)) / 25) + 1;
    return Math.max(1, Math.min(WHOLE_CHAIN_STRIKES, rows));
  }
  // A chain holds what the collector kept: 2n+1 rows around ATM, or all of them when it keeps every strike.
  const collected =
    settings.defaultStrikesAroundAtm === 0 ? WHOLE_CHAIN_STRIKES : 2 * settings.defaultStrikesAroundAtm + 1;
  const around = args.strikesAroundAtm;
  return typeof around === 'number' ? Math.min(collected, 2 * around + 1) : collected;
}

/** How many items a list field returns, at most, given its arguments and what encloses it. */
function listSize(
  parent: string,
  field: GraphQLField<unknown, unknown>,
  args: Record<string, unknown>,
  scope: Scope,
  settings: CostSettings,
): number {
  switch (`${parent}.${field.name}`) {
    case 'Query.indices':
      return settings.indices;
    case 'OptionChain.strikes':
    case 'OptionChain.smile':
    case 'Overview.smile':
    case 'Expiry.smile':
      return scope.strikes;
    case 'Query.smile':
      return strikesOf(args, settings);
    case 'Query.termStructure':
    case 'VolatilitySurface.rows':
    case 'Index.expiryDetails':
      return typeof args.first === 'number' ? Math.min(args.first, EXPIRIES * 4) : EXPIRIES;
    case 'VolatilitySurfaceRow.iv':
    case 'VolatilitySurfaceRow.calendarArbitrage':
      return SURFACE_COLUMNS;
    case 'Query.contracts':
      return Array.isArray(args.tradingsymbols) ? args.tradingsymbols.length : DEFAULT_LIST_SIZE;
    case 'ContractsTick.contracts':
      return scope.symbols;
    default:
      if (field.name === 'edges' || field.name === 'nodes') {
        return scope.pageSize;
      }
      return DEFAULT_LIST_SIZE;
  }
}

function scopeFor(
  field: GraphQLField<unknown, unknown>,
  args: Record<string, unknown>,
  scope: Scope,
  settings: CostSettings,
): Scope {
  if (Array.isArray(args.tradingsymbols)) {
    return { ...scope, symbols: args.tradingsymbols.length };
  }
  if ('strikesAroundAtm' in args || 'strikeRange' in args || field.name === 'optionChain' || field.name === 'chain') {
    return { ...scope, strikes: strikesOf(args, settings) };
  }
  if (typeof args.first === 'number' && (field.name === 'history' || field.name === 'contractHistory')) {
    return { ...scope, pageSize: args.first };
  }
  if (field.name === 'history' || field.name === 'contractHistory') {
    return { ...scope, pageSize: 100 };
  }
  return scope;
}

/**
 * The work an operation asks for, in units of objects resolved (Shopify's model: an object costs 1, a
 * scalar 0, a list multiplies what it contains), sized from the arguments — strikes × expiries ×
 * contracts, history page sizes, what-if repricing — rather than from the selection's shape alone, so a
 * 200-strike chain costs 40 times a 5-strike one. Pure: schema, document and variables in, a number out.
 */
export function estimateOperationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  settings: CostSettings,
  operationName?: string | null,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  let operation: OperationDefinitionNode | undefined;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) {
      fragments.set(definition.name.value, definition);
    } else if (
      definition.kind === Kind.OPERATION_DEFINITION &&
      (operationName == null || definition.name?.value === operationName)
    ) {
      operation ??= definition;
    }
  }
  if (operation === undefined) {
    return 0;
  }
  const root =
    operation.operation === 'query'
      ? schema.getQueryType()
      : operation.operation === 'subscription'
        ? schema.getSubscriptionType()
        : schema.getMutationType();
  if (root == null) {
    return 0;
  }

  const walk = (
    selectionSet: SelectionSetNode,
    type: GraphQLCompositeType,
    multiplier: number,
    scope: Scope,
    depth: number,
  ): number => {
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
        if (condition !== undefined && condition !== null && isCompositeType(condition)) {
          cost += walk(selection.selectionSet, condition, multiplier, scope, depth);
        }
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        const condition = fragment ? schema.getType(fragment.typeCondition.name.value) : undefined;
        if (fragment && depth < MAX_FRAGMENT_DEPTH && condition && isCompositeType(condition)) {
          cost += walk(fragment.selectionSet, condition, multiplier, scope, depth + 1);
        }
        continue;
      }
      const name = selection.name.value;
      if (name === '__schema' || name === '__type') {
        cost += INTROSPECTION_COST;
        continue;
      }
      if (!('getFields' in type)) {
        continue;
      }
      const field = type.getFields()[name];
      if (field === undefined) {
        continue;
      }
      let args: Record<string, unknown> = {};
      try {
        args = getArgumentValues(field, selection, variables);
      } catch {
        // Execution reports the bad argument; the estimate goes on without it.
      }
      const namedType = getNamedType(field.type);
      const size = isListType(getNullableType(field.type)) ? listSize(type.name, field, args, scope, settings) : 1;
      const inner = scopeFor(field, args, scope, settings);
      if ('scenario' in args || 'conventions' in args) {
        cost += multiplier * inner.strikes * 2 * REPRICE_PER_CONTRACT;
      }
      if (isCompositeType(namedType) && selection.selectionSet !== undefined) {
        cost += multiplier * size + walk(selection.selectionSet, namedType, multiplier * size, inner, depth);
      }
    }
    return cost;
  };

  const initial: Scope = { strikes: strikesOf({}, settings), pageSize: 100, symbols: DEFAULT_LIST_SIZE };
  return Math.max(1, Math.ceil(walk(operation.selectionSet, root, 1, initial, 0)));
}
