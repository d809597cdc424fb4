import { existsSync } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { createFileAtomically, writeFully } from './file-tail.ts';

/**
 * A durable queue of line-protocol records on disk, between the collector and the database. A record is
 * one snapshot's lines behind a header `#g6 <bytes> <crc32>`; `append` resolves after `fdatasync`
 * (concurrent appends share one write and one sync). The sender reads from an acknowledged position
 * kept in `cursor.json` (replaced atomically), so a restart or crash resends at most the batch that was
 * in flight — harmless, since a point is identified by its timestamp and tags.
 */
export interface LineSpool {
  open(): Promise<SpoolRecovery>;
  append(lines: readonly string[]): Promise<void>;
  /** Up to `maxLines` lines from the acknowledged position on (whole records), or null when empty. */
  read(maxLines: number): Promise<SpoolBatch | null>;
  /** Marks everything up to the end of `batch` as delivered. */
  ack(batch: SpoolBatch): Promise<void>;
  /** Bytes of records not yet acknowledged. */
  pendingBytes(): number;
  pendingRecords(): number;
  close(): Promise<void>;
}

export interface SpoolBatch {
  readonly lines: readonly string[];
  readonly records: number;
  readonly segment: number;
  readonly endOffset: number;
}

export interface SpoolRecovery {
  readonly pendingBytes: number;
  readonly pendingRecords: number;
  /** Bytes of a record torn by a crash at the end of the last segment, cut off. */
  readonly tornBytes: number;
}

export class SpoolFullError extends Error {
  constructor(pendingBytes: number, maxBytes: number) {
    super(`spool full: ${pendingBytes} of ${maxBytes} bytes held (G6_SPOOL_MAX_BYTES); record refused`);
    this.name = 'SpoolFullError';
  }
}

export interface LineSpoolOptions {
  readonly dir: string;
  readonly maxBytes: number;
  /** A new segment is started once the active one reaches this size. */
  readonly segmentBytes?: number;
  /** Called with the bytes of records that failed their checksum and were skipped. */
  readonly onCorrupt?: (bytes: number) => void;
}

const HEADER = /^#g6 (\d+) ([0-9a-f]{8})$/;
const MAX_HEADER_BYTES = 32;
const segmentName = (n: number) => `${String(n).padStart(10, '0')}.lp`;

interface Segment {
  readonly n: number;
  size: number;
  records: number;
}

function encodeRecord(lines: readonly string[]): Buffer {
  const payload = Buffer.from(`${lines.join('\n')}\n`);
  const header = Buffer.from(`#g6 ${payload.length} ${crc32(payload).toString(16).padStart(8, '0')}\n`);
  return Buffer.concat([header, payload]);
}

interface ParsedRecord {
  readonly end: number;
  readonly payload: Buffer | null;
}

/** The record at `offset` of `buffer`; null when it runs past the buffer, payload null when corrupt. */
function parseRecord(buffer: Buffer, offset: number): ParsedRecord | null {
  const nl = buffer.indexOf(0x0a, offset);
  if (nl === -1 || nl - offset > MAX_HEADER_BYTES) {
    return nl === -1 && buffer.length - offset <= MAX_HEADER_BYTES ? null : { end: -1, payload: null };
  }
  const match = HEADER.exec(buffer.toString('latin1', offset, nl));
  if (match === null) {
    return { end: -1, payload: null };
  }
  const length = Number(match[1]);
  const end = nl + 1 + length;
  if (end > buffer.length) {
    return null;
  }
  const payload = buffer.subarray(nl + 1, end);
  return crc32(payload).toString(16).padStart(8, '0') === match[2] ? { end, payload } : { end, payload: null };
}

