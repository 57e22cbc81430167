// The bundles in dist/ as users run them: plain `node`, child processes, nothing mocked.
// Needs `npm run build` first (the test scripts run it).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = path.join(root, 'dist');
const pkgVersion = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;

function run(bundle: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(process.execPath, [bundle, ...args], {
    cwd: options.cwd ?? os.tmpdir(),
    env: { PATH: process.env.PATH, ...options.env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const executor = (...args: string[]) => run(path.join(dist, 'executor.js'), args);
const warmer = (...args: string[]) => run(path.join(dist, 'warmer.js'), args);

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kiln-cli-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('executor bundle', () => {
  it('prints help listing kaniko and Kiln flags, exit 0', () => {
    const r = executor('--help');
    expect(r.code).toBe(0);
    for (const flag of ['--destination', '-d,', '--context', '--dockerfile', '--cache-ttl', '--no-push', '--tar-path', '--registry-mirror', '--verbosity', '--root-dir', '--secret', '--cache-mount-dir']) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout).not.toContain('--snapshotMode'); // deprecated spellings are accepted but hidden
  });

  it('prints the stamped version', () => {
    const r = executor('version');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(new RegExp(`^${pkgVersion.replace(/\./g, '\\.')}(\\+[0-9a-f]{4,})?$`));
    expect(r.stdout).toBe(warmer('version').stdout);
    expect(r.stdout.trim()).not.toBe('dev');
  });

  it('rejects an unknown flag with exit 1 and a clear message', () => {
    const r = executor('--no-push', '--destinaton', 'x');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error building image: unknown flag --destinaton\nhint: run with --help to list the flags\n');
    expect(r.stdout).toBe('');
  });

  it('rejects a wrong value, naming the flag', () => {
    const r = executor('--no-push', '--snapshot-mode=fast');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('invalid --snapshot-mode value "fast": expected one of full, redo, time');
  });

  it('accepts --materialize, --image-fs-extract-retry and --annotation: a build error comes later, from the missing Dockerfile', () => {
    const dir = tempDir();
    const r = executor('--no-push', '--context', dir, '--root-dir', path.join(dir, 'root'), '--materialize', '--image-fs-extract-retry=2', '--annotation', 'a=b');
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('not implemented');
    expect(r.stderr).toContain('error building image: reading the Dockerfile "Dockerfile": no such file');
  });

  it('writes the error as one JSON line with --log-format json', () => {
    const dir = tempDir();
    const r = executor('--no-push', '--log-format', 'json', '--context', dir, '--root-dir', path.join(dir, 'root'));
    expect(r.code).toBe(1);
    const line = JSON.parse(r.stderr) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'error', code: 'E_USAGE', hint: 'pass --dockerfile with a path, absolute or relative to the context' });
    expect(line.msg).toMatch(/^error building image: reading the Dockerfile "Dockerfile": no such file/);
  });

  it('writes a usage error as JSON too when --log-format json is on the command line', () => {
    const r = executor('--log-format=json', '--bogus');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stderr)).toMatchObject({ level: 'error', code: 'E_USAGE', msg: 'error building image: unknown flag --bogus' });
  });

  it('needs --destination or --no-push, as kaniko', () => {
    const r = executor('--context', tempDir());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('you must provide --destination, or use --no-push');
  });
});

describe('warmer bundle', () => {
  it('prints help listing its flags, exit 0', () => {
    const r = warmer('--help');
    expect(r.code).toBe(0);
    for (const flag of ['--image', '-i,', '--cache-dir', '--cache-ttl', '--dockerfile', '--force', '--prune', '--registry-mirror']) {
      expect(r.stdout).toContain(flag);
    }
  });

  it('rejects an unknown flag and a missing image with exit 1', () => {
    const unknown = warmer('--image', 'busybox', '--destination', 'x');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('failed warming cache: unknown flag --destination');
    const none = warmer('--cache-dir', tempDir());
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('you must select at least one image to cache');
  });
});

describe('self-contained bundles', () => {
  it('run from a directory without node_modules', () => {
    const dir = tempDir();
    for (const name of ['executor.js', 'warmer.js']) copyFileSync(path.join(dist, name), path.join(dir, name));
    for (const name of ['executor.js', 'warmer.js']) {
      const version = run(path.join(dir, name), ['version'], { cwd: dir });
      expect(version.code, version.stderr).toBe(0);
      expect(version.stdout.trim().startsWith(pkgVersion)).toBe(true);
      const help = run(path.join(dir, name), ['--help'], { cwd: dir });
      expect(help.code, help.stderr).toBe(0);
      expect(help.stdout).toContain('--cache-dir');
    }
  });

  it('keep executor modules out of the warmer (esbuild metafile)', () => {
    const meta = JSON.parse(readFileSync(path.join(dist, 'warmer.meta.json'), 'utf8')) as { inputs: Record<string, unknown> };
    const inputs = Object.keys(meta.inputs);
    expect(inputs).toContain('warmer/main.ts');
    expect(inputs.filter((f) => f.startsWith('executor/'))).toEqual([]);
  });
});
