import { parseExpiryTags } from '../domain/expiry-tags.ts';
import { INDEX_SYMBOLS } from '../domain/indices.ts';
import type { FieldKind, StoredField, StoredRecord } from '../domain/stored-fields.ts';

const INDEX_SET: ReadonlySet<string> = new Set(INDEX_SYMBOLS);

/** A stored cell's text as its field's value, or undefined when it is empty or not of the field's kind. */
function parseCell(kind: FieldKind, text: string | undefined): unknown {
  if (text === undefined || text === '') {
    return undefined;
  }
  switch (kind) {
    case 'instant': {
      const instant = new Date(text);
      return Number.isNaN(instant.getTime()) ? undefined : instant;
    }
    case 'index':
      return INDEX_SET.has(text) ? text : undefined;
    case 'right':
      return text === 'CE' || text === 'PE' ? text : undefined;
    case 'date':
    case 'text':
      return text;
    case 'tags':
      return parseExpiryTags(text);
    default: {
      const value = Number(text);
      return Number.isFinite(value) ? value : undefined;
    }
  }
}

const zeroOf = (kind: FieldKind) => (kind === 'tags' ? [] : kind === 'date' || kind === 'text' ? '' : 0);

/**
 * Reads one stored row by its file's own header (`get` looks a column up by name, undefined when the file
 * has no such column): null when a required field is missing or unreadable.
 */
export function readStoredRecord<Fields extends readonly StoredField<never>[]>(
  fields: Fields,
  get: (column: string) => string | undefined,
): StoredRecord<Fields> | null {
  const record: Record<string, unknown> = {};
  for (const f of fields) {
    let value = parseCell(f.kind, get(f.column));
    if (value === undefined) {
      if (f.missing === 'required') {
        return null;
      }
      value = f.missing === 'zero' ? zeroOf(f.kind) : null;
    }
    record[f.key] = value;
  }
  return record as StoredRecord<Fields>;
}
