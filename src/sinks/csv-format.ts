/** RFC 4180 text for the CSV store: one record per line (values never contain line breaks). */

export type CsvCell = string | number | null;

/** Empty for null and non-finite numbers; quoted only when the text holds a comma or a quote. */
export function toCsvField(value: CsvCell): string {
  if (value === null) {
    return '';
  }
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsvLine(cells: readonly CsvCell[]): string {
  return `${cells.map(toCsvField).join(',')}\n`;
}

/** Splits one record (without its line break) into raw field texts, undoing RFC 4180 quoting. */
export function parseCsvLine(line: string): string[] {
  if (!line.includes('"')) {
    return line.split(',');
  }
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let text = '';
      i += 1;
      while (i < line.length) {
        const quote = line.indexOf('"', i);
        if (quote === -1) {
          text += line.slice(i);
          i = line.length;
          break;
        }
        text += line.slice(i, quote);
        if (line[quote + 1] === '"') {
          text += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      fields.push(text);
      // Skip to the separator after the closing quote.
      const comma = line.indexOf(',', i);
      i = comma === -1 ? line.length + 1 : comma + 1;
    } else {
      const comma = line.indexOf(',', i);
      const end = comma === -1 ? line.length : comma;
      fields.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return fields;
}
