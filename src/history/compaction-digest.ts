/**
 * What the verification after compaction compares: per table, the row count, the rows of each snapshot,
 * and an order-independent hash over every value of every record (the sum, mod 2^64, of a hash of each
 * record's canonical text, so duplicate rows count twice). Both sides are records as the history readers
 * return them: the CSV side through `readStoredRecord`, the Parquet side through the Parquet decoder.
 */

import { hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { StoredField } from '../domain/stored-fields.ts';
import { parseCsvLine } from '../sinks/csv-format.ts';
import { completeLinesEnd } from './csv-history.ts';
import type { ParquetColumn } from './parquet-schema.ts';
import { readStoredRecord } from './stored-record.ts';

export interface TableDigest {
  readonly rows: number;
  /** 16 hex digits. */
  readonly hash: string;
  /** Rows per snapshot, by the snapshot's epoch milliseconds. */
  readonly perSnapshot: ReadonlyMap<number, number>;
}

type AnyRecord = Readonly<Record<string, unknown>>;

const NULL_TAG = 0;
const NUMBER_TAG = 1;
const INSTANT_TAG = 2;
const TEXT_TAG = 3;
const LIST_TAG = 4;

/**
 * Writes record values into a growing scratch buffer, typed (so `1`, `'1'` and null all differ): numbers
 * as their float64 bits (-0 as 0, as the CSV writes it), which costs far less than formatting them.
 */
class ValueWriter {
  buffer = Buffer.alloc(4096);
  at = 0;

  private room(bytes: number): void {
    if (this.at + bytes > this.buffer.length) {
      const grown = Buffer.alloc(Math.max(this.buffer.length * 2, this.at + bytes));
      this.buffer.copy(grown, 0, 0, this.at);
      this.buffer = grown;
    }
  }

  private double(tag: number, value: number): void {
    this.room(9);
    this.buffer[this.at] = tag;
    this.buffer.writeDoubleLE(value === 0 ? 0 : value, this.at + 1);
    this.at += 9;
  }

  private text(value: string): void {
    const length = value.length;
    this.room(5 + length * 3);
    const buffer = this.buffer;
    buffer[this.at] = TEXT_TAG;
    let bytes = 0;
    // ASCII (every stored text so far) without a native call; anything else as UTF-8.
    for (let i = 0; i < length; i++) {
      const code = value.charCodeAt(i);
      if (code > 0x7f) {
        bytes = -1;
        break;
      }
      buffer[this.at + 5 + i] = code;
      bytes += 1;
    }
    if (bytes < 0) {
      bytes = buffer.write(value, this.at + 5, 'utf8');
    }
    buffer.writeUInt32LE(bytes, this.at + 1);
    this.at += 5 + bytes;
  }

  value(value: unknown): void {
    if (typeof value === 'number') {
      this.double(NUMBER_TAG, value);
    } else if (typeof value === 'string') {
      this.text(value);
    } else if (value instanceof Date) {
      this.double(INSTANT_TAG, value.getTime());
    } else if (Array.isArray(value)) {
      this.room(5);
      this.buffer[this.at] = LIST_TAG;
      this.buffer.writeUInt32LE(value.length, this.at + 1);
      this.at += 5;
      for (const item of value) {
        this.text(String(item));
      }
    } else {
      this.room(1);
      this.buffer[this.at] = NULL_TAG;
      this.at += 1;
    }
  }
}

type Encode = (record: AnyRecord, writer: ValueWriter) => void;

/**
 * The encoder of a table's records, generated from its column list: reading `record["strike"]` at a fixed
 * site is several times faster than reading `record[key]` for 35 different keys in a loop.
 */
function compileEncoder(columns: readonly ParquetColumn[]): Encode {
  // Keys come from the field table, JSON-quoted: no outside text reaches this source.
  const body = columns.map((c) => `w.value(r[${JSON.stringify(c.key)}]);`).join('\n');
  return new Function('r', 'w', body) as Encode;
}

export interface DigestBuilder {
  add(record: AnyRecord): void;
  result(): TableDigest;
}

export function createDigest(columns: readonly ParquetColumn[]): DigestBuilder {
  let rows = 0;
  let sum = 0n;
  const perSnapshot = new Map<number, number>();
  const writer = new ValueWriter();
  const encode = compileEncoder(columns);
  return {
    add(record) {
      rows += 1;
      writer.at = 0;
      encode(record, writer);
      const digest = hash('sha1', writer.buffer.subarray(0, writer.at), 'buffer');
      sum = BigInt.asUintN(64, sum + digest.readBigUInt64LE(0));
      const at = record.timestamp instanceof Date ? record.timestamp.getTime() : Number.NaN;
      perSnapshot.set(at, (perSnapshot.get(at) ?? 0) + 1);
    },
    result: () => ({ rows, hash: sum.toString(16).padStart(16, '0'), perSnapshot }),
  };
}

/** The first difference between two digests, in words, or null when they are equal. */
export function digestDifference(expected: TableDigest, actual: TableDigest): string | null {
  if (expected.rows !== actual.rows) {
    return `${expected.rows} rows expected, ${actual.rows} found`;
  }
  for (const [at, rows] of expected.perSnapshot) {
    const found = actual.perSnapshot.get(at) ?? 0;
    if (found !== rows) {
      return `snapshot ${new Date(at).toISOString()}: ${rows} rows expected, ${found} found`;
    }
  }
  if (expected.perSnapshot.size !== actual.perSnapshot.size) {
    return `${expected.perSnapshot.size} snapshots expected, ${actual.perSnapshot.size} found`;
  }
  if (expected.hash !== actual.hash) {
    return `content hash ${expected.hash} expected, ${actual.hash} found`;
  }
  return null;
}

function linesOf(path: string, end: number) {
  if (end <= 0) {
    return createInterface({ input: Readable.from([]) });
  }
  const input = createReadStream(path, Number.isFinite(end) ? { end: end - 1 } : {});
  return createInterface({ input: path.endsWith('.gz') ? input.pipe(createGunzip()) : input, crlfDelay: Infinity });
}

/** The header of a stored CSV file (plain or gzip), or [] when it has none. */
export async function csvHeaderOf(path: string): Promise<string[]> {
  const end = path.endsWith('.gz') ? Number.POSITIVE_INFINITY : await completeLinesEnd(path);
  const lines = linesOf(path, end);
  try {
    for await (const line of lines) {
      return parseCsvLine(line);
    }
    return [];
  } finally {
    lines.close();
  }
}

/**
 * Each record of one stored CSV file as the CSV history reads it: by the file's own header, plain files up
 * to their last complete line, rows `readStoredRecord` refuses skipped.
 */
export async function forEachCsvRecord(
  path: string,
  fields: readonly StoredField<never>[],
  visit: (record: AnyRecord) => void,
): Promise<void> {
  const end = path.endsWith('.gz') ? Number.POSITIVE_INFINITY : await completeLinesEnd(path);
  let position: Map<string, number> | null = null;
  let cells: string[] = [];
  const get = (name: string) => {
    const i = position!.get(name);
    return i === undefined ? undefined : cells[i];
  };
  for await (const line of linesOf(path, end)) {
    if (position === null) {
      position = new Map(parseCsvLine(line).map((name, i) => [name, i]));
    } else if (line.length > 0) {
      cells = parseCsvLine(line);
      const record = readStoredRecord(fields, get);
      if (record !== null) {
        visit(record as AnyRecord);
      }
    }
  }
}
