// Real base images from the test registry, pulled and extracted with extractImage (streamed and
// spooled), give the same tree as umoci unpacking the same image from its OCI layout.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { silentLogger } from '../../shared/log.ts';
import { parseReference } from '../../shared/reference/index.ts';
import { createRegistryClient, defaultRegistryOptions } from '../../shared/registry/index.ts';
import { extractImage } from '../../executor/root/extract-image.ts';
import { IgnoreList } from '../../executor/root/ignore-list.ts';
import { takeSnapshot } from '../../executor/root/snapshot.ts';
import { testEnv } from '../helpers/testenv.ts';

function testdir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kiln-base-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const ignore = new IgnoreList(['/proc', '/sys']);
const S_IFMT = 0o170000;
const DEVICE = new Set([0o020000, 0o060000]); // created only in the container mode

function view(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const inodes = new Map<number, string>();
  for (const [rel, e] of [...takeSnapshot(root, ignore).entries].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (DEVICE.has(e.mode & S_IFMT)) continue;
    const first = inodes.get(e.ino) ?? rel;
    inodes.set(e.ino, first);
    const isDir = (e.mode & S_IFMT) === 0o040000;
    out[rel] = [e.mode.toString(8), e.uid, e.gid, isDir ? '-' : e.size, isDir ? '-' : Math.floor(e.mtimeMs / 1000), e.link ?? '', first].join(' ');
  }
  return out;
}

describe('extracting the test environment\'s base images', () => {
  const cases = [['busybox', false], ['busybox', true], ['debian', true]] as const;
  for (const [name, spool] of cases) {
    test(`${name}${spool ? ' (spooled)' : ''} matches umoci unpack`, async () => {
      const env = testEnv();
      const client = createRegistryClient({ options: { ...defaultRegistryOptions, insecureRegistries: [env.plain.host] }, logger: silentLogger });
      const image = await client.image(parseReference(env.images[name].v2s2), { platform: { os: 'linux', architecture: 'amd64' } });
      const root = testdir();
      const stats = await extractImage(await image.layers(), { root, ignore, mode: 'host', spoolDir: spool ? testdir() : undefined, xattrOps: null });
      expect(stats.reduce((n, s) => n + s.entries, 0)).toBeGreaterThan(name === 'debian' ? 3000 : 10);
      const work = testdir();
      execFileSync('cp', ['-a', env.layouts[name], join(work, 'layout')]);
      execFileSync('umoci', ['unpack', '--image', `${join(work, 'layout')}:${name}`, join(work, 'bundle')], { stdio: 'pipe' });
      expect(view(root)).toEqual(view(join(work, 'bundle/rootfs')));
    });
  }
});
