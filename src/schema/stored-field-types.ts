import { INDEX_SYMBOLS } from '../domain/indices.ts';
import type { FieldKind, StoredField } from '../domain/stored-fields.ts';
import type { builder } from './builder.ts';
import {
  BuildUpEnum,
  ExpiryKindEnum,
  ExpiryTagEnum,
  ForwardSourceEnum,
  IndexSymbolEnum,
  IvStatusEnum,
  OptionRightEnum,
  PriceSourceEnum,
  PricingModelEnum,
  TimeBasisEnum,
} from './enums.ts';

/** The GraphQL enums stored text fields name, with the values each accepts. */
const ENUMS: Record<string, { readonly ref: unknown; readonly values: ReadonlySet<string> }> = {};
const enumOf = (name: string, ref: unknown, values: readonly string[]) => {
  ENUMS[name] = { ref, values: new Set(values) };
};
enumOf('OptionRight', OptionRightEnum, ['CE', 'PE']);
enumOf('IvStatus', IvStatusEnum, [
  'OK',
  'NO_PRICE',
  'BELOW_INTRINSIC',
  'ABOVE_MAXIMUM',
  'NO_TIME_VALUE',
  'INVALID_INPUT',
]);
enumOf('PriceSource', PriceSourceEnum, ['MID', 'LAST']);
enumOf('BuildUp', BuildUpEnum, ['LONG_BUILD_UP', 'SHORT_BUILD_UP', 'LONG_UNWINDING', 'SHORT_COVERING', 'NEUTRAL']);
enumOf('ExpiryKind', ExpiryKindEnum, ['WEEKLY', 'MONTHLY']);
enumOf('PricingModel', PricingModelEnum, ['BLACK_SCHOLES', 'BLACK_76']);
enumOf('ForwardSource', ForwardSourceEnum, ['SPOT_CARRY', 'PUT_CALL_PARITY', 'FUTURES']);
enumOf('TimeBasis', TimeBasisEnum, ['CALENDAR_365', 'TRADING_252']);
enumOf('IndexSymbol', IndexSymbolEnum, INDEX_SYMBOLS);

/** Counts are Float: a chain's total volume in units outgrows GraphQL's 32-bit Int. */
function scalarOf(kind: FieldKind): string | unknown {
  switch (kind) {
    case 'instant':
      return 'DateTime';
    case 'date':
      return 'Date';
    case 'index':
      return IndexSymbolEnum;
    case 'text':
      return 'String';
    case 'integer':
      return 'Int';
    case 'tags':
      return [ExpiryTagEnum];
    default:
      return 'Float';
  }
}

type FieldBuilder = PothosSchemaTypes.ObjectFieldBuilder<(typeof builder)['$inferSchemaTypes'], unknown>;

/**
 * GraphQL fields for every stored field of a table, read from `recordOf(parent)`: non-null where a stored
 * row always has the value, an enum where the field names one (a stored value outside it reads as null).
 */
export function storedFieldsOf<Parent>(
  t: FieldBuilder,
  fields: readonly StoredField<never>[],
  recordOf: (parent: Parent) => Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const known = f.enumName === undefined ? undefined : ENUMS[f.enumName];
    if (f.enumName !== undefined && known === undefined) {
      throw new Error(`stored field ${f.column} names enum ${f.enumName}, which the schema does not know`);
    }
    // A required field was checked on reading; any other enum text may predate the enum's values.
    const nullable = f.missing === 'null' || (known !== undefined && f.missing !== 'required');
    out[f.key] = t.field({
      type: (known?.ref ?? scalarOf(f.kind)) as 'String',
      nullable: nullable as false,
      ...(f.description === undefined ? {} : { description: f.description }),
      resolve: (parent) => {
        const value = recordOf(parent as Parent)[f.key];
        if (nullable && known !== undefined && (typeof value !== 'string' || !known.values.has(value))) {
          return null as never;
        }
        return value as never;
      },
    });
  }
  return out;
}
