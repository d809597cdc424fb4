import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { TEST_RUN_VARIABLE } from '../helpers/leftovers.ts';
import { runToEnd } from '../helpers/run-to-end.ts';
import { freePort } from '../helpers/victoria-metrics.ts';

/**
 * There is no Docker engine here, so the image is checked by rebuilding its runtime stage as a directory:
 * the Dockerfile's own COPY lines and `npm ci` run in a temporary directory (dist/ coming from the build
 * the suite's global setup made, as the build stage makes it), then G6 starts from there through the
 * image's ENTRYPOINT and CMD with the image's ENV, and the image's HEALTHCHECK is run against it. What only
 * a real image shows (the base image, `USER node`, the volume's ownership) is checked statically.
 */

const REPO = resolve('.');

// ---------------------------------------------------------------------------------------------------------
// Reading the Dockerfile

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

interface Stage {
  readonly name: string | null;
  readonly instructions: readonly Instruction[];
}

/** Instructions by stage; continuation lines joined, comments dropped. */
function parseDockerfile(text: string): Stage[] {
  const logical = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages: Array<{ name: string | null; instructions: Instruction[] }> = [];
  for (const line of logical) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    if (instruction.keyword === 'FROM') {
      stages.push({ name: /\sAS\s+(\S+)$/i.exec(line)?.[1] ?? null, instructions: [] });
    }
    stages.at(-1)?.instructions.push(instruction);
  }
  return stages;
}

