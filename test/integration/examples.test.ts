import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { buildSchema, parse, print, validate } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAIN_QUERY, OVERVIEW_UPDATED } from '../../examples/typescript/documents.ts';
import { readPluginConfig, renderGraphqlEnv } from '../../examples/typescript/generate-graphql-env.ts';
import { generateApiKey } from '../../src/server/api-keys.ts';
import { TEST_RUN_VARIABLE } from '../helpers/leftovers.ts';
import { type Finished, runToEnd } from '../helpers/run-to-end.ts';

/**
 * The clients users copy (examples/), run as a user would against the built server on the simulated
 * market with API keys required: the TypeScript example type-checked and executed with tsx, the Python
 * notebook executed headless by Debian's nbconvert (scripts/ensure-test-services.sh installs it).
 */

const ROOT = resolve(import.meta.dirname, '../..');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs');
// Debian's, which imports Debian's pandas and websockets; a pyenv or venv python3 earlier on PATH would not.
const JUPYTER = '/usr/bin/jupyter';
const NOTEBOOK = join(ROOT, 'examples/python/quickstart.ipynb');

const full = generateApiKey('examples', ['read', 'subscribe']);
const reader = generateApiKey('reader', ['read']);

/** Runs a program to its end; a program that outlasts `timeoutMs` fails the test. */
async function run(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; timeoutMs: number },
): Promise<Finished> {
  const { finished: done } = runToEnd(command, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', [TEST_RUN_VARIABLE]: process.env[TEST_RUN_VARIABLE] ?? '', ...options.env },
    timeoutMs: options.timeoutMs,
  });
  const finished = await done;
  if (finished.signal === 'SIGKILL') {
    throw new Error(
      `${command} ${args.join(' ')} took over ${options.timeoutMs} ms:\n${finished.stdout}\n${finished.stderr}`,
    );
  }
  return finished;
}

interface Server {
  child: ChildProcess;
  /** The GraphQL URL, once the server is ready and has collected NIFTY once. */
  ready: Promise<string>;
  exited: Promise<number | null>;
}

