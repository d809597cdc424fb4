/**
 * The Parquet (DuckDB) form of the stored tables, derived from the field kinds of src/domain/stored-fields.ts:
 * a field added there is compacted and read back with no change here. Three SQL fragments per kind:
 * the column type, the conversion of a CSV cell to it (the same reading as src/history/stored-record.ts, so
 * the verification after compaction finds the two equal), and the expression a reader selects so every
 * value reaches JavaScript as a double or a string (the two kinds of DuckDB vector that convert cheaply).
 *
 * A missing cell is stored as NULL, whatever the field's `missing` policy: a Parquet file holds what the CSV
 * held, and the reader applies the policy as `readStoredRecord` does for an empty cell.
 */
import { EXPIRY_TAGS } from '../domain/expiry-tags.ts';
import { INDEX_SYMBOLS } from '../domain/indices.ts';
import {
  type FieldKind,
  type Missing,
  OPTIONS_FIELDS,
  OVERVIEW_FIELDS,
  type StoredField,
} from '../domain/stored-fields.ts';

/** DuckDB column types a stored field can have in a Parquet file. */
export type ParquetType = 'TIMESTAMPTZ' | 'DATE' | 'VARCHAR' | 'BIGINT' | 'DOUBLE';

/**
 * One entry per kind, so a new kind fails to compile until it is given a type. Instants are UTC-adjusted
 * timestamps (pandas reads `datetime64[us, UTC]`); whole numbers are BIGINT (volume and OI pass 2^31);
 * strings are dictionary-encoded by the Parquet writer, so an ENUM would save nothing on disk.
 */
export const PARQUET_TYPE_OF_KIND: Readonly<Record<FieldKind, ParquetType>> = {
  instant: 'TIMESTAMPTZ',
  date: 'DATE',
  index: 'VARCHAR',
  right: 'VARCHAR',
  text: 'VARCHAR',
  tags: 'VARCHAR',
  count: 'BIGINT',
  integer: 'BIGINT',
  positive: 'DOUBLE',
  price: 'DOUBLE',
  number: 'DOUBLE',
  iv: 'DOUBLE',
  delta: 'DOUBLE',
  unit: 'DOUBLE',
};

/** How a value reaches JavaScript from a reader's query: a double vector or a string vector. */
export type WireType = 'number' | 'string';

/** A stored field as a Parquet column. */
export interface ParquetColumn {
  readonly name: string;
  readonly key: string;
  readonly kind: FieldKind;
  readonly missing: Missing;
  readonly type: ParquetType;
  readonly wire: WireType;
}

export type StoredTable = 'options' | 'overview';

export const TABLE_FIELDS = {
  options: OPTIONS_FIELDS,
  overview: OVERVIEW_FIELDS,
} as const satisfies Record<StoredTable, readonly StoredField<never>[]>;

export function parquetColumnsOf(fields: readonly StoredField<never>[]): ParquetColumn[] {
  return fields.map((f) => {
    const type = PARQUET_TYPE_OF_KIND[f.kind];
    return {
      name: f.column,
      key: f.key,
      kind: f.kind,
      missing: f.missing,
      type,
      wire: type === 'VARCHAR' ? 'string' : 'number',
    };
  });
}

export const PARQUET_COLUMNS: Readonly<Record<StoredTable, readonly ParquetColumn[]>> = {
  options: parquetColumnsOf(OPTIONS_FIELDS),
  overview: parquetColumnsOf(OVERVIEW_FIELDS),
};

/**
 * Row order of each file. Options rows are grouped by contract, then time, so the rows of one contract
 * sit in one or two row groups and a one-contract query skips the rest on their min/max statistics.
 * Overview rows (a few thousand a day) are read by time range.
 */
export const SORT_COLUMNS: Readonly<Record<StoredTable, readonly string[]>> = {
  options: ['expiry', 'strike', 'option_type', 'timestamp'],
  overview: ['timestamp', 'expiry'],
};

/** Columns that identify an overview row: the CSV reader keeps the first of rows sharing them. */
export const OVERVIEW_KEY_COLUMNS = ['timestamp', 'expiry'] as const;

/** A SQL identifier, quoted (`index` and `offset` are keywords). */
export const sqlIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** A SQL string literal. */
export const sqlString = (text: string): string => `'${text.replaceAll("'", "''")}'`;

const sqlList = (values: readonly string[]) => values.map(sqlString).join(', ');

/**
 * The stored value of a CSV cell (`cell`: a VARCHAR expression, NULL when the file lacks the column): NULL
 * wherever `readStoredRecord` finds the cell missing or not of the field's kind.
 */
export function csvCellSql(kind: FieldKind, cell: string): string {
  const text = `NULLIF(${cell}, '')`;
  const number = `TRY_CAST(${text} AS DOUBLE)`;
  switch (kind) {
    case 'instant':
      return `TRY_CAST(${text} AS TIMESTAMPTZ)`;
    case 'date':
      return `TRY_CAST(${text} AS DATE)`;
    case 'index':
      return `CASE WHEN ${text} IN (${sqlList(INDEX_SYMBOLS)}) THEN ${text} END`;
    case 'right':
      return `CASE WHEN ${text} IN ('CE', 'PE') THEN ${text} END`;
    case 'text':
      return text;
    case 'tags':
      // parseExpiryTags: split on '|' and keep the known tags.
      return `array_to_string(list_filter(string_split(${text}, '|'), t -> t IN (${sqlList(EXPIRY_TAGS)})), '|')`;
    case 'count':
    case 'integer':
      // A fraction would not survive BIGINT: it stays NULL, and the verification refuses the day.
      return `CASE WHEN ${number} = trunc(${number}) AND abs(${number}) <= 9007199254740991 THEN CAST(${number} AS BIGINT) END`;
    case 'positive':
    case 'price':
    case 'number':
    case 'iv':
    case 'delta':
    case 'unit':
      return `CASE WHEN isfinite(${number}) THEN ${number} END`;
  }
}

/** What a reader selects for a stored column: epoch milliseconds, days since 1970-01-01, a double or the text. */
export function wireSql(column: ParquetColumn, stored: string): string {
  switch (column.type) {
    case 'TIMESTAMPTZ':
      return `epoch_ms(${stored})::DOUBLE`;
    case 'DATE':
      return `(${stored} - DATE '1970-01-01')::DOUBLE`;
    case 'BIGINT':
      return `${stored}::DOUBLE`;
    case 'DOUBLE':
    case 'VARCHAR':
      return stored;
  }
}

/** The column list of a DuckDB table holding stored rows. */
export function tableDefinitionSql(columns: readonly ParquetColumn[]): string {
  return columns.map((c) => `${sqlIdent(c.name)} ${c.type}`).join(', ');
}
