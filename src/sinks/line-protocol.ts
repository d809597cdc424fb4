import type { IndexSnapshot } from '../domain/snapshot.ts';
import {
  type ContractRowSource,
  OPTIONS_FIELDS,
  OVERVIEW_FIELDS,
  type OverviewRowSource,
  type StoredCell,
  type StoredField,
} from '../domain/stored-fields.ts';

/**
 * InfluxDB line protocol for a snapshot, in the G6.1 layout so its Grafana queries keep working:
 * `options` (tags index, expiry, strike, option_type) and `market_overview` (tags index, expiry).
 * Timestamps are the snapshot's own time in milliseconds, never the write time, so resending a
 * snapshot overwrites the same points instead of adding new ones.
 */

const escapeKey = (text: string) => text.replace(/[,= \\]/g, (c) => `\\${c}`);
const escapeMeasurement = (text: string) => text.replace(/[, \\]/g, (c) => `\\${c}`);

interface InfluxLayout<Source> {
  /** Tags in key order: Influx sorts them anyway, and sorted input is its fast path. */
  readonly tags: ReadonlyArray<{ readonly key: string; readonly value: (source: Source) => StoredCell }>;
  /** Escaped `key=` prefixes and whether the field is written as an integer. */
  readonly fields: ReadonlyArray<{
    readonly prefix: string;
    readonly integer: boolean;
    readonly value: (source: Source) => StoredCell;
  }>;
}

/** The stored fields that go to Influx: counts as integers (`12i`), so a field's type never changes. */
function layoutOf<Source>(fields: readonly StoredField<Source>[]): InfluxLayout<Source> {
  const tags: Array<InfluxLayout<Source>['tags'][number]> = [];
  const values: Array<InfluxLayout<Source>['fields'][number]> = [];
  for (const f of fields) {
    if (f.influx === undefined) {
      continue;
    }
    if (typeof f.influx === 'string') {
      values.push({
        prefix: `${escapeKey(f.influx)}=`,
        integer: f.kind === 'count' || f.kind === 'integer',
        value: f.value,
      });
    } else {
      tags.push({ key: escapeKey(f.influx.tag), value: f.influx.value ?? f.value });
    }
  }
  tags.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { tags, fields: values };
}

const OPTIONS_LAYOUT = layoutOf<ContractRowSource>(OPTIONS_FIELDS);
const OVERVIEW_LAYOUT = layoutOf<OverviewRowSource>(OVERVIEW_FIELDS);

/** One point, or null when it has not a single finite field (or a tag is empty). */
function pointOf<Source>(measurement: string, layout: InfluxLayout<Source>, source: Source, timestampMs: number) {
  const parts: string[] = [];
  for (const f of layout.fields) {
    const value = f.value(source);
    if (typeof value !== 'number') {
      continue;
    }
    if (f.integer ? Number.isSafeInteger(value) : Number.isFinite(value)) {
      parts.push(f.integer ? `${f.prefix}${value}i` : `${f.prefix}${value}`);
    }
  }
  if (parts.length === 0) {
    return null;
  }
  let tagText = '';
  for (const tag of layout.tags) {
    const value = tag.value(source);
    if (value === null || value === '') {
      continue;
    }
    tagText += `,${tag.key}=${escapeKey(String(value))}`;
  }
  return `${escapeMeasurement(measurement)}${tagText} ${parts.join(',')} ${timestampMs}`;
}

/** Every point of the snapshot, one line each; lines without a single finite field are left out. */
export function snapshotToLineProtocol(snapshot: IndexSnapshot): string[] {
  const timestampMs = snapshot.observedAt.getTime();
  const timestamp = snapshot.observedAt.toISOString();
  const lines: string[] = [];
  for (const chain of snapshot.chains) {
    const overview = pointOf('market_overview', OVERVIEW_LAYOUT, { timestamp, seq: snapshot.seq, chain }, timestampMs);
    if (overview !== null) {
      lines.push(overview);
    }
    for (const row of chain.strikes) {
      for (const [right, contract] of [['CE', row.call] as const, ['PE', row.put] as const]) {
        if (contract === null) {
          continue;
        }
        const point = pointOf('options', OPTIONS_LAYOUT, { timestamp, chain, row, right, contract }, timestampMs);
        if (point !== null) {
          lines.push(point);
        }
      }
    }
  }
  return lines;
}