/** `node dist/main.js --mock` on a free port, with the two keys required. */
function startServer(): Server {
  const child = spawn(process.execPath, ['dist/main.js', '--mock', '--port', '0'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      TZ: 'UTC',
      [TEST_RUN_VARIABLE]: process.env[TEST_RUN_VARIABLE] ?? '',
      G6_HOST: '127.0.0.1',
      G6_INDICES: 'NIFTY',
      G6_ENABLE_CSV: 'false',
      G6_COLLECTION_INTERVAL: '0.3',
      G6_LOG_FORMAT: 'json',
      // The `collected` line is logged at debug.
      G6_LOG_LEVEL: 'debug',
      G6_API_KEYS: `${full.entry},${reader.entry}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const ready = new Promise<string>((resolvePromise, reject) => {
    let url: string | undefined;
    let collected = false;
    createInterface({ input: child.stdout! }).on('line', (text) => {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return;
      }
      if (typeof line.msg === 'string' && line.msg.startsWith('G6 server ready')) {
        url = line.url as string;
      }
      if (line.msg === 'collected' && line.index === 'NIFTY') {
        collected = true;
      }
      if (url !== undefined && collected) {
        resolvePromise(url);
      }
    });
    void exited.then((code) => reject(new Error(`g6 exited (${code}) before it was ready: ${stderr}`)));
  });
  return { child, ready, exited };
}

const scratch = mkdtempSync(join(tmpdir(), 'g6-examples-'));
let server: Server | undefined;
let url: string;

beforeAll(async () => {
  server = startServer();
  url = await server.ready;
});

afterAll(async () => {
  const { child, exited } = server ?? {};
  if (child !== undefined && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(scratch, { recursive: true, force: true });
});

describe('examples/typescript', () => {
  it('has graphql-env.d.ts generated from the committed schema.graphql', async () => {
    const { schemaPath, outputPath } = await readPluginConfig();
    expect(schemaPath).toBe(join(ROOT, 'schema.graphql'));
    expect(readFileSync(outputPath, 'utf8')).toBe(await renderGraphqlEnv(schemaPath));
  });

  it('sends only documents valid against schema.graphql', () => {
    const schema = buildSchema(readFileSync(join(ROOT, 'schema.graphql'), 'utf8'));
    for (const document of [CHAIN_QUERY, OVERVIEW_UPDATED]) {
      expect(validate(schema, parse(print(document))).map((e) => e.message)).toEqual([]);
    }
  });

  it('type-checks strictly, with result types inferred from the schema', async () => {
    const clean = await run(process.execPath, [TSC, '-p', 'examples/typescript'], { timeoutMs: 60_000 });
    expect(clean.stdout + clean.stderr).toBe('');
    expect(clean.code).toBe(0);

    // A nullable field used as a number must fail: the inference is live, not `any`.
    // .mts: an ES module without a package.json that says so.
    const misuse = join(scratch, 'misuse.mts');
    writeFileSync(
      misuse,
      [
        `import type { ResultOf } from '${join(ROOT, 'examples/typescript/graphql.ts')}';`,
        `import type { CHAIN_QUERY } from '${join(ROOT, 'examples/typescript/documents.ts')}';`,
        'declare const chain: NonNullable<ResultOf<typeof CHAIN_QUERY>["optionChain"]>;',
        'export const iv: number = chain.strikes[0]!.call!.iv;',
        'export const spot: number = chain.spot;',
        '',
      ].join('\n'),
    );
    const tsconfig = join(scratch, 'tsconfig.json');
    writeFileSync(
      tsconfig,
      JSON.stringify({
        extends: join(ROOT, 'examples/typescript/tsconfig.json'),
        // `types` resolve from the tsconfig's folder, which is not the repository here.
        compilerOptions: { typeRoots: [join(ROOT, 'node_modules/@types')] },
        include: [misuse],
      }),
    );
    const failed = await run(process.execPath, [TSC, '-p', tsconfig], { timeoutMs: 60_000 });
    expect(failed.code).not.toBe(0);
    const errors = failed.stdout.split('\n').filter((line) => line.includes('error TS'));
    expect(errors).toEqual([
      expect.stringMatching(
        /misuse\.mts\(4,14\): error TS2322: Type 'number \| null' is not assignable to type 'number'\.$/,
      ),
    ]);
  }, 120_000);

  it('prints the nearest NIFTY chain and overview updates with rising seq, then exits', async () => {
    const done = await run(
      process.execPath,
      [TSX, 'examples/typescript/quickstart.ts', '--url', url, '--strikes', '4', '--updates', '4'],
      { env: { G6_API_KEY: full.key }, timeoutMs: 60_000 },
    );
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    const lines = done.stdout.trimEnd().split('\n');

    const header = /^NIFTY (\d{4}-\d{2}-\d{2}) at (\S+): spot ([\d.]+), ATM (\d+), (\d+) strikes$/.exec(lines[0]!);
    expect(header, lines[0]).not.toBeNull();
    const [, expiry, timestamp, spot, atm, count] = header!;
    expect(new Date(expiry!).getTime()).toBeGreaterThanOrEqual(new Date(timestamp!.slice(0, 10)).getTime());
    expect(Number(count)).toBe(9);
    // ATM is the strike nearest the parity forward, not the spot: within two 50-point steps of it.
    expect(Math.abs(Number(spot) - Number(atm))).toBeLessThan(100);

    const number = String.raw`(-?\d+\.\d+|-)`;
    const rowPattern = new RegExp(
      String.raw`^\s+(\d+) \|\s+${number}\s+${number}%\s+${number} \|\s+${number}\s+${number}%\s+${number}$`,
    );
    const rows = lines.slice(2, 11).map((line) => {
      const m = rowPattern.exec(line);
      expect(m, line).not.toBeNull();
      return m!.slice(1).map(Number);
    });
    const strikes = rows.map((r) => r[0]!);
    expect(strikes[4]).toBe(Number(atm));
    expect(strikes.slice(1).map((s, i) => s - strikes[i]!)).toEqual(Array(8).fill(50));
    for (const [, callLast, callIv, callDelta, putLast, putIv, putDelta] of rows) {
      expect(callLast).toBeGreaterThan(0);
      expect(putLast).toBeGreaterThan(0);
      expect(callIv).toBeGreaterThan(1);
      expect(callIv).toBeLessThan(100);
      expect(putIv).toBeGreaterThan(1);
      expect(callDelta).toBeGreaterThan(0);
      expect(callDelta).toBeLessThan(1);
      expect(putDelta).toBeLessThan(0);
      expect(putDelta).toBeGreaterThan(-1);
    }
    // Up the strikes calls lose value and delta, puts gain value.
    const descending = (values: number[]) => [...values].sort((a, b) => b - a);
    expect(rows.map((r) => r[1]!)).toEqual(descending(rows.map((r) => r[1]!)));
    expect(rows.map((r) => r[3]!)).toEqual(descending(rows.map((r) => r[3]!)));
    expect(rows.map((r) => r[4]!)).toEqual(descending(rows.map((r) => r[4]!)).reverse());

    const updates = lines.slice(11).map((line) => {
      const m =
        /^overview seq (\d+) at (\S+): spot ([\d.]+), ATM IV ([\d.]+)%, PCR\(OI\) ([\d.]+), max pain (\d+)$/.exec(line);
      expect(m, line).not.toBeNull();
      return { seq: Number(m![1]), at: Date.parse(m![2]!) };
    });
    expect(updates).toHaveLength(4);
    for (let i = 1; i < updates.length; i++) {
      expect(updates[i]!.seq).toBeGreaterThan(updates[i - 1]!.seq);
      expect(updates[i]!.at).toBeGreaterThan(updates[i - 1]!.at);
    }
  }, 90_000);

  it('reports the server’s error codes: no key over HTTP, a read-only key on the subscription', async () => {
    const anonymous = await run(process.execPath, [TSX, 'examples/typescript/quickstart.ts', '--url', url], {
      timeoutMs: 60_000,
    });
    expect(anonymous.code).toBe(1);
    expect(anonymous.stdout).toBe('');
    expect(anonymous.stderr).toContain('quickstart failed (UNAUTHENTICATED)');

    const readOnly = await run(
      process.execPath,
      [TSX, 'examples/typescript/quickstart.ts', '--url', url, '--api-key', reader.key],
      { timeoutMs: 60_000 },
    );
    expect(readOnly.code).toBe(1);
    expect(readOnly.stdout).toMatch(/^NIFTY .* 11 strikes$/m);
    expect(readOnly.stdout).not.toContain('overview seq');
    expect(readOnly.stderr).toContain('quickstart failed (FORBIDDEN)');
  }, 90_000);
});

interface NotebookOutput {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
  ename?: string;
  evalue?: string;
}

interface NotebookCell {
  cell_type: string;
  source: string | string[];
  execution_count?: number | null;
  outputs?: NotebookOutput[];
}

const joined = (text: string | string[] | undefined): string => (Array.isArray(text) ? text.join('') : (text ?? ''));

describe('examples/python/quickstart.ipynb', () => {
  it('executes headless against the server and shows the chain and the updates as DataFrames', async () => {
    const home = join(scratch, 'home');
    const outDir = join(scratch, 'executed');
    const done = await run(
      JUPYTER,
      [
        'nbconvert',
        '--to',
        'notebook',
        '--execute',
        '--ExecutePreprocessor.timeout=60',
        '--output-dir',
        outDir,
        NOTEBOOK,
      ],
      {
        env: {
          G6_URL: url,
          G6_API_KEY: full.key,
          // Keep Jupyter's and IPython's state, and Python's bytecode, out of the user's home and the repo.
          HOME: home,
          JUPYTER_RUNTIME_DIR: join(home, 'runtime'),
          IPYTHONDIR: join(home, 'ipython'),
          PYTHONDONTWRITEBYTECODE: '1',
          PYDEVD_DISABLE_FILE_VALIDATION: '1',
        },
        timeoutMs: 150_000,
      },
    );
    expect(done.code, done.stderr).toBe(0);

    const executed = JSON.parse(readFileSync(join(outDir, 'quickstart.ipynb'), 'utf8')) as { cells: NotebookCell[] };
    const code = executed.cells.filter((c) => c.cell_type === 'code');
    expect(code.length).toBeGreaterThanOrEqual(7);
    expect(code.every((c) => typeof c.execution_count === 'number')).toBe(true);
    const outputs = code.flatMap((c) => c.outputs ?? []);
    expect(outputs.filter((o) => o.output_type === 'error')).toEqual([]);
    expect(outputs.filter((o) => o.output_type === 'stream' && o.name === 'stderr')).toEqual([]);

    const cellOf = (needle: string): NotebookCell => {
      const cell = code.find((c) => joined(c.source).includes(needle));
      expect(cell, needle).toBeDefined();
      return cell!;
    };
    const result = (cell: NotebookCell, mime: string): string => {
      const out = (cell.outputs ?? []).find((o) => o.output_type === 'execute_result');
      expect(out, joined(cell.source)).toBeDefined();
      return joined(out!.data?.[mime]);
    };

    const greeting = joined(cellOf('G6Client()').outputs?.[0]?.text);
    expect(greeting).toBe(`server: ${url} | API key: set\n`);

    // The chain: one row per strike, ±5 around the ATM strike, call and put columns.
    const chainHtml = result(cellOf('g6.chain_frame('), 'text/html');
    const header = /<thead>([\s\S]*?)<\/thead>/.exec(chainHtml)![1]!;
    const columns = [...header.matchAll(/<th>([^<]*)<\/th>/g)].map((m) => m[1]);
    for (const side of ['call', 'put']) {
      for (const field of ['last_price', 'iv', 'delta', 'gamma', 'oi', 'volume']) {
        expect(columns).toContain(`${side}_${field}`);
      }
    }
    expect(columns).toContain('strike');
    const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(chainHtml)![1]!;
    const rows = [...body.matchAll(/<tr>\s*<th>([\d.]+)<\/th>([\s\S]*?)<\/tr>/g)];
    expect(rows).toHaveLength(11);
    const strikes = rows.map((r) => Number(r[1]));
    expect(strikes.slice(1).map((s, i) => s - strikes[i]!)).toEqual(Array(10).fill(50));
    for (const row of rows) {
      const cells = [...row[2]!.matchAll(/<td>([^<]*)<\/td>/g)].map((m) => Number(m[1]));
      expect(cells).toHaveLength(12);
      expect(cells.every(Number.isFinite)).toBe(true);
    }

    const attrs = result(cellOf('chain.attrs'), 'text/plain');
    expect(attrs).toContain("'index': 'NIFTY'");
    expect(attrs).toContain("'stale': False");
    const atm = /'atm_strike': (\d+)/.exec(attrs);
    expect(atm, attrs).not.toBeNull();
    expect(strikes[5]).toBe(Number(atm![1]));

    expect(result(cellOf('call_minus_put'), 'text/html')).toContain('<th>call_minus_put</th>');

    // The stream: five updates, one row each, seq rising.
    const updatesHtml = result(cellOf('g6.stream_overview('), 'text/html');
    expect([.../<tbody>([\s\S]*?)<\/tbody>/.exec(updatesHtml)![1]!.matchAll(/<tr>/g)]).toHaveLength(5);
    for (const column of ['seq', 'timestamp', 'spot', 'atm_iv', 'pcr_oi', 'max_pain_strike']) {
      expect(updatesHtml).toContain(`<th>${column}</th>`);
    }
    const seqs = JSON.parse(result(cellOf('updates["seq"].tolist()'), 'text/plain')) as number[];
    expect(seqs).toHaveLength(5);
    for (let i = 1; i < seqs.length; i++) {
      expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);
    }

    // The open-ended `async for` in a cell: three printed events, later than the collected ones.
    const printed = joined(cellOf('async for update in').outputs?.[0]?.text).trimEnd().split('\n');
    expect(printed).toHaveLength(3);
    const streamed = printed.map((line) => {
      const m = /^(\d+) (\S+Z) (\d+\.\d+)$/.exec(line);
      expect(m, line).not.toBeNull();
      return Number(m![1]);
    });
    expect(streamed[0]).toBeGreaterThanOrEqual(seqs[4]!);
    expect(streamed[1]).toBeGreaterThan(streamed[0]!);
    expect(streamed[2]).toBeGreaterThan(streamed[1]!);
  }, 180_000);
});
