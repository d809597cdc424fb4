import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { IndexSymbol } from '../domain/indices.ts';
import { toIstCompactDate } from '../domain/ist-time.ts';
import type { IndexSnapshot } from '../domain/snapshot.ts';
import { OPTIONS_CSV_COLUMNS, OVERVIEW_CSV_COLUMNS, toCsvLine, toOptionsCsv, toOverviewCsv } from './csv-rows.ts';
import type { SnapshotSink } from './snapshot-sink.ts';

export interface CsvSinkOptions {
  /** Files go to `<dataDir>/csv/<INDEX>/<YYYYMMDD>/` (IST date of the snapshot). */
  readonly dataDir: string;
  /** Called with the number of rows each write appended. */
  readonly onRowsWritten?: (file: 'options' | 'overview', rows: number) => void;
}

interface OpenDay {
  readonly day: string;
  readonly options: FileHandle;
  readonly overview: FileHandle;
}

async function openAppend(path: string, header: string): Promise<FileHandle> {
  const handle = await open(path, 'a');
  const { size } = await handle.stat();
  if (size === 0) {
    await handle.write(header);
  }
  return handle;
}

/**
 * Appends every snapshot to per-day CSV files, the header once per file. Each file gets one write per
 * snapshot followed by `datasync`, so a resolved `write` means the rows are on disk. Writes are serialised
 * per index so rows of two snapshots never interleave.
 */
export function createCsvSink(options: CsvSinkOptions): SnapshotSink {
  const days = new Map<IndexSymbol, OpenDay>();
  const queues = new Map<IndexSymbol, Promise<void>>();

  async function dayFiles(index: IndexSymbol, day: string): Promise<OpenDay> {
    const current = days.get(index);
    if (current?.day === day) {
      return current;
    }
    if (current !== undefined) {
      days.delete(index);
      await Promise.all([current.options.close(), current.overview.close()]);
    }
    const dir = join(options.dataDir, 'csv', index, day);
    await mkdir(dir, { recursive: true });
    const [optionsFile, overviewFile] = await Promise.all([
      openAppend(join(dir, 'options.csv'), toCsvLine(OPTIONS_CSV_COLUMNS)),
      openAppend(join(dir, 'overview.csv'), toCsvLine(OVERVIEW_CSV_COLUMNS)),
    ]);
    const opened = { day, options: optionsFile, overview: overviewFile };
    days.set(index, opened);
    return opened;
  }

  async function append(snapshot: IndexSnapshot): Promise<void> {
    const files = await dayFiles(snapshot.index, toIstCompactDate(snapshot.observedAt));
    const optionsText = toOptionsCsv(snapshot);
    const overviewText = toOverviewCsv(snapshot);
    await Promise.all([files.options.write(optionsText), files.overview.write(overviewText)]);
    await Promise.all([files.options.datasync(), files.overview.datasync()]);
    options.onRowsWritten?.(
      'options',
      snapshot.chains.reduce((n, c) => n + c.summary.contractCount, 0),
    );
    options.onRowsWritten?.('overview', snapshot.chains.length);
  }

  return {
    name: 'csv',
    write(snapshot) {
      const previous = queues.get(snapshot.index) ?? Promise.resolve();
      const next = previous.catch(() => undefined).then(() => append(snapshot));
      queues.set(snapshot.index, next);
      return next;
    },
    async close() {
      await Promise.allSettled(queues.values());
      const open = [...days.values()];
      days.clear();
      await Promise.all(open.flatMap((d) => [d.options.close(), d.overview.close()]));
    },
  };
}
