// Issue 6 end to end: multi-stage builds (COPY --from a stage, an index and an external image,
// --target, --skip-unused-stages), COPY/ADD destination rules, ONBUILD triggers, FROM --platform
// and the platform args, and the kaniko pain points (/tmp keeps 1777, --chown on created parents,
// mtimes across stages, an ARG changed between builds seen by WORKDIR and COPY, the context
// never deleted). dist/executor.js builds with --root-dir; skopeo and umoci check the results.
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testEnv, type TestEnv } from '../helpers/testenv.ts';
import { build, fixtures, inspectConfig, sh, tempDir, unpack } from './build-support.ts';

let env: TestEnv;
let n = 0;
beforeAll(() => {
  env = testEnv();
});
const dest = (name: string): string => `${env.plain.host}/kiln/e2e-ms-${name}:t${++n}-${process.pid}`;
const push = (destination: string): string[] => ['--destination', destination, '--insecure', '--insecure-pull'];
const stat3 = (p: string): [number, number, number] => {
  const s = lstatSync(p);
  return [s.uid, s.gid, s.mode & 0o7777];
};
const epoch = (iso: string): number => Date.parse(iso) / 1000;
/** The config blob as pushed (skopeo's parsed view drops OnBuild, which the OCI spec lacks). */
const rawConfig = (ref: string): Record<string, any> => JSON.parse(sh('skopeo', ['inspect', '--tls-verify=false', '--config', '--raw', `docker://${ref}`])) as Record<string, any>;

