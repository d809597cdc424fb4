import { type FileHandle, open, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const CHUNK_BYTES = 256 * 1024;
const NEWLINE = 0x0a;

export interface TailLine {
  /** The line without its line break, decoded as latin1 so string offsets are byte offsets. */
  readonly text: string;
  /** Byte offset of the line's first byte. */
  readonly start: number;
}

async function readRange(handle: FileHandle, start: number, end: number): Promise<Buffer> {
  const buffer = Buffer.alloc(end - start);
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, start + filled);
    if (bytesRead === 0) {
      break;
    }
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/**
 * Complete lines in [from, to), last first. `to` must sit just after a line break (or equal `from`),
 * which holds once a torn tail has been cut (see `cutTornTail`). Reads backwards in chunks, so walking
 * the last snapshot of a large day file costs only that snapshot's bytes.
 */
export async function* linesBackward(handle: FileHandle, from: number, to: number): AsyncGenerator<TailLine> {
  let pos = to;
  // Bytes [pos, end) read but not yet yielded; when non-empty it ends with the line break of the next line.
  let carry = '';
  // The break before the last line held in `carry` (its own terminator excluded), or -1.
  const breakBefore = () => (carry.length < 2 ? -1 : carry.lastIndexOf('\n', carry.length - 2));
  while (pos > from || carry.length > 0) {
    let nl = breakBefore();
    while (nl === -1 && pos > from) {
      const start = Math.max(from, pos - CHUNK_BYTES);
      carry = (await readRange(handle, start, pos)).toString('latin1') + carry;
      pos = start;
      nl = breakBefore();
    }
    if (carry.length === 0) {
      return;
    }
    const lineStart = nl + 1;
    yield { text: carry.slice(lineStart, carry.length - 1), start: pos + lineStart };
    carry = carry.slice(0, lineStart);
  }
}

/** Offset just after the last line break at or after `from`, or `from` when there is none. */
async function endOfLastLine(handle: FileHandle, from: number, size: number): Promise<number> {
  let pos = size;
  while (pos > from) {
    const start = Math.max(from, pos - CHUNK_BYTES);
    const chunk = await readRange(handle, start, pos);
    const nl = chunk.lastIndexOf(NEWLINE);
    if (nl !== -1) {
      return start + nl + 1;
    }
    pos = start;
  }
  return from;
}

/**
 * A crash or a full disk can leave the last line without its line break. Cuts the file back to its last
 * complete line and appends the fragment to `<file>.torn` beside it (best effort: on a full disk the
 * fragment is only counted). Returns the fragment's length in bytes (0 when the file was whole).
 */
export async function cutTornTail(handle: FileHandle, path: string, from: number): Promise<number> {
  const { size } = await handle.stat();
  if (size <= from) {
    return 0;
  }
  const last = await readRange(handle, size - 1, size);
  if (last[0] === NEWLINE) {
    return 0;
  }
  const keep = await endOfLastLine(handle, from, size);
  const fragment = await readRange(handle, keep, size);
  try {
    const torn = await open(join(dirname(path), `${basename(path)}.torn`), 'a');
    try {
      await torn.write(Buffer.concat([fragment, Buffer.from('\n')]));
      await torn.datasync();
    } finally {
      await torn.close();
    }
  } catch {
    // The fragment is an unacknowledged partial row; losing the copy costs nothing the store promised.
  }
  await handle.truncate(keep);
  await handle.datasync();
  return size - keep;
}

/** Writes all of `data` at `position`, looping over short writes. */
export async function writeFully(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const { bytesWritten } = await handle.write(data, written, data.length - written, position + written);
    if (bytesWritten === 0) {
      throw new Error('write made no progress');
    }
    written += bytesWritten;
  }
}

/** Creates `path` holding `content` atomically (temp file, fsync, rename, directory fsync). */
export async function createFileAtomically(path: string, content: string): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await writeFully(handle, Buffer.from(content), 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  await syncDirectory(dirname(path));
}

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
