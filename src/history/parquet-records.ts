/**
 * Stored records from DuckDB result chunks, built from the field table alone. Numbers, instants and dates
 * arrive as doubles (see `wireSql`); the text columns of a row arrive together as one JSON array, since
 * each string costs a native read and a row has seven or more. An empty value becomes what the field's
 * `missing` policy says, exactly as `readStoredRecord` treats an empty CSV cell.
 *
 * The function that assembles a record is generated from the column list (once per table): an object
 * literal of a fixed shape is several times faster to build than one filled key by key, which matters
 * at 640,000 rows a day.
 */
import type { DuckDBConnection, DuckDBDataChunk, DuckDBVector } from '@duckdb/node-api';
import { parseExpiryTags } from '../domain/expiry-tags.ts';
import type { FieldKind } from '../domain/stored-fields.ts';
import { type ParquetColumn, sqlIdent, wireSql } from './parquet-schema.ts';

const MS_PER_DAY = 86_400_000;
const TEXT_COLUMN = '__text';

/** `YYYY-MM-DD` of a day number (days since 1970-01-01); stored days hold a handful of distinct expiries. */
const dayTexts = new Map<number, string>();
function dayText(days: number): string {
  let text = dayTexts.get(days);
  if (text === undefined) {
    text = new Date(days * MS_PER_DAY).toISOString().slice(0, 10);
    if (dayTexts.size < 100_000) {
      dayTexts.set(days, text);
    }
  }
  return text;
}

/** What `readStoredRecord` reads an empty cell of a `missing: 'zero'` field as, as source text. */
function zeroSource(kind: FieldKind): string {
  return kind === 'tags' ? '[]' : kind === 'date' || kind === 'text' ? "''" : '0';
}

function valueSource(kind: FieldKind, v: string): string {
  switch (kind) {
    case 'instant':
      return `new Date(${v})`;
    case 'date':
      return `h.day(${v})`;
    case 'tags':
      return `h.tags(${v})`;
    default:
      return v;
  }
}

type Assemble = (
  numbers: ReadonlyArray<ReadonlyArray<number | null>>,
  texts: ReadonlyArray<string | null> | null,
  row: number,
  helpers: { day: (days: number) => string; tags: (text: string) => unknown },
) => Record<string, unknown> | null;

/** Stored tag texts are a handful of combinations: each is parsed once and its frozen list shared. */
const tagLists = new Map<string, readonly string[]>();
function tagList(text: string): readonly string[] {
  let tags = tagLists.get(text);
  if (tags === undefined) {
    tags = Object.freeze(parseExpiryTags(text));
    if (tagLists.size < 1_000) {
      tagLists.set(text, tags);
    }
  }
  return tags;
}

const HELPERS = { day: dayText, tags: tagList };

/** The assembler of `columns`' records: null for a row missing a required value. */
function compile(columns: readonly ParquetColumn[]): Assemble {
  const lines: string[] = [];
  const properties: string[] = [];
  let numberAt = 0;
  let textAt = 0;
  columns.forEach((column, i) => {
    const v = `v${i}`;
    lines.push(
      column.wire === 'number'
        ? `const ${v} = n[${numberAt++}][r];`
        : `const ${v} = t === null ? null : t[${textAt++}];`,
    );
    if (column.missing === 'required') {
      lines.push(`if (${v} === null) return null;`);
      properties.push(`${JSON.stringify(column.key)}: ${valueSource(column.kind, v)}`);
    } else {
      const empty = column.missing === 'zero' ? zeroSource(column.kind) : 'null';
      properties.push(`${JSON.stringify(column.key)}: ${v} === null ? ${empty} : ${valueSource(column.kind, v)}`);
    }
  });
  // Generated from the field table only (keys are JSON-quoted): no outside text reaches this source.
  return new Function('n', 't', 'r', 'h', `${lines.join('\n')}\nreturn { ${properties.join(', ')} };`) as Assemble;
}

type Projector = (record: Readonly<Record<string, unknown>>) => Record<string, unknown>;
const projectors = new Map<string, Projector>();

/**
 * A function copying `keys` of a record into a new object of one fixed shape: a projection of kept
 * records (a chart's four fields of a month) built key by key cost more than the month's whole rows.
 * Keys are the field table's, JSON-quoted into the source.
 */
