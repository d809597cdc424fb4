import { GraphQLEnumType, getNamedType } from 'graphql';
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

/** The GraphQL enums stored text fields name (their values are the schema's own, checked on resolving). */
const ENUMS: Readonly<Record<string, unknown>> = {
  OptionRight: OptionRightEnum,
  IvStatus: IvStatusEnum,
  PriceSource: PriceSourceEnum,
  BuildUp: BuildUpEnum,
  ExpiryKind: ExpiryKindEnum,
  PricingModel: PricingModelEnum,
  ForwardSource: ForwardSourceEnum,
  TimeBasis: TimeBasisEnum,
  IndexSymbol: IndexSymbolEnum,
};

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
      type: (known ?? scalarOf(f.kind)) as 'String',
      nullable: nullable as false,
      ...(f.description === undefined ? {} : { description: f.description }),
      resolve: (parent, _args, _ctx, info) => {
        const value = recordOf(parent as Parent)[f.key];
        if (nullable && known !== undefined) {
          const type = getNamedType(info.returnType);
          if (typeof value !== 'string' || !(type instanceof GraphQLEnumType) || type.getValue(value) === undefined) {
            return null as never;
          }
        }
        return value as never;
      },
    });
  }
  return out;
}