export function createLineSpool(options: LineSpoolOptions): LineSpool {
  const segmentBytes = options.segmentBytes ?? 8 * 1024 * 1024;
  const cursorPath = join(options.dir, 'cursor.json');
  let segments: Segment[] = [];
  let cursor = { segment: 0, offset: 0, records: 0 };
  let active: FileHandle | null = null;
  let queue: Array<{ data: Buffer; resolve: () => void; reject: (e: Error) => void }> = [];
  let flushing: Promise<void> | null = null;

  const pendingBytes = () =>
    segments.reduce(
      (sum, s) => sum + (s.n === cursor.segment ? s.size - cursor.offset : s.n > cursor.segment ? s.size : 0),
      0,
    ) + queue.reduce((sum, q) => sum + q.data.length, 0);
  const pendingRecords = () =>
    segments.reduce(
      (sum, s) => sum + (s.n === cursor.segment ? s.records - cursor.records : s.n > cursor.segment ? s.records : 0),
      0,
    );

  async function roll(): Promise<void> {
    await active?.close();
    const n = (segments.at(-1)?.n ?? 0) + 1;
    active = await open(join(options.dir, segmentName(n)), 'a+');
    segments.push({ n, size: 0, records: 0 });
  }

  async function flushQueue(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      const data = Buffer.concat(batch.map((b) => b.data));
      let last = segments.at(-1);
      try {
        if (active === null || last === undefined || last.size >= segmentBytes) {
          await roll();
          last = segments.at(-1)!;
        }
        const before = last.size;
        try {
          await writeFully(active!, data, before);
          await active!.datasync();
        } catch (error) {
          // Leave the segment ending on a whole record (a full disk may have taken part of the write).
          await active!.truncate(before).catch(() => undefined);
          throw error;
        }
        last.size += data.length;
        last.records += batch.length;
        for (const b of batch) {
          b.resolve();
        }
      } catch (error) {
        for (const b of batch) {
          b.reject(error as Error);
        }
      }
    }
    flushing = null;
  }

  async function saveCursor(): Promise<void> {
    await createFileAtomically(cursorPath, JSON.stringify({ segment: cursor.segment, offset: cursor.offset }));
  }

  /** Counts the records of a segment file, cutting a torn tail when `repair` is set. */
  async function scan(n: number, repair: boolean): Promise<{ size: number; records: number; torn: number }> {
    const path = join(options.dir, segmentName(n));
    const buffer = await readFile(path);
    let offset = 0;
    let records = 0;
    while (offset < buffer.length) {
      // Incomplete (null) or unreadable header: the tail a crash left. A complete record with a bad
      // checksum is kept in place and skipped (and reported) when read.
      const record = parseRecord(buffer, offset);
      if (record === null || record.end === -1) {
        break;
      }
      offset = record.end;
      records += 1;
    }
    const torn = buffer.length - offset;
    if (torn > 0 && repair) {
      const handle = await open(path, 'r+');
      try {
        await handle.truncate(offset);
        await handle.datasync();
      } finally {
        await handle.close();
      }
    }
    return { size: repair ? offset : buffer.length, records, torn };
  }

  return {
    async open() {
      await mkdir(options.dir, { recursive: true });
      if (existsSync(cursorPath)) {
        const saved = JSON.parse(await readFile(cursorPath, 'utf8')) as { segment: number; offset: number };
        cursor = { segment: saved.segment, offset: saved.offset, records: 0 };
      }
      const numbers = (await readdir(options.dir))
        .filter((name) => /^\d{10}\.lp$/.test(name))
        .map((name) => Number(name.slice(0, 10)))
        .sort((a, b) => a - b);
      let tornBytes = 0;
      segments = [];
      for (const n of numbers) {
        if (n < cursor.segment) {
          await unlink(join(options.dir, segmentName(n)));
          continue;
        }
        const isLast = n === numbers.at(-1);
        const scanned = await scan(n, isLast);
        tornBytes += isLast ? scanned.torn : 0;
        segments.push({ n, size: scanned.size, records: scanned.records });
      }
      if (segments.length > 0 && cursor.segment < segments[0]!.n) {
        cursor = { segment: segments[0]!.n, offset: 0, records: 0 };
      }
      // Records before the cursor within its segment.
      const first = segments.find((s) => s.n === cursor.segment);
      if (first !== undefined && cursor.offset > 0) {
        const buffer = (await readFile(join(options.dir, segmentName(first.n)))).subarray(0, cursor.offset);
        let offset = 0;
        while (offset < buffer.length) {
          const record = parseRecord(buffer, offset);
          if (record === null || record.end === -1) {
            break;
          }
          offset = record.end;
          cursor.records += 1;
        }
      }
      const last = segments.at(-1);
      if (last !== undefined) {
        active = await open(join(options.dir, segmentName(last.n)), 'r+');
      }
      return { pendingBytes: pendingBytes(), pendingRecords: pendingRecords(), tornBytes };
    },

    append(lines) {
      const data = encodeRecord(lines);
      const held = pendingBytes();
      if (held + data.length > options.maxBytes) {
        return Promise.reject(new SpoolFullError(held, options.maxBytes));
      }
      return new Promise<void>((resolve, reject) => {
        queue.push({ data, resolve, reject });
        flushing ??= flushQueue();
      });
    },

    async read(maxLines) {
      // Finished segments are dropped as the cursor leaves them.
      for (;;) {
        const segment = segments.find((s) => s.n === cursor.segment) ?? segments.find((s) => s.n > cursor.segment);
        if (segment === undefined) {
          return null;
        }
        if (segment.n !== cursor.segment) {
          cursor = { segment: segment.n, offset: 0, records: 0 };
        }
        if (cursor.offset < segment.size) {
          break;
        }
        const next = segments.find((s) => s.n > segment.n);
        if (next === undefined) {
          return null;
        }
        cursor = { segment: next.n, offset: 0, records: 0 };
        await saveCursor();
        segments = segments.filter((s) => s.n !== segment.n);
        await unlink(join(options.dir, segmentName(segment.n))).catch(() => undefined);
      }
      const segment = segments.find((s) => s.n === cursor.segment)!;
      const handle = await open(join(options.dir, segmentName(segment.n)), 'r');
      try {
        const lines: string[] = [];
        let records = 0;
        let offset = cursor.offset;
        let chunkBytes = 1024 * 1024;
        while (offset < segment.size && lines.length < maxLines) {
          const length = Math.min(chunkBytes, segment.size - offset);
          const buffer = Buffer.alloc(length);
          await handle.read(buffer, 0, length, offset);
          let at = 0;
          let progressed = false;
          while (at < buffer.length && lines.length < maxLines) {
            const record = parseRecord(buffer, at);
            if (record === null) {
              break;
            }
            if (record.end === -1) {
              // An unreadable header inside an acknowledged-length segment: skip the rest of it.
              options.onCorrupt?.(segment.size - (offset + at));
              at = segment.size - offset;
              progressed = true;
              break;
            }
            if (record.payload === null) {
              options.onCorrupt?.(record.end - at);
            } else {
              const text = record.payload.toString('utf8');
              for (const l of text.split('\n')) {
                if (l.length > 0) {
                  lines.push(l);
                }
              }
            }
            records += 1;
            at = record.end;
            progressed = true;
          }
          offset += at;
          if (!progressed) {
            // One record larger than the chunk: read more at once.
            chunkBytes *= 2;
          }
        }
        return { lines, records, segment: segment.n, endOffset: offset };
      } finally {
        await handle.close();
      }
    },

    async ack(batch) {
      cursor = { segment: batch.segment, offset: batch.endOffset, records: cursor.records + batch.records };
      await saveCursor();
    },

    pendingBytes,
    pendingRecords,

    async close() {
      await flushing;
      await active?.close();
      active = null;
    },
  };
}
