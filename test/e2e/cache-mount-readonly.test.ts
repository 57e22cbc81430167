// RUN --mount=type=cache when the default cache-mount directory (<cache-dir>/mounts) cannot be
// written, as on a Pod that mounts the warmer's /cache read-only: the build still works (the
// cache lives in the build's work dir and does not persist) and says so. A directory the user
// chose with --cache-mount-dir that cannot be written stays an error. Needs root (chattr +i
// makes the directory unwritable even for root).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it, onTestFinished } from 'vitest';
import { testEnv } from '../helpers/testenv.ts';
import { build, tempDir } from './build-support.ts';
import { unpackLayout } from './run-mount-support.ts';

function immutableDir(): string {
  const dir = path.join(tempDir(), 'cache');
  mkdirSync(dir);
  execFileSync('chattr', ['+i', dir]);
  onTestFinished(() => void execFileSync('chattr', ['-i', dir]));
  return dir;
}

it('a read-only default cache-mount directory: the build succeeds with a warning; an explicit one fails clearly', () => {
  const env = testEnv();
  const cacheDir = immutableDir();
  const out = tempDir();
  const common = ['--build-arg', `BASE=${env.images.busybox.v2s2}`, '--no-push', '--insecure-pull', '--cache-dir', cacheDir];

  const ok = build('cache-mount-ro', [...common, '--oci-layout-path', path.join(out, 'oci')]);
  expect(ok.code, ok.stderr).toBe(0);
  expect(ok.stderr).toContain(`${path.join(cacheDir, 'mounts')} is not writable`);
  expect(ok.stderr).toContain('will not persist');
  const rootfs = unpackLayout(path.join(out, 'oci'), tempDir());
  expect(readFileSync(path.join(rootfs, 'cache-used'), 'utf8')).toBe('used\n');

  const chosen = build('cache-mount-ro', [...common, '--cache-mount-dir', path.join(cacheDir, 'mine'), '--oci-layout-path', path.join(out, 'oci2')]);
  expect(chosen.code).toBe(1);
  expect(chosen.stderr).toContain('creating the cache mount directory');
  expect(chosen.stderr).toContain('--cache-mount-dir');
});