/** Words, with double-quoted parts kept together (ENV values, flags). */
function words(text: string): string[] {
  return [...text.matchAll(/(?:[^\s"]+|"[^"]*")+/g)].map((m) => m[0].replace(/"/g, ''));
}

/** An exec-form (`["a", "b"]`) or shell-form instruction as the argv Docker runs. */
function commandOf(args: string): string[] {
  return args.startsWith('[') ? (JSON.parse(args) as string[]) : ['/bin/sh', '-c', args];
}

function only(stage: Stage, keyword: string): Instruction {
  const found = stage.instructions.filter((i) => i.keyword === keyword);
  expect(
    found.map((i) => i.keyword),
    `one ${keyword} in the runtime stage`,
  ).toEqual([keyword]);
  return found[0]!;
}

/** Docker durations (`5s`, `1m30s`) in milliseconds. */
function durationMs(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.map((p) => p[0]).join('') !== text || parts.length === 0) {
    throw new Error(`not a duration: ${text}`);
  }
  return parts.reduce((sum, [, value, unit]) => sum + Number(value) * units[unit!]!, 0);
}

const stages = parseDockerfile(readFileSync(join(REPO, 'Dockerfile'), 'utf8'));
const runtime = stages.at(-1)!;

/** `NAME=value` (the value may hold `=`). */
function assignment(pair: string): [string, string] {
  const eq = pair.indexOf('=');
  if (eq <= 0) {
    throw new Error(`not NAME=value: ${pair}`);
  }
  return [pair.slice(0, eq), pair.slice(eq + 1)];
}

/** The runtime stage's ENV, in order (later lines win, as in the image). */
const imageEnv: Record<string, string> = Object.fromEntries(
  runtime.instructions.filter((i) => i.keyword === 'ENV').flatMap((i) => words(i.args).map(assignment)),
);

const healthcheck = (() => {
  const { args } = only(runtime, 'HEALTHCHECK');
  const cmd = /\bCMD\s+/.exec(args);
  if (cmd === null) {
    throw new Error(`HEALTHCHECK without CMD: ${args}`);
  }
  const options = Object.fromEntries(
    words(args.slice(0, cmd.index)).map((flag) => assignment(flag.replace(/^--/, ''))),
  );
  return { argv: commandOf(args.slice(cmd.index + cmd[0].length)), options };
})();

// ---------------------------------------------------------------------------------------------------------
// .dockerignore, with Docker's rules: the last matching pattern decides, and a pattern matching a parent
// directory matches everything under it.

const dockerignore = readFileSync(join(REPO, '.dockerignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'))
  .map((line) => {
    const negate = line.startsWith('!');
    const glob = (negate ? line.slice(1) : line).replace(/^\/+/, '').replace(/\/+$/, '');
    const source = glob
      .split(/(\*\*\/?|\*|\?)/)
      .map((part) => {
        if (part === '**/' || part === '**') {
          return '(?:.*/)?';
        }
        if (part === '*') {
          return '[^/]*';
        }
        if (part === '?') {
          return '[^/]';
        }
        return part.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      })
      .join('');
    return { negate, regex: new RegExp(`^${source}$`) };
  });

function inBuildContext(path: string): boolean {
  const parts = path.split('/');
  let excluded = false;
  for (const { negate, regex } of dockerignore) {
    if (parts.some((_, i) => regex.test(parts.slice(0, i + 1).join('/')))) {
      excluded = !negate;
    }
  }
  return !excluded;
}

function filesUnder(dir: string): string[] {
  return readdirSync(join(REPO, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(REPO, join(entry.parentPath, entry.name)));
}

describe('Dockerfile', () => {
  it('builds with the dev dependencies and runs with production ones only, as non-root NODE_ENV=production', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    const build = stages[0]!;
    expect(build.instructions.some((i) => i.keyword === 'RUN' && /\bnpm ci\b(?!.*--omit=dev)/.test(i.args))).toBe(true);
    expect(build.instructions.some((i) => i.keyword === 'RUN' && /\bnpm run build\b/.test(i.args))).toBe(true);

    const installs = runtime.instructions.filter((i) => i.keyword === 'RUN' && /\bnpm (ci|install|i)\b/.test(i.args));
    expect(installs).toHaveLength(1);
    expect(installs[0]!.args).toMatch(/\bnpm ci\b[^&]*--omit=dev/);
    // Only dist/ comes from the build stage: its node_modules (dev dependencies included) stays behind.
    const fromBuild = runtime.instructions.filter((i) => i.keyword === 'COPY' && i.args.includes('--from='));
    expect(fromBuild.map((i) => words(i.args).slice(1))).toEqual([['/app/dist', './dist']]);

    expect(imageEnv.NODE_ENV).toBe('production');
    const user = only(runtime, 'USER').args;
    expect(['root', '0', '0:0']).not.toContain(user);
    const keywords = runtime.instructions.map((i) => i.keyword);
    expect(keywords.indexOf('USER')).toBeLessThan(keywords.indexOf('CMD'));
  });

  it('declares /app/data as the volume G6 writes, and exposes the port G6 listens on by default', () => {
    const volume = only(runtime, 'VOLUME').args;
    expect(volume.startsWith('[') ? JSON.parse(volume) : words(volume)).toEqual(['/app/data']);
    expect(imageEnv.G6_DATA_DIR).toBe('/app/data');
    // Created (and chowned to the runtime user) before VOLUME, so a fresh named volume inherits the owner.
    const keywords = runtime.instructions.map((i) => i.keyword);
    const prepare = runtime.instructions.findIndex((i) => i.keyword === 'RUN' && /mkdir -p \/app\/data/.test(i.args));
    expect(runtime.instructions[prepare]?.args).toContain(`chown ${only(runtime, 'USER').args}`);
    expect(prepare).toBeLessThan(keywords.indexOf('VOLUME'));

    const defaults = loadConfig({}, []);
    expect(defaults.kind === 'config' ? defaults.config.port : null).toBe(Number(only(runtime, 'EXPOSE').args));
  });

  it('lets into the build context exactly what the Dockerfile copies, and no data, logs or secrets', () => {
    const sources = stages.flatMap((stage) =>
      stage.instructions
        .filter((i) => (i.keyword === 'COPY' || i.keyword === 'ADD') && !i.args.includes('--from='))
        .flatMap((i) =>
          words(i.args)
            .filter((w) => !w.startsWith('--'))
            .slice(0, -1),
        ),
    );
    const unique = [...new Set(sources)].sort();
    expect(unique).toEqual(['package-lock.json', 'package.json', 'src', 'tsconfig.build.json', 'tsconfig.json']);
    const copied = unique.flatMap((s) => (statSync(join(REPO, s)).isDirectory() ? filesUnder(s) : [s]));
    expect(copied.filter((f) => !inBuildContext(f))).toEqual([]);
    for (const outside of [
      '.env',
      '.env.production',
      'data/csv/NIFTY/2026-08-18/overview.csv',
      'data/kite/access-token.enc',
      'logs/g6_platform_2026-08-18.log',
      'node_modules/vitest/package.json',
      'dist/main.js',
      '.git/HEAD',
      'test/integration/runtime-tree.test.ts',
      'README.md',
    ]) {
      expect(inBuildContext(outside), outside).toBe(false);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// The runtime stage, rebuilt as a directory

/** Node first on PATH: the one running the tests (the image's is /usr/local/bin/node). */
const PATH = [dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(delimiter);

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(argv: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }) {
  return runToEnd(argv[0]!, argv.slice(1), options).finished;
}

const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

describe('the runtime stage, rebuilt as a directory', () => {
  const tree = mkdtempSync(join(tmpdir(), 'g6-runtime-tree-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'g6-runtime-data-'));
  afterAll(() => {
    rmSync(tree, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Replays the runtime stage's WORKDIR, COPY and `npm ci` in order; other RUN lines are the image's own. */
  beforeAll(async () => {
    const stageNames = new Map(stages.map((s) => [s.name, s]));
    const env: Record<string, string> = {};
    let workdir: string | null = null;
    for (const { keyword, args } of runtime.instructions) {
      if (keyword === 'ENV') {
        for (const pair of words(args)) {
          const [name, value] = assignment(pair);
          env[name] = value;
        }
      } else if (keyword === 'WORKDIR') {
        workdir = args;
      } else if (keyword === 'COPY') {
        const parts = words(args);
        const from = parts.find((p) => p.startsWith('--from='))?.slice('--from='.length);
        const [dest = '', ...sources] = parts.filter((p) => !p.startsWith('--')).reverse();
        for (const source of sources.reverse()) {
          let local = join(REPO, source);
          if (from !== undefined) {
            // The build stage works in its WORKDIR, a copy of this repository: the suite's global setup has
            // built dist/ here as its `npm run build` does.
            const buildWorkdir = stageNames.get(from)?.instructions.findLast((i) => i.keyword === 'WORKDIR')?.args;
            expect(buildWorkdir, `stage ${from}`).toBeDefined();
            local = join(REPO, relative(buildWorkdir!, source));
          }
          const target = dest.endsWith('/') ? join(tree, dest, source.split('/').at(-1)!) : join(tree, dest);
          expect(workdir, 'WORKDIR before COPY').toBe('/app');
          cpSync(local, target, { recursive: true });
        }
      } else if (keyword === 'RUN' && /\bnpm ci\b/.test(args)) {
        const npmCi = args
          .split('&&')
          .map((s) => s.trim())
          .find((s) => s.startsWith('npm ci'))!;
        // --prefer-offline only lets npm take the cached tarballs: the lock file still decides the tree.
        const result = await run([...npmCi.split(/\s+/), '--prefer-offline'], {
          cwd: tree,
          env: { ...process.env, ...env, PATH: `${PATH}${delimiter}${process.env.PATH ?? ''}` },
        });
        if (result.code !== 0) {
          throw new Error(`${npmCi} failed (${result.code}):\n${result.stderr}`);
        }
      }
    }
  }, 300_000);

  it('holds package.json, the lock file, dist/ and production dependencies only', () => {
    expect(readdirSync(tree).sort()).toEqual(['dist', 'node_modules', 'package-lock.json', 'package.json']);
    const present = Object.keys(pkg.devDependencies).filter((name) => existsSync(join(tree, 'node_modules', name)));
    expect(present).toEqual([]);
    const missing = Object.keys(pkg.dependencies).filter(
      (name) => !existsSync(join(tree, 'node_modules', name, 'package.json')),
    );
    expect(missing).toEqual([]);
    // Every package the lock file marks dev-only (direct or transitive) stays out too.
    const lock = JSON.parse(readFileSync(join(tree, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const devOnly = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && entry.dev === true)
      .map(([path]) => path);
    expect(devOnly.length).toBeGreaterThan(0);
    expect(devOnly.filter((path) => existsSync(join(tree, path)))).toEqual([]);
  });

  it('loads every module of dist/ from the production dependencies alone', async () => {
    // Only modules built from a current source file: a stale one left in dist/ is no part of the image.
    const modules = readdirSync(join(tree, 'dist'), { recursive: true })
      .map(String)
      .filter((file) => file.endsWith('.js') && existsSync(join(REPO, 'src', file.replace(/\.js$/, '.ts'))));
    expect(modules).toContain('main.js');
    const script = `for (const m of ${JSON.stringify(modules)}) await import('./dist/' + m); console.log('loaded');`;
    const result = await run([process.execPath, '--input-type=module', '-e', script], {
      cwd: tree,
      env: { ...imageEnv, PATH },
    });
    expect({ code: result.code, stderr: result.stderr, stdout: result.stdout.trim() }).toEqual({
      code: 0,
      stderr: '',
      stdout: 'loaded',
    });
  });

  it('runs ./dist/main.js --version by its shebang', async () => {
    // Set by `npm run build` (and the global setup); COPY keeps the mode.
    expect(statSync(join(tree, 'dist/main.js')).mode & 0o111).toBe(0o111);
    const result = await run(['./dist/main.js', '--version'], { cwd: tree, env: { ...imageEnv, PATH } });
    expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
      code: 0,
      stdout: `g6 ${pkg.version}\n`,
      stderr: '',
    });
  });

  it('starts through ENTRYPOINT and CMD, passes the HEALTHCHECK, exits 0 on SIGTERM and then fails it', async () => {
    const entrypoint = commandOf(only(runtime, 'ENTRYPOINT').args);
    const cmd = commandOf(only(runtime, 'CMD').args);
    expect(existsSync(entrypoint[0]!), `${entrypoint[0]} (apt-get install tini)`).toBe(true);
    const port = await freePort();
    // Loopback only here; the probe's wildcard handling (the image's default host) is run below.
    const env = {
      ...imageEnv,
      G6_DATA_DIR: dataDir,
      G6_PORT: String(port),
      G6_HOST: '127.0.0.1',
      PATH,
      [TEST_RUN_VARIABLE]: process.env[TEST_RUN_VARIABLE] ?? '',
    };
    // Its own process group, so clean-up reaches node behind tini whatever happens.
    const child: ChildProcess = spawn(entrypoint[0]!, [...entrypoint.slice(1), ...cmd, '--mock'], {
      cwd: tree,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
      child.on('exit', (code, signal) => done({ code, signal }));
    });
    onTestFinished(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(-child.pid!, 'SIGKILL');
        await exited;
      }
    });
    let stderr = '';
    child.stderr!.on('data', (chunk) => {
      stderr += String(chunk);
    });
    const logs: Array<Record<string, unknown>> = [];
    const ready = new Promise<void>((done, fail) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          entry = { msg: line };
        }
        logs.push(entry);
        if (String(entry.msg).startsWith('G6 server ready')) {
          done();
        }
      });
      void exited.then(({ code }) => fail(new Error(`g6 exited (${code}) before it was ready: ${stderr}`)));
    });
    await ready;
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    await health.arrayBuffer();
    expect(health.status).toBe(200);

    const timeoutMs = durationMs(healthcheck.options.timeout ?? '30s');
    const probe = (overrides: Record<string, string | undefined>) =>
      run(healthcheck.argv, { cwd: tree, env: { ...env, ...overrides }, timeoutMs });
    const outcome = (exit: Exit) => ({ code: exit.code, signal: exit.signal, stderr: exit.stderr });
    expect(outcome(await probe({}))).toEqual({ code: 0, signal: null, stderr: '' });
    // Unset, 0.0.0.0 and :: are where G6 listens by default (all addresses): the probe asks 127.0.0.1.
    for (const host of [undefined, '0.0.0.0', '::']) {
      expect(outcome(await probe({ G6_HOST: host })), `G6_HOST=${host}`).toEqual({ code: 0, signal: null, stderr: '' });
    }
    // It follows G6_PORT: nothing listens on another port.
    expect((await probe({ G6_PORT: String(await freePort()) })).code).toBe(1);

    // What `docker stop` does: SIGTERM to PID 1 (tini), which passes it on to node.
    process.kill(child.pid!, 'SIGTERM');
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(logs.find((l) => l.msg === 'shutting down')).toMatchObject({ signal: 'SIGTERM' });
    expect(outcome(await probe({}))).toMatchObject({ code: 1, signal: null });
  }, 60_000);
});