export function recordProjector(keys: readonly string[]): Projector {
  const signature = keys.join(',');
  let project = projectors.get(signature);
  if (project === undefined) {
    const properties = keys.map((key) => `${JSON.stringify(key)}: r[${JSON.stringify(key)}]`);
    project = new Function('r', `return { ${properties.join(', ')} };`) as Projector;
    projectors.set(signature, project);
  }
  return project;
}

/** By column list (a table's, or a projection of it). */
const assemblers = new Map<string, Assemble>();

export interface RecordReader<R> {
  /** The select list to put first in the query. */
  readonly select: string;
  /** Appends the records of one result chunk to `out`. */
  decode(chunk: DuckDBDataChunk, out: R[]): void;
}

function itemsOf<T>(vector: DuckDBVector, rows: number): T[] {
  const items = new Array<T>(rows);
  for (let r = 0; r < rows; r++) {
    items[r] = vector.getItem(r) as T;
  }
  return items;
}

/**
 * Reads `columns` (each table's `PARQUET_COLUMNS`) from files holding the columns in `present`; the others
 * read as NULL, so as `missing` says (a day compacted before the field existed).
 */
export function recordReader<R>(
  columns: readonly ParquetColumn[],
  present: ReadonlySet<string>,
  qualifier = '',
): RecordReader<R> {
  const signature = columns.map((c) => `${c.key}:${c.kind}:${c.missing}`).join(',');
  let assemble = assemblers.get(signature);
  if (assemble === undefined) {
    assemble = compile(columns);
    assemblers.set(signature, assemble);
  }
  const stored = (c: ParquetColumn) => `${qualifier}${sqlIdent(c.name)}`;
  const numbers = columns.filter((c) => c.wire === 'number');
  const texts = columns.filter((c) => c.wire === 'string');
  const select = [
    ...numbers.map((c) =>
      present.has(c.name) ? `${wireSql(c, stored(c))} AS ${sqlIdent(c.name)}` : `NULL::DOUBLE AS ${sqlIdent(c.name)}`,
    ),
    ...(texts.length === 0
      ? []
      : [
          `to_json([${texts.map((c) => (present.has(c.name) ? stored(c) : 'NULL::VARCHAR')).join(', ')}])::VARCHAR AS ${TEXT_COLUMN}`,
        ]),
  ].join(', ');
  // Rows of one contract repeat their texts: parse each distinct array once per query.
  const parsed = new Map<string, ReadonlyArray<string | null>>();
  const run = assemble;
  return {
    select,
    decode(chunk, out) {
      const rows = chunk.rowCount;
      const numberItems = numbers.map((_, i) => itemsOf<number | null>(chunk.getColumnVector(i), rows));
      const textItems = texts.length === 0 ? null : itemsOf<string>(chunk.getColumnVector(numbers.length), rows);
      for (let r = 0; r < rows; r++) {
        let t: ReadonlyArray<string | null> | null = null;
        if (textItems !== null) {
          const json = textItems[r]!;
          t = parsed.get(json) ?? null;
          if (t === null) {
            t = JSON.parse(json) as Array<string | null>;
            if (parsed.size < 50_000) {
              parsed.set(json, t);
            }
          }
        }
        const record = run(numberItems, t, r, HELPERS);
        if (record !== null) {
          out.push(record as R);
        }
      }
    },
  };
}

/** Runs `sql` (which selects `reader.select` first) and decodes every row, chunk by chunk. */
export async function queryRecords<R>(
  connection: DuckDBConnection,
  sql: string,
  reader: RecordReader<R>,
): Promise<R[]> {
  const out: R[] = [];
  await forEachChunk(connection, sql, (chunk) => reader.decode(chunk, out));
  return out;
}

/** Streams the result of `sql`, one chunk (≤ 2,048 rows) at a time. */
export async function forEachChunk(
  connection: DuckDBConnection,
  sql: string,
  visit: (chunk: DuckDBDataChunk) => void | Promise<void>,
): Promise<void> {
  const result = await connection.stream(sql);
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) {
      return;
    }
    await visit(chunk);
  }
}
