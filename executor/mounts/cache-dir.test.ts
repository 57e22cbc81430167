import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { IgnoreList } from '../root/ignore-list.ts';
import { containerCacheMountDir } from './cache-dir.ts';

function root(): string {
  const d = mkdtempSync(join(tmpdir(), 'kiln-cache-dir-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const choose = (r: string, mountDir: string, ignored: string[] = []) =>
  containerCacheMountDir({ root: r, mountDir, kanikoDir: '/kaniko', ignore: new IgnoreList(['/kaniko', ...ignored]) });

describe('containerCacheMountDir', () => {
  it('keeps an existing directory', () => {
    const r = root();
    mkdirSync(join(r, 'cache/mounts'), { recursive: true });
    expect(choose(r, '/cache/mounts')).toEqual({ dir: '/cache/mounts' });
  });

  it('keeps a missing directory whose first missing parent is ignored (a volume at /cache)', () => {
    const r = root();
    mkdirSync(join(r, 'cache'));
    expect(choose(r, '/cache/mounts', ['/cache'])).toEqual({ dir: '/cache/mounts' });
    expect(choose(r, '/kaniko/mine')).toEqual({ dir: '/kaniko/mine' });
  });

  it('moves the caches under /kaniko when creating the directory would add a directory to the image', () => {
    const r = root();
    const noVolume = choose(r, '/cache/mounts');
    expect(noVolume.dir).toBe('/kaniko/cache-mounts');
    expect(noVolume.moved).toContain('creating /cache would put it into the image');
    mkdirSync(join(r, 'cache'));
    expect(choose(r, '/cache/mounts').moved).toContain('creating /cache/mounts would put it into the image');
  });
});
