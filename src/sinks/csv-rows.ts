import { INDEX_SYMBOLS } from '../domain/indices.ts';
import type { IndexSnapshot } from '../domain/snapshot.ts';
import {
  type ContractRowSource,
  OPTIONS_FIELDS,
  OVERVIEW_FIELDS,
  type OverviewRowSource,
  type StoredField,
} from '../domain/stored-fields.ts';
import { type CsvCell, toCsvLine } from './csv-format.ts';

/** A CSV column: a stored field as the CSV writer checks it. */
export type CsvColumn = Pick<StoredField<never>, 'column' | 'kind' | 'nullable'>;

export const OPTIONS_COLUMNS: readonly CsvColumn[] = OPTIONS_FIELDS;
export const OVERVIEW_COLUMNS: readonly CsvColumn[] = OVERVIEW_FIELDS;

export const OPTIONS_CSV_COLUMNS = OPTIONS_COLUMNS.map((c) => c.column);
export const OVERVIEW_CSV_COLUMNS = OVERVIEW_COLUMNS.map((c) => c.column);
export const OPTIONS_HEADER = toCsvLine(OPTIONS_CSV_COLUMNS);
export const OVERVIEW_HEADER = toCsvLine(OVERVIEW_CSV_COLUMNS);

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const INDEX_SET: ReadonlySet<string> = new Set(INDEX_SYMBOLS);

function cellProblem(column: CsvColumn, value: CsvCell): string | null {
  if (value === null || (typeof value === 'number' && !Number.isFinite(value))) {
    return column.nullable ? null : `${column.column} is missing or not finite`;
  }
  switch (column.kind) {
    case 'instant':
      return typeof value === 'string' && ISO_INSTANT.test(value) ? null : `${column.column} is not an ISO instant`;
    case 'date':
      return typeof value === 'string' && ISO_DATE.test(value) ? null : `${column.column} is not a date`;
    case 'index':
      return typeof value === 'string' && INDEX_SET.has(value) ? null : `${column.column} is not a known index`;
    case 'right':
      return value === 'CE' || value === 'PE' ? null : `${column.column} is not CE or PE`;
    case 'text':
      return typeof value === 'string' && !/[\r\n]/.test(value) && value.length > 0
        ? null
        : `${column.column} is empty or holds a line break`;
    case 'positive':
      return typeof value === 'number' && value > 0 ? null : `${column.column} is not positive`;
    case 'price':
      return typeof value === 'number' && value >= 0 ? null : `${column.column} is negative`;
    case 'count':
      return typeof value === 'number' && Number.isInteger(value) && value >= 0
        ? null
        : `${column.column} is not a non-negative whole number`;
    case 'tags':
      return typeof value === 'string' && /^[A-Z_]+(\|[A-Z_]+)*$/.test(value)
        ? null
        : `${column.column} is not expiry tags`;
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) ? null : `${column.column} is not a whole number`;
    case 'number':
      return typeof value === 'number' ? null : `${column.column} is not a number`;
    case 'iv':
      return typeof value === 'number' && value > 0 && value <= 10 ? null : `${column.column} is outside (0, 10]`;
    case 'delta':
      return typeof value === 'number' && Math.abs(value) <= 1 ? null : `${column.column} is outside [-1, 1]`;
    case 'unit':
      return typeof value === 'number' && value >= 0 && value <= 1 ? null : `${column.column} is outside [0, 1]`;
  }
}

/** The first reason the row does not fit the columns, or null when it does. */
export function rowProblem(columns: readonly CsvColumn[], cells: readonly CsvCell[]): string | null {
  if (cells.length !== columns.length) {
    return `expected ${columns.length} cells, got ${cells.length}`;
  }
  for (let i = 0; i < columns.length; i++) {
    const problem = cellProblem(columns[i]!, cells[i]!);
    if (problem !== null) {
      return problem;
    }
  }
  return null;
}

const cellsOf = <Source>(fields: readonly StoredField<Source>[], source: Source): CsvCell[] =>
  fields.map((f) => f.value(source));

export interface RejectedRow {
  readonly file: 'options' | 'overview';
  readonly reason: string;
}

/** A snapshot rendered for the CSV store: the text of each file plus what was left out and why. */
export interface RenderedSnapshot {
  readonly timestamp: string;
  readonly options: string;
  readonly overview: string;
  readonly optionsRows: number;
  readonly overviewRows: number;
  readonly rejected: readonly RejectedRow[];
}

/**
 * Renders a snapshot's rows, checking each against its columns. An expiry whose overview row is
 * rejected loses its contract rows too: the overview rows are the snapshot's commit record, and
 * contract rows without one would be taken for a torn write at the next start.
 */
export function renderSnapshot(snapshot: IndexSnapshot): RenderedSnapshot {
  const timestamp = snapshot.observedAt.toISOString();
  const rejected: RejectedRow[] = [];
  let options = '';
  let overview = '';
  let optionsRows = 0;
  let overviewRows = 0;
  for (const chain of snapshot.chains) {
    const header = cellsOf<OverviewRowSource>(OVERVIEW_FIELDS, { timestamp, seq: snapshot.seq, chain });
    const headerProblem = rowProblem(OVERVIEW_COLUMNS, header);
    if (headerProblem !== null) {
      rejected.push({ file: 'overview', reason: headerProblem });
      for (let i = 0; i < chain.summary.contractCount; i++) {
        rejected.push({ file: 'options', reason: 'its expiry overview row was rejected' });
      }
      continue;
    }
    for (const row of chain.strikes) {
      for (const [right, contract] of [['CE', row.call] as const, ['PE', row.put] as const]) {
        if (contract === null) {
          continue;
        }
        const cells = cellsOf<ContractRowSource>(OPTIONS_FIELDS, { timestamp, chain, row, right, contract });
        const problem = rowProblem(OPTIONS_COLUMNS, cells);
        if (problem === null) {
          options += toCsvLine(cells);
          optionsRows += 1;
        } else {
          rejected.push({ file: 'options', reason: problem });
        }
      }
    }
    overview += toCsvLine(header);
    overviewRows += 1;
  }
  return { timestamp, options, overview, optionsRows, overviewRows, rejected };
}
