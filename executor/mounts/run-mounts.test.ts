import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { Mount } from '../../shared/dockerfile/instructions/types.ts';
import { silentLogger } from '../../shared/log.ts';
import { takeSnapshot, diffSnapshots } from '../root/snapshot.ts';
import { IgnoreList } from '../root/ignore-list.ts';
import { filterMountChanges } from './exclusions.ts';
import { prepareMounts, type MountSettings } from './run-mounts.ts';

function testdir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kiln-mounts-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const uid = process.getuid?.() ?? 0;
const gid = process.getgid?.() ?? 0;

function setup(): { root: string; ctx: string; settings: MountSettings } {
  const base = testdir();
  const root = join(base, 'root');
  const ctx = join(base, 'ctx');
  mkdirSync(join(root, 'var/cache/app'), { recursive: true });
  writeFileSync(join(root, 'var/cache/app/from-image'), 'image');
  mkdirSync(join(ctx, 'src'), { recursive: true });
  writeFileSync(join(ctx, 'src/a.txt'), 'a');
  writeFileSync(join(ctx, 'src/ignored.txt'), 'no');
  writeFileSync(join(base, 'secret.txt'), 's3cr3t');
  const settings: MountSettings = {
    cacheDir: join(base, 'cache'),
    secrets: { specs: [{ id: 'tok', kind: 'file', path: join(base, 'secret.txt') }, { id: 'envtok', kind: 'env', env: 'KILN_TEST_TOKEN' }], env: { KILN_TEST_TOKEN: 'e-value' } },
    context: { dir: ctx, excluded: (rel) => rel.endsWith('ignored.txt') },
  };
  return { root, ctx, settings };
}

const cache = (target: string, extra: Partial<Extract<Mount, { type: 'cache' }>> = {}): Mount => ({ type: 'cache', spec: `type=cache,target=${target}`, target, sharing: 'locked', readonly: false, uid, gid, ...extra });

describe('prepareMounts', () => {
  it('moves a cache in and out, keeps it between runs and restores what the image had at the target', async () => {
    const { root, settings } = setup();
    const ignore = new IgnoreList();
    const before = takeSnapshot(root, ignore);
    const m = [cache('/var/cache/app')];
    const first = await prepareMounts({ root, mounts: m, settings, logger: silentLogger, what: 'RUN' });
    expect(existsSync(join(root, 'var/cache/app/from-image'))).toBe(false);
    writeFileSync(join(root, 'var/cache/app/cached'), 'one');
    const excl = await first.release();
    expect(readFileSync(join(root, 'var/cache/app/from-image'), 'utf8')).toBe('image');
    expect(existsSync(join(root, 'var/cache/app/cached'))).toBe(false);
    expect(excl).toEqual({ mounted: ['/var/cache/app'], timesRestored: ['/var/cache'] });
    const diff = filterMountChanges(diffSnapshots(before, takeSnapshot(root, ignore)), before, takeSnapshot(root, ignore), excl);
    expect(diff).toEqual({ changed: [], deleted: [], replacedDirs: [] });

    const second = await prepareMounts({ root, mounts: m, settings, logger: silentLogger, what: 'RUN' });
    expect(readFileSync(join(root, 'var/cache/app/cached'), 'utf8')).toBe('one');
    await second.release();
  });

  it('creates a missing target and its parents for the command and removes them after', async () => {
    const { root, settings } = setup();
    const ignore = new IgnoreList();
    const before = takeSnapshot(root, ignore);
    const p = await prepareMounts({ root, mounts: [cache('/root/.cache/pip', { mode: 0o700 })], settings, logger: silentLogger, what: 'RUN' });
    expect(statSync(join(root, 'root/.cache/pip')).mode & 0o7777).toBe(0o700);
    const excl = await p.release();
    expect(existsSync(join(root, 'root'))).toBe(false);
    const after = takeSnapshot(root, ignore);
    expect(filterMountChanges(diffSnapshots(before, after), before, after, excl).changed).toEqual([]);
  });

  it('writes a secret file with mode 0400 and an env secret, removes the file after', async () => {
    const { root, settings } = setup();
    const mounts: Mount[] = [
      { type: 'secret', spec: 'id=tok', id: 'tok', required: true, readonly: true, uid, gid },
      { type: 'secret', spec: 'id=envtok,env=TOKEN', id: 'envtok', env: 'TOKEN', required: true, readonly: true },
      { type: 'secret', spec: 'id=missing', id: 'missing', required: false, readonly: true },
    ];
    const p = await prepareMounts({ root, mounts, settings, logger: silentLogger, what: 'RUN' });
    const file = join(root, 'run/secrets/tok');
    expect(readFileSync(file, 'utf8')).toBe('s3cr3t');
    expect(lstatSync(file).mode & 0o777).toBe(0o400);
    expect(p.env).toEqual(['TOKEN=e-value']);
    await p.release();
    expect(existsSync(join(root, 'run'))).toBe(false);
  });

  it('fails clearly on a missing required secret and leaves nothing behind', async () => {
    const { root, settings } = setup();
    const mounts: Mount[] = [
      { type: 'tmpfs', spec: 'type=tmpfs,target=/scratch', target: '/scratch', readonly: false },
      { type: 'secret', spec: 'id=nope,required', id: 'nope', required: true, readonly: true },
    ];
    await expect(prepareMounts({ root, mounts, settings, logger: silentLogger, what: 'RUN' })).rejects.toThrow(/secret "nope" is required/);
    expect(existsSync(join(root, 'scratch'))).toBe(false);
  });

  it('copies a bind source from the context without ignored files, and tmpfs is an empty 1777 dir', async () => {
    const { root, ctx, settings } = setup();
    const mounts: Mount[] = [
      { type: 'bind', spec: 'target=/src', target: '/src', source: 'src', readonly: true },
      { type: 'tmpfs', spec: 'type=tmpfs,target=/src/tmp', target: '/src/tmp', readonly: false },
    ];
    const p = await prepareMounts({ root, mounts, settings, logger: silentLogger, what: 'RUN' });
    expect(readFileSync(join(root, 'src/a.txt'), 'utf8')).toBe('a');
    expect(existsSync(join(root, 'src/ignored.txt'))).toBe(false);
    expect(statSync(join(root, 'src/tmp')).mode & 0o7777).toBe(0o1777);
    writeFileSync(join(root, 'src/a.txt'), 'changed');
    const excl = await p.release();
    expect(readFileSync(join(ctx, 'src/a.txt'), 'utf8')).toBe('a');
    expect(existsSync(join(root, 'src'))).toBe(false);
    expect(excl.mounted.sort()).toEqual(['/src', '/src/tmp']);
  });

  it('refuses a bind source outside the context', async () => {
    const { root, settings } = setup();
    const mounts: Mount[] = [{ type: 'bind', spec: 'target=/x,source=../..', target: '/x', source: '../../etc', readonly: true }];
    await expect(prepareMounts({ root, mounts, settings, logger: silentLogger, what: 'RUN' })).rejects.toThrow(/not found|outside/);
  });

  it('follows a link at the target inside the root', async () => {
    const { root, settings } = setup();
    const { symlinkSync } = await import('node:fs');
    symlinkSync('/var/cache', join(root, 'cachelink'));
    const p = await prepareMounts({ root, mounts: [cache('/cachelink/app')], settings, logger: silentLogger, what: 'RUN' });
    expect(existsSync(join(root, 'var/cache/app/from-image'))).toBe(false);
    const excl = await p.release();
    expect(excl.mounted).toEqual(['/var/cache/app']);
    expect(existsSync(join(root, 'var/cache/app/from-image'))).toBe(true);
  });
});

