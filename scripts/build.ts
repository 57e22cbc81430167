// `npm run build`: one self-contained ESM file per binary (dist/executor.js, dist/warmer.js),
// runnable with plain `node` and nothing beside it, the version stamped in (esbuild's pattern),
// and an esbuild metafile per bundle (dist/<name>.meta.json) for size and layering checks.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, type Metafile, build } from 'esbuild';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const bundleEntries = { executor: 'executor/main.ts', warmer: 'warmer/main.ts' } as const;
export type BundleName = keyof typeof bundleEntries;

// undici and a few others `require` Node builtins; in an ESM bundle `require` must exist.
const BANNER = [
  '#!/usr/bin/env node',
  "import { createRequire as __kilnCreateRequire } from 'node:module';",
  'const require = __kilnCreateRequire(import.meta.url);',
].join('\n');

/** package.json's version, plus `+<git short sha>` when the tree is a git checkout. */
export function readVersion(root: string = repoRoot): string {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    return sha === '' ? pkg.version : `${pkg.version}+${sha}`;
  } catch {
    return pkg.version;
  }
}

export interface BundleSettings {
  root?: string;
  outdir: string;
  version: string;
  /** false: build in memory only (tests read the metafile). */
  write?: boolean;
}

export function bundleOptions(name: BundleName, settings: BundleSettings): BuildOptions & { metafile: true } {
  const root = settings.root ?? repoRoot;
  return {
    absWorkingDir: root,
    entryPoints: [path.join(root, bundleEntries[name])],
    outfile: path.join(settings.outdir, `${name}.js`),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    banner: { js: BANNER },
    define: { KILN_VERSION: JSON.stringify(settings.version) },
    // Smaller and faster to load, with names kept readable for stack traces.
    minifySyntax: true,
    minifyWhitespace: true,
    legalComments: 'none',
    metafile: true,
    write: settings.write ?? true,
    logLevel: 'warning',
  };
}

export async function buildBundles(settings: BundleSettings): Promise<Record<BundleName, Metafile>> {
  const names = Object.keys(bundleEntries) as BundleName[];
  const metas = await Promise.all(names.map(async (name) => (await build(bundleOptions(name, settings))).metafile));
  return Object.fromEntries(names.map((name, i) => [name, metas[i] as Metafile])) as Record<BundleName, Metafile>;
}

/** Input files of a bundle, relative to the repository root. */
export function bundleInputs(meta: Metafile): string[] {
  return Object.keys(meta.inputs);
}

async function main(): Promise<void> {
  const outdir = path.join(repoRoot, 'dist');
  mkdirSync(outdir, { recursive: true });
  const version = readVersion();
  const metas = await buildBundles({ outdir, version });
  for (const [name, meta] of Object.entries(metas)) {
    const file = path.join(outdir, `${name}.js`);
    writeFileSync(path.join(outdir, `${name}.meta.json`), JSON.stringify(meta, null, 1));
    chmodSync(file, 0o755);
    process.stdout.write(`dist/${name}.js  ${(statSync(file).size / 1024).toFixed(0)} KiB  (kiln ${version})\n`);
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
