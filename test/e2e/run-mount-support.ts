// Reading an --oci-layout-path output for the RUN --mount / ADD e2e tests: the manifest, the
// config, and each layer's entries and uncompressed bytes (to grep for secrets).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { repoRoot, sh, tempDir, type BuildResult } from './build-support.ts';

export interface LayoutImage {
  config: Record<string, any>;
  rawConfig: string;
  rawManifest: string;
  /** Per layer: `tar -tv` style entries "path" (directories end with "/"). */
  layers: { entries: string[]; bytes: Buffer }[];
}

export function readLayout(dir: string): LayoutImage {
  const blob = (digest: string): Buffer => readFileSync(path.join(dir, 'blobs', 'sha256', digest.replace(/^sha256:/, '')));
  const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const rawManifest = blob(index.manifests[0]!.digest).toString('utf8');
  const manifest = JSON.parse(rawManifest) as { config: { digest: string }; layers: { digest: string }[] };
  const rawConfig = blob(manifest.config.digest).toString('utf8');
  const layers = manifest.layers.map((l) => {
    const file = path.join(dir, 'blobs', 'sha256', l.digest.replace(/^sha256:/, ''));
    const entries = sh('tar', ['-tf', file]).split('\n').filter((e) => e !== '');
    return { entries, bytes: gunzipSync(blob(l.digest)) };
  });
  return { config: JSON.parse(rawConfig) as Record<string, any>, rawConfig, rawManifest, layers };
}

/** Unpack the layout's image with umoci (through skopeo, which names it); returns the rootfs. */
export function unpackLayout(dir: string, into: string): string {
  sh('skopeo', ['copy', '--quiet', `oci:${dir}`, `oci:${into}/img:t`]);
  sh('umoci', ['unpack', '--image', `${into}/img:t`, `${into}/bundle`]);
  return path.join(into, 'bundle', 'rootfs');
}

/** created_by of the last `n` history entries. */
export function lastHistory(img: LayoutImage, n: number): string[] {
  return (img.config.history as { created_by: string }[]).slice(-n).map((h) => h.created_by);
}

/**
 * Run the executor bundle on any context directory (build() takes only fixture names). Async,
 * so servers in the test's own process (HTTP, git) keep answering while it runs.
 */
export function buildContext(context: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<BuildResult> {
  const root = path.join(tempDir(), 'root');
  const child = spawn(process.execPath, [path.join(repoRoot, 'dist/executor.js'), '--root-dir', root, '--context', context, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_OPTIONS: '--no-warnings', ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
  return new Promise((resolve) => child.on('close', (code) => {
    clearTimeout(timer);
    resolve({ code, stdout, stderr });
  }));
}
