import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, onTestFinished, test } from 'vitest';
import { resolveUnder } from './static-server.ts';

function root(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-static-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'InRelease'), 'x');
  writeFileSync(join(dir, 'sub', 'a.deb'), 'y');
  return dir;
}

test('resolveUnder maps URL paths (dot segments, percent escapes, queries) to files under the root', () => {
  const dir = root();
  expect(resolveUnder(dir, '/InRelease')).toBe(join(dir, 'InRelease'));
  expect(resolveUnder(dir, '/./InRelease')).toBe(join(dir, 'InRelease'));
  expect(resolveUnder(dir, '/sub/../sub/a.deb?x=1')).toBe(join(dir, 'sub', 'a.deb'));
  expect(resolveUnder(dir, '/sub/%61.deb')).toBe(join(dir, 'sub', 'a.deb'));
});

test('resolveUnder refuses what is outside the root, directories, missing files and bad escapes', () => {
  const dir = root();
  writeFileSync(`${dir}-sibling`, 'secret');
  onTestFinished(() => rmSync(`${dir}-sibling`, { force: true }));
  for (const path of ['/../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc%2fpasswd', `/..%2f${dir.split('/').pop()}-sibling`, '/sub', '/', '/nope', '/%zz', '/a%00b']) {
    expect(resolveUnder(dir, path), path).toBeUndefined();
  }
});

test('resolveUnder follows no link out of the root: a link is served only when it is a file inside', () => {
  const dir = root();
  symlinkSync('/etc/hostname', join(dir, 'out'));
  symlinkSync('sub/a.deb', join(dir, 'in'));
  expect(resolveUnder(dir, '/out')).toBeUndefined();
  expect(resolveUnder(dir, '/in')).toBe(join(dir, 'in'));
});
