// Build the base images' OCI layouts once and keep them under <repo>/.testenv/cache/<key>/,
// then push them to the test registries.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageRefs } from '../types.ts';
import { writeBusyboxLayer } from './busybox-rootfs.ts';
import { writeDebianLayer } from './debian-rootfs.ts';
import { writeImageLayout, type ImageSpec } from './oci-layout.ts';
import { pushAllWays, type Destination } from './push.ts';

/** Bump a key to rebuild that image everywhere. */
export const BUSYBOX_KEY = 'busybox-v3';
export const DEBIAN_KEY = 'debian-bookworm-minbase-v3';
const CREATED = '2024-01-01T00:00:00Z';
const PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Part of TestEnv.schema: environments with other images are not reused. */
export function imagesSchema(): string {
  return `${BUSYBOX_KEY}+${DEBIAN_KEY}`;
}

export type BaseName = 'busybox' | 'debian';

export interface CachedLayout {
  name: BaseName;
  /** OCI layout dir holding tags `<name>` and `<name>-multi`. */
  layout: string;
}

function cacheKey(name: BaseName): string {
  if (name === 'debian') return DEBIAN_KEY;
  let version = 'unknown';
  try {
    version = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'busybox-static'], { encoding: 'utf8' }).trim();
  } catch {
    // not a dpkg system: key on our version only
  }
  return `${BUSYBOX_KEY}-${version.replace(/[^A-Za-z0-9.+-]/g, '_')}`;
}

/** Drop layouts of name built under an older key. */
function removeStale(name: BaseName, cacheDir: string, keep: string): void {
  for (const entry of readdirSync(cacheDir)) {
    const path = join(cacheDir, entry);
    if (entry.startsWith(`${name}-`) && path !== keep) rmSync(path, { recursive: true, force: true });
  }
}

async function buildLayout(name: BaseName, layout: string, scratch: string): Promise<void> {
  const tarFile = join(scratch, `${name}.tar`);
  if (name === 'busybox') await writeBusyboxLayer(tarFile);
  else await writeDebianLayer(tarFile);
  const spec: ImageSpec = {
    layerTar: tarFile,
    env: [PATH],
    cmd: name === 'busybox' ? ['sh'] : ['bash'],
    created: CREATED,
    createdBy: `kiln testenv: ${name} base (${cacheKey(name)})`,
  };
  await writeImageLayout(layout, name, spec);
}

/** The cached layout for name, built now when missing (atomic rename into the cache). */
export async function ensureLayout(name: BaseName, cacheDir: string): Promise<CachedLayout> {
  const final = join(cacheDir, cacheKey(name));
  mkdirSync(cacheDir, { recursive: true });
  removeStale(name, cacheDir, final);
  if (existsSync(join(final, 'index.json'))) return { name, layout: final };
  const work = mkdtempSync(join(cacheDir, `.build-${name}-`));
  try {
    const layout = join(work, 'layout');
    await buildLayout(name, layout, work);
    try {
      renameSync(layout, final);
    } catch (err) {
      if (!existsSync(join(final, 'index.json'))) throw err; // else another setup won the race
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { name, layout: final };
}

export async function pushBase(base: CachedLayout, dest: Destination): Promise<ImageRefs> {
  return pushAllWays(base.layout, base.name, `kiln/${base.name}`, dest);
}