describe('prepareMounts when the command removes a directory above a mount', () => {
  it('releases without error', async () => {
    const { root, settings } = setup();
    const p = await prepareMounts({ root, mounts: [cache('/var/cache/app')], settings, logger: silentLogger, what: 'RUN' });
    rmSync(join(root, 'var/cache'), { recursive: true, force: true });
    const excl = await p.release();
    expect(excl.mounted).toEqual(['/var/cache/app']);
    expect(existsSync(join(root, 'var/cache'))).toBe(false);
    const again = await prepareMounts({ root, mounts: [cache('/var/cache/app')], settings, logger: silentLogger, what: 'RUN' });
    expect(existsSync(join(root, 'var/cache/app'))).toBe(true);
    await again.release();
  });
});

describe('prepareMounts at a target that is a link', () => {
  it('mounts where the link leads and leaves the link and its directory as they were', async () => {
    const { root, settings } = setup();
    const { symlinkSync } = await import('node:fs');
    mkdirSync(join(root, 'opt'));
    symlinkSync('/var/cache/app', join(root, 'opt/data'));
    const ignore = new IgnoreList();
    const before = takeSnapshot(root, ignore);
    const p = await prepareMounts({ root, mounts: [cache('/opt/data')], settings, logger: silentLogger, what: 'RUN' });
    expect(existsSync(join(root, 'var/cache/app/from-image'))).toBe(false);
    const excl = await p.release();
    expect(excl).toEqual({ mounted: ['/var/cache/app'], timesRestored: ['/var/cache'] });
    const after = takeSnapshot(root, ignore);
    expect(filterMountChanges(diffSnapshots(before, after), before, after, excl).changed).toEqual([]);
    expect(lstatSync(join(root, 'opt/data')).isSymbolicLink()).toBe(true);
  });
});

describe('prepareMounts under the kernel filesystems', () => {
  it('leaves a tmpfs at /dev/shm to the runtime and refuses other mounts there', async () => {
    const { root, settings } = setup();
    const ok = await prepareMounts({ root, mounts: [{ type: 'tmpfs', spec: 'type=tmpfs,target=/dev/shm', target: '/dev/shm', readonly: false }], settings, logger: silentLogger, what: 'RUN' });
    expect(existsSync(join(root, 'dev'))).toBe(false);
    expect(await ok.release()).toEqual({ mounted: [], timesRestored: [] });
    await expect(prepareMounts({ root, mounts: [cache('/proc/x')], settings, logger: silentLogger, what: 'RUN' })).rejects.toThrow(/under \/dev, \/proc or \/sys/);
  });
});