/** Every path under a directory with its size: what a canary check compares. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      out.push(`${path.relative(dir, p)}:${lstatSync(p).size}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

describe('multi-stage builds', () => {
  it('--target with --skip-unused-stages: COPY --from a stage name, an index and an image keeps modes, owners, mtimes and hardlinks; the context survives', () => {
    const ctx = path.join(fixtures, 'multistage');
    const before = listing(ctx);
    const ref = dest('ms');
    const r = build('multistage', ['--build-arg', `BASE=${env.images.busybox.v2s2}`, '--build-arg', `EXT=${env.images.busybox.oci}`, '--target', 'final', '--skip-unused-stages', ...push(ref)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('the unused stage ran');
    expect(listing(ctx)).toEqual(before); // a stage never deletes the build context
    expect(readFileSync(path.join(ctx, 'canary.txt'), 'utf8')).toBe('canary\n');

    const rootfs = unpack(ref);
    expect(readdirSync(rootfs).sort()).toEqual(['chowned', 'copied', 'ext', 'plain-passwd', 'single']);
    expect(readFileSync(`${rootfs}/plain-passwd`, 'utf8')).toMatch(/^root:/); // a stage without file steps is still unpacked for its readers
    const art = statSync(`${rootfs}/copied/art`);
    expect(stat3(`${rootfs}/copied/art`)).toEqual([12, 34, 0o4750]);
    expect(art.mtimeMs / 1000).toBe(epoch('2001-02-03T04:05:06Z'));
    expect(statSync(`${rootfs}/copied/sub/hard`).ino).toBe(art.ino); // hardlink kept across stages
    expect(readlinkSync(`${rootfs}/copied/sub/soft`)).toBe('../art');
    expect(statSync(`${rootfs}/copied/sub`).mtimeMs / 1000).toBe(epoch('2002-01-01T00:00:00Z'));
    expect(stat3(`${rootfs}/single`)).toEqual([12, 34, 0o4750]);
    expect(statSync(`${rootfs}/single`).mtimeMs / 1000).toBe(epoch('2001-02-03T04:05:06Z'));
    // --chown with COPY --from: the created destination directory and every entry
    expect(stat3(`${rootfs}/chowned`)).toEqual([7, 8, 0o755]);
    expect(stat3(`${rootfs}/chowned/hard`)).toEqual([7, 8, 0o4750]);
    expect(lstatSync(`${rootfs}/chowned/soft`).isSymbolicLink()).toBe(true);
    const bb = statSync(`${rootfs}/ext/busybox`);
    expect(bb.isFile() && (bb.mode & 0o111) !== 0 && bb.size > 100_000).toBe(true);
    const cfg = inspectConfig(ref);
    expect(cfg.history.map((h: { created_by: string }) => h.created_by)).toEqual([
      'ARG EXT',
      'COPY /out /copied/ # buildkit',
      'COPY /out/art /single # buildkit',
      'COPY /out/sub /chowned # buildkit',
      'COPY /bin/busybox /ext/busybox # buildkit',
      'COPY /etc/passwd /plain-passwd # buildkit',
    ]);
  });

  it('without --skip-unused-stages every stage up to the target is built (the broken one fails the build with its code)', () => {
    const r = build('multistage', ['--build-arg', `BASE=${env.images.busybox.v2s2}`, '--build-arg', `EXT=${env.images.busybox.oci}`, '--target', 'final', '--no-push', '--insecure-pull']);
    expect(r.stdout).toContain('the unused stage ran');
    expect(r.code).toBe(3);
  });

  it('FROM --platform=$BUILDPLATFORM runs a tool stage natively and copies into a --custom-platform image; the platform args are set', () => {
    const out = tempDir();
    const r = build('from-platform', ['--build-arg', `BASE=${env.images.busybox.multi}`, '--custom-platform', 'linux/arm64', '--no-push', '--insecure-pull', '--oci-layout-path', `${out}/oci`]);
    expect(r.code, r.stderr).toBe(0);
    const cfg = JSON.parse(sh('skopeo', ['inspect', '--config', `oci:${out}/oci`])) as { architecture: string; os: string };
    expect([cfg.os, cfg.architecture]).toEqual(['linux', 'arm64']);
    sh('skopeo', ['copy', '--quiet', `oci:${out}/oci`, `oci:${out}/tagged:t`]);
    sh('umoci', ['unpack', '--image', `${out}/tagged:t`, `${out}/bundle`]);
    expect(readFileSync(`${out}/bundle/rootfs/plat`, 'utf8')).toBe('linux/amd64 -> linux/arm64 (arm64)\n');
  });
});

describe('COPY destination rules', () => {
  it('/tmp keeps 1777, --chown owns the parents it creates, links stay links, globs, --parents, --exclude, symbolic --chmod, .dockerignore, WORKDIR', () => {
    const ref = dest('copy');
    const r = build('copy-rules', ['--build-arg', `BASE=${env.images.busybox.v2s2}`, ...push(ref)]);
    expect(r.code, r.stderr).toBe(0);
    const rootfs = unpack(ref);
    const ctx = path.join(fixtures, 'copy-rules');
    expect(stat3(`${rootfs}/tmp`)).toEqual([0, 0, 0o1777]);
    expect(stat3(`${rootfs}/tmp/x`)).toEqual([0, 0, 0o644]);
    expect(Math.floor(statSync(`${rootfs}/tmp/x`).mtimeMs / 1000)).toBe(Math.floor(statSync(`${ctx}/x`).mtimeMs / 1000));
    expect(stat3(`${rootfs}/etc`)).toEqual([0, 0, 0o755]);
    expect(stat3(`${rootfs}/etc/new`)).toEqual([1000, 1000, 0o755]);
    expect(stat3(`${rootfs}/etc/new/deep`)).toEqual([1000, 1000, 0o755]);
    expect(stat3(`${rootfs}/etc/new/deep/x`)).toEqual([1000, 1000, 0o644]);
    expect(stat3(`${rootfs}/srv`)).toEqual([1000, 1000, 0o755]);
    expect(stat3(`${rootfs}/srv/d`)).toEqual([1000, 1000, 0o755]);
    expect(stat3(`${rootfs}/srv/d/file`)).toEqual([1000, 1000, 0o644]);
    expect(readdirSync(`${rootfs}/srv/d`).sort()).toEqual(['file', 'ln']); // ignored.tmp: .dockerignore
    expect(readlinkSync(`${rootfs}/srv/d/ln`)).toBe('file');
    expect(lstatSync(`${rootfs}/links/ln`).isFile()).toBe(true); // a named (globbed) link is followed
    expect(readFileSync(`${rootfs}/links/ln`, 'utf8')).toBe('file\n');
    expect(readdirSync(`${rootfs}/par`)).toEqual(['a']);
    expect(readdirSync(`${rootfs}/par/a`)).toEqual(['1.txt']);
    expect(readdirSync(`${rootfs}/ex`)).toEqual(['1.txt']);
    expect(stat3(`${rootfs}/chm/x`)).toEqual([0, 0, 0o744]);
    expect(readFileSync(`${rootfs}/globbed/f.conf`, 'utf8')).toBe('conf\n');
    expect(readFileSync(`${rootfs}/w/rel/x`, 'utf8')).toBe('x\n');
  });
});

describe('ARG changes between builds', () => {
  it('WORKDIR $D and COPY f $D/ see a changed --build-arg, with the layer cache on', () => {
    const cache = tempDir();
    const flags = ['--build-arg', `BASE=${env.images.busybox.v2s2}`, '--cache', '--cache-repo', `oci:${cache}/cache`];
    const a = dest('arg');
    expect(build('arg-change', [...flags, ...push(a)]).code).toBe(0);
    const b = dest('arg');
    const r = build('arg-change', [...flags, '--build-arg', 'D=/b', ...push(b)]);
    expect(r.code, r.stderr).toBe(0);
    expect(inspectConfig(a).config.WorkingDir).toBe('/a');
    expect(inspectConfig(b).config.WorkingDir).toBe('/b');
    const rootfs = unpack(b);
    expect(readFileSync(`${rootfs}/b/f`, 'utf8')).toBe('f\n');
    expect(existsSync(`${rootfs}/a`)).toBe(false);
    expect(readFileSync(`${rootfs}/listing`, 'utf8')).toBe('f\n');
  });
});

describe('ONBUILD', () => {
  it("a base image's triggers run first in the stage built on it, recorded in the history; the result has no triggers", () => {
    const base = dest('onbuild-base');
    expect(build('onbuild-base', ['--build-arg', `BASE=${env.images.busybox.v2s2}`, ...push(base)]).code).toBe(0);
    expect(rawConfig(base).config.OnBuild).toEqual(['ARG WHO=trigger', 'RUN echo "built by $WHO" > /triggered', 'COPY f /from-trigger']);
    const child = dest('onbuild-child');
    const r = build('onbuild-child', ['--build-arg', `BASE=${base}`, ...push(child)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('built by trigger');
    const cfg = rawConfig(child);
    expect(cfg.config.OnBuild ?? null).toBeNull();
    expect(cfg.history.slice(-4).map((h: { created_by: string }) => h.created_by)).toEqual([
      'ARG WHO=trigger',
      'RUN |1 WHO=trigger /bin/sh -c echo "built by $WHO" > /triggered # buildkit',
      'COPY f /from-trigger # buildkit',
      'RUN |1 WHO=trigger /bin/sh -c cat /triggered # buildkit',
    ]);
    const rootfs = unpack(child);
    expect(readFileSync(`${rootfs}/from-trigger`, 'utf8')).toBe('f\n');
  });
});
