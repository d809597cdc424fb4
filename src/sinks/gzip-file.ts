import { createReadStream, createWriteStream } from 'node:fs';
import { open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { syncDirectory } from './file-tail.ts';

/**
 * Replaces `dir/name.csv` with `dir/name.csv.gz` (or `name.N.csv.gz` when that exists: a day reopened
 * by a late write). The original is removed only after the archive is synced and renamed into place,
 * so a crash leaves one complete copy or the other, never neither.
 */
export async function gzipCsvFile(path: string): Promise<string> {
  const dir = dirname(path);
  const stem = basename(path, '.csv');
  const names = new Set(await readdir(dir));
  let target = `${stem}.csv.gz`;
  for (let n = 2; names.has(target); n++) {
    target = `${stem}.${n}.csv.gz`;
  }
  const temp = join(dir, `${target}.tmp`);
  await pipeline(createReadStream(path), createGzip({ level: 6 }), createWriteStream(temp));
  const handle = await open(temp, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, join(dir, target));
  await syncDirectory(dir);
  await unlink(path);
  await syncDirectory(dir);
  return join(dir, target);
}
