import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { mkdirInRoot, resolveInRoot } from './run-paths.ts';

function testdir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kiln-paths-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

describe('paths inside the build root', () => {
  it('follows links as if the root were "/": absolute targets and .. never leave it', async () => {
    const root = testdir();
    mkdirSync(join(root, 'real'));
    symlinkSync('/real', join(root, 'abs'));
    symlinkSync('../../../../etc', join(root, 'up'));
    symlinkSync('loop', join(root, 'loop'));
    expect(await resolveInRoot(root, '/abs/x')).toBe(join(root, 'real/x'));
    expect(await resolveInRoot(root, '/up/passwd')).toBe(join(root, 'etc/passwd'));
    expect(await resolveInRoot(root, '/../../x')).toBe(join(root, 'x'));
    await expect(resolveInRoot(root, '/loop/x')).rejects.toMatchObject({ code: 'E_UNSAFE_PATH' });
  });

  it('mkdirInRoot creates missing parents 0755 inside the root and reports them', async () => {
    const root = testdir();
    const outside = testdir();
    symlinkSync(outside, join(root, 'link'));
    const made = await mkdirInRoot(root, '/link/a/b');
    expect(made.at(-2)).toBe(`${outside}/a`);
    expect(made.at(-1)).toBe(`${outside}/a/b`);
    expect(made[0]).toBe('/tmp');
    expect(statSync(join(root, outside, 'a/b')).mode & 0o777).toBe(0o755);
    expect(() => statSync(join(outside, 'a'))).toThrow();
    expect(await mkdirInRoot(root, '/link/a/b')).toEqual([]);
  });
});
