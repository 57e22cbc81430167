// Helpers for the executor build e2e tests: run dist/executor.js with --root-dir in a temp dir,
// and look at results with real clients (skopeo, umoci).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const fixtures = path.join(repoRoot, 'test/fixtures/build');

export function tempDir(prefix = 'kiln-build-e2e-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface BuildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface BuildOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** The node binary that runs the bundle (default: the one running the tests). */
  node?: string;
}

/** Run the executor bundle with a fresh --root-dir; `args` are extra flags. */
export function build(fixture: string, args: string[], options: BuildOptions = {}): BuildResult {
  const root = path.join(tempDir(), 'root');
  const r = spawnSync(
    options.node ?? process.execPath,
    [path.join(repoRoot, 'dist/executor.js'), '--root-dir', root, '--context', path.join(fixtures, fixture), '--dockerfile', 'Dockerfile', ...args],
    { encoding: 'utf8', timeout: options.timeoutMs ?? 240_000, env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_OPTIONS: '--no-warnings', ...options.env } },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return r.stdout;
}

export function inspectConfig(ref: string): Record<string, any> {
  return JSON.parse(sh('skopeo', ['inspect', '--tls-verify=false', '--config', `docker://${ref}`])) as Record<string, any>;
}

export function inspectRaw(ref: string): Record<string, any> {
  return JSON.parse(sh('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${ref}`])) as Record<string, any>;
}

/** Copy the pushed image to an OCI layout (as OCI) and unpack it with umoci; returns the rootfs. */
export function unpack(ref: string): string {
  const dir = tempDir('kiln-unpack-');
  sh('skopeo', ['copy', '--quiet', '--format', 'oci', '--src-tls-verify=false', `docker://${ref}`, `oci:${dir}/oci:t`]);
  sh('umoci', ['unpack', '--image', `${dir}/oci:t`, `${dir}/bundle`]);
  return path.join(dir, 'bundle', 'rootfs');
}
