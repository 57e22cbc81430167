import { chmod, chown, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { dirContext } from '../context/dir.ts';
import { hashSources } from './source-hash.ts';

async function testdir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-source-hash-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'src/sub'), { recursive: true });
  await writeFile(join(dir, 'src/a.txt'), 'a\n');
  await writeFile(join(dir, 'src/sub/b.txt'), 'b\n');
  await writeFile(join(dir, 'top.txt'), 'top\n');
  return dir;
}

const hash = async (dir: string, sources: string[], excluded: (rel: string) => boolean = () => false): Promise<string> =>
  hashSources(await dirContext(dir, { excluded }), sources, 'COPY');

describe('hashSources', () => {
  it('is stable, and changes with content, mode, owner and path', async () => {
    const dir = await testdir();
    const a = await hash(dir, ['src']);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(await hash(dir, ['src'])).toBe(a);

    await writeFile(join(dir, 'src/sub/b.txt'), 'B\n');
    const content = await hash(dir, ['src']);
    expect(content).not.toBe(a);

    await chmod(join(dir, 'src/sub/b.txt'), 0o600);
    const mode = await hash(dir, ['src']);
    expect(mode).not.toBe(content);

    await chown(join(dir, 'src/sub/b.txt'), 1234, 1234);
    const owner = await hash(dir, ['src']);
    expect(owner).not.toBe(mode);

    await writeFile(join(dir, 'src/sub/c.txt'), 'B\n');
    const added = await hash(dir, ['src']);
    expect(added).not.toBe(owner);
    await rm(join(dir, 'src/sub/c.txt'));
    expect(await hash(dir, ['src'])).toBe(owner);
  });

  it('ignores modification times (a fresh checkout still hits)', async () => {
    const dir = await testdir();
    const a = await hash(dir, ['src', 'top.txt']);
    await utimes(join(dir, 'src/a.txt'), new Date(1000), new Date(1000));
    expect(await hash(dir, ['src', 'top.txt'])).toBe(a);
  });

  it('leaves out files .dockerignore excludes', async () => {
    const dir = await testdir();
    const ignoreB = (rel: string): boolean => rel === 'src/sub/b.txt';
    const a = await hash(dir, ['src'], ignoreB);
    await writeFile(join(dir, 'src/sub/b.txt'), 'changed\n');
    expect(await hash(dir, ['src'], ignoreB)).toBe(a);
    expect(await hash(dir, ['src'])).not.toBe(a);
  });

  it('covers link targets, globs and the source order', async () => {
    const dir = await testdir();
    await symlink('a.txt', join(dir, 'src/link'));
    const a = await hash(dir, ['src']);
    await rm(join(dir, 'src/link'));
    await symlink('sub/b.txt', join(dir, 'src/link'));
    expect(await hash(dir, ['src'])).not.toBe(a);
    expect(await hash(dir, ['src/*.txt'])).toBe(await hash(dir, ['src/a.txt']));
    expect(await hash(dir, ['top.txt', 'src'])).not.toBe(await hash(dir, ['src', 'top.txt']));
  });

  it('fails like COPY for a missing source', async () => {
    const dir = await testdir();
    await expect(hash(dir, ['nope.txt'])).rejects.toThrow(/not found in the build context/);
  });
});
