/**
 * One DuckDB instance per process for the Parquet store (compaction and history reads), opened on first
 * use: importing this module loads no native code. Queries take a connection from a small pool, since a
 * DuckDB connection runs one statement at a time.
 */
import { tmpdir } from 'node:os';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

export interface ParquetEngineOptions {
  /** DuckDB worker threads per query (default 2, this deployment's core count). */
  readonly threads?: number;
  /**
   * DuckDB's memory ceiling (default '1GB'). Compacting a NIFTY day (≈640,000 rows) sorts ≈250 MB in
   * memory; above the ceiling DuckDB spills to `tempDirectory`.
   */
  readonly memoryLimit?: string;
  /** Where DuckDB spills (default the OS temp directory). */
  readonly tempDirectory?: string;
  /** Statements that may run at once (default 2). */
  readonly connections?: number;
}

export interface ParquetEngine {
  /** Runs `use` on a connection of its own; waits while every connection is busy. */
  withConnection<T>(use: (connection: DuckDBConnection) => Promise<T>): Promise<T>;
  /** Waits for running statements, then closes the connections and the instance. */
  close(): Promise<void>;
}

export function createParquetEngine(options: ParquetEngineOptions = {}): ParquetEngine {
  const maxConnections = Math.max(1, options.connections ?? 2);
  let instance: Promise<DuckDBInstance> | null = null;
  const idle: DuckDBConnection[] = [];
  const all: DuckDBConnection[] = [];
  const waiting: Array<(connection: DuckDBConnection) => void> = [];
  const running = new Set<Promise<unknown>>();
  let opening = 0;
  let closed = false;

  const open = (): Promise<DuckDBInstance> => {
    instance ??= import('@duckdb/node-api').then(({ DuckDBInstance }) =>
      DuckDBInstance.create(':memory:', {
        threads: String(options.threads ?? 2),
        memory_limit: options.memoryLimit ?? '1GB',
        temp_directory: options.tempDirectory ?? tmpdir(),
        // Everything needed (parquet, icu) is built in; never reach for the network.
        autoinstall_known_extensions: 'false',
        autoload_known_extensions: 'false',
      }),
    );
    return instance;
  };

  async function acquire(): Promise<DuckDBConnection> {
    const free = idle.pop();
    if (free !== undefined) {
      return free;
    }
    if (all.length + opening < maxConnections) {
      opening += 1;
      try {
        const connection = await (await open()).connect();
        // Instants are stored UTC-adjusted; a session zone would only matter to casts from text.
        await connection.run("SET TimeZone = 'UTC'");
        // Files are replaced by rename, never rewritten in place, so cached footers stay valid.
        await connection.run('SET parquet_metadata_cache = true');
        all.push(connection);
        return connection;
      } finally {
        opening -= 1;
      }
    }
    return new Promise((resolve) => waiting.push(resolve));
  }

  function release(connection: DuckDBConnection): void {
    const next = waiting.shift();
    if (next === undefined) {
      idle.push(connection);
    } else {
      next(connection);
    }
  }

  return {
    async withConnection(use) {
      if (closed) {
        throw new Error('parquet engine is closed');
      }
      const task = (async () => {
        const connection = await acquire();
        try {
          return await use(connection);
        } finally {
          release(connection);
        }
      })();
      running.add(task);
      try {
        return await task;
      } finally {
        running.delete(task);
      }
    },
    async close() {
      closed = true;
      await Promise.allSettled([...running]);
      for (const connection of all) {
        connection.closeSync();
      }
      all.length = 0;
      idle.length = 0;
      if (instance !== null) {
        (await instance).closeSync();
        instance = null;
      }
    },
  };
}
