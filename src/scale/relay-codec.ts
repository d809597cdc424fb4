import { Packr } from 'msgpackr';
import type { IndexCollectionStatus } from '../collectors/collection-loop.ts';
import type { IndexSymbol } from '../domain/indices.ts';
import type { IndexSnapshot } from '../domain/snapshot.ts';
import type { ProviderHealth } from '../providers/market-data-provider.ts';

/**
 * What a collector says about itself beside its snapshots: API replicas serve it as their own collector
 * and provider state (freshness, `stale`, `/ready`).
 */
export interface CollectorStatus {
  /** The collector process (its lease token): a change means another collector took over. */
  readonly collectorId: string;
  readonly provider: ProviderHealth;
  readonly collectors: readonly IndexCollectionStatus[];
  readonly indices: readonly IndexSymbol[];
  readonly sentAt: Date;
}

export type RelayMessage =
  | { readonly kind: 'snapshot'; readonly snapshot: IndexSnapshot }
  | { readonly kind: 'status'; readonly status: CollectorStatus };

/**
 * The relay's wire format: 'G6' then a format version byte and a kind byte, then MessagePack. The version
 * moves whenever a stored field changes shape, so a replica never misreads a newer collector's payload:
 * it refuses it with UnsupportedRelayFormatError (and says to upgrade) instead.
 */
export const RELAY_FORMAT_VERSION = 1;
const MAGIC_0 = 0x47; // G
const MAGIC_1 = 0x36; // 6
const KIND_SNAPSHOT = 1;
const KIND_STATUS = 2;
const HEADER_BYTES = 4;

export class UnsupportedRelayFormatError extends Error {
  readonly formatVersion: number | null;

  constructor(formatVersion: number | null, detail: string) {
    super(
      formatVersion === null
        ? `relay payload is not G6's (${detail})`
        : `relay payload has format version ${formatVersion}; this G6 reads version ${RELAY_FORMAT_VERSION} (${detail}): ` +
            'run collector and API replicas of the same release (upgrade replicas first when the format grows)',
    );
    this.name = 'UnsupportedRelayFormatError';
    this.formatVersion = formatVersion;
  }
}

// Dates travel as MessagePack timestamps and come back as Dates; numbers keep float64 (no float32
// rounding of prices or Greeks); records are off so each payload is self-describing.
const packr = new Packr({ useRecords: false, moreTypes: false, int64AsType: 'number' });

export function encodeRelayMessage(message: RelayMessage): Buffer {
  const body = packr.pack(message.kind === 'snapshot' ? message.snapshot : message.status);
  const out = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  out[0] = MAGIC_0;
  out[1] = MAGIC_1;
  out[2] = RELAY_FORMAT_VERSION;
  out[3] = message.kind === 'snapshot' ? KIND_SNAPSHOT : KIND_STATUS;
  body.copy(out, HEADER_BYTES);
  return out;
}

export function decodeRelayMessage(bytes: Buffer): RelayMessage {
  if (bytes.length < HEADER_BYTES || bytes[0] !== MAGIC_0 || bytes[1] !== MAGIC_1) {
    throw new UnsupportedRelayFormatError(null, `${bytes.length} bytes without the G6 header`);
  }
  const version = bytes[2] as number;
  if (version !== RELAY_FORMAT_VERSION) {
    throw new UnsupportedRelayFormatError(version, `kind ${bytes[3]}`);
  }
  const body = packr.unpack(bytes.subarray(HEADER_BYTES)) as unknown;
  if (bytes[3] === KIND_SNAPSHOT) {
    return { kind: 'snapshot', snapshot: body as IndexSnapshot };
  }
  if (bytes[3] === KIND_STATUS) {
    return { kind: 'status', status: body as CollectorStatus };
  }
  throw new UnsupportedRelayFormatError(version, `unknown kind ${bytes[3]}`);
}
