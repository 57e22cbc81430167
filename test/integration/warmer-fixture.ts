// Shared set-up for the /cache store and warmer tests: temp dirs, the warmer as a real child
// process (dist/warmer.js when built, else tsx warmer/main.ts), skopeo copies into a private
// registry whose requests a test can count, and skopeo/umoci checks of a store.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { onTestFinished } from 'vitest';
import type { Logger } from '../../shared/log.ts';

const execFileP = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..', '..');

export function tempDir(prefix = 'kiln-cache-it-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

export function recorder(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (msg: string) => void lines.push(`${level} ${msg}`);
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

/** How to run the warmer: the bundle when `npm run build` made it, else the sources with tsx. */
export function warmerCommand(): { command: string; args: string[] } {
  const bundle = join(ROOT, 'dist', 'warmer.js');
  if (existsSync(bundle)) return { command: process.execPath, args: [bundle] };
  return { command: process.execPath, args: ['--import', 'tsx', join(ROOT, 'warmer', 'main.ts')] };
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
}

export interface Spawned {
  child: ChildProcess;
  done: Promise<Run>;
}

export function spawnWarmer(args: readonly string[]): Spawned {
  const { command, args: pre } = warmerCommand();
  const child = spawn(command, [...pre, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<Run>((res) => child.on('close', (code, signal) => res({ code, signal, stdout, stderr })));
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, done };
}

export function runWarmer(args: readonly string[]): Promise<Run> {
  return spawnWarmer(args).done;
}

/** skopeo copy between registries over plain HTTP (`--all` keeps an index whole). */
export async function copyImage(src: string, dest: string): Promise<void> {
  await execFileP('skopeo', ['copy', '--all', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${src}`, `docker://${dest}`], {
    timeout: 120_000,
  });
}

/** `skopeo inspect oci:DIR:NAME` → the manifest digest skopeo read. */
export async function skopeoDigest(dir: string, name: string): Promise<string> {
  const { stdout } = await execFileP('skopeo', ['inspect', '--format', '{{.Digest}}', `oci:${dir}:${name}`], { timeout: 60_000 });
  return stdout.trim();
}

/** The ref names `umoci ls` lists. */
export async function umociList(dir: string): Promise<string[]> {
  const { stdout } = await execFileP('umoci', ['ls', '--layout', dir], { timeout: 60_000 });
  return stdout.split('\n').filter((l) => l !== '').sort();
}

export async function umociUnpack(dir: string, name: string, into: string): Promise<void> {
  await execFileP('umoci', ['unpack', '--rootless', '--image', `${dir}:${name}`, into], { timeout: 120_000 });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
