// The container mode (root "/", kaniko's model) end to end, never over this machine's "/": each
// build runs /kaniko/executor in a throwaway executor container (test/helpers/container-root.ts):
// a private mount + pid namespace pivoted into its own rootfs, the old root detached before the
// executor starts. Issue 5: both modes give the same layers; multi-stage cleanup keeps /kaniko
// and the context; a failing RUN exits with its code; the host stays untouched.
import { createReadStream, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createContainerRoot, mountsUnder, prepareKanikoDir, removeContainerRoot, runInContainerRoot, type ContainerRoot, type ContainerRunResult } from '../helpers/container-root.ts';
import { testEnv, type TestEnv } from '../helpers/testenv.ts';
import { build, fixtures, inspectConfig, inspectRaw, repoRoot, sh, tempDir, unpack } from './build-support.ts';

let env: TestEnv;
let templateDir: string;
let kaniko: string;
let n = 0;
beforeAll(() => {
  env = testEnv();
  templateDir = mkdtempSync(path.join(os.tmpdir(), 'kiln-container-kaniko-'));
  kaniko = prepareKanikoDir(templateDir, repoRoot);
});
afterAll(() => {
  if (templateDir !== undefined) rmSync(templateDir, { recursive: true, force: true });
});

const dest = (name: string): string => `${env.plain.host}/kiln/e2e-container-${name}:t${++n}-${process.pid}`;
const push = (destination: string): string[] => ['--destination', destination, '--insecure', '--insecure-pull', '--reproducible'];

interface ContainerBuild extends ContainerRunResult {
  root: ContainerRoot;
}

/** Build `fixture` with /kaniko/executor in a fresh container root (the :debug image with `debug`); the context is /workspace. */
function containerBuild(fixture: string, args: string[], o: { after?: string; debug?: boolean } = {}): ContainerBuild {
  const root = createContainerRoot({ kaniko, context: path.join(fixtures, fixture), parent: tempDir('kiln-container-'), debug: o.debug === true });
  onTestFinished(() => removeContainerRoot(root));
  const r = runInContainerRoot(root, ['--context', 'dir:///workspace', '--dockerfile', 'Dockerfile', ...args], o.after === undefined ? {} : { after: o.after });
  expect(mountsUnder(root.dir), 'the namespace left mounts on the host').toEqual([]);
  expect(readFileSync(root.canary, 'utf8')).toBe(root.canaryText);
  return { ...r, root };
}

const diffIds = (ref: string): string[] => inspectConfig(ref).rootfs.diff_ids as string[];

/** `tar -tv` of the last layer of an image: type, mode, owner, size, time and name per entry. */
function lastLayerEntries(ref: string): string[] {
  const dir = tempDir('kiln-container-layer-');
  sh('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `dir:${dir}/img`]);
  const manifest = JSON.parse(readFileSync(`${dir}/img/manifest.json`, 'utf8')) as { layers: { digest: string }[] };
  const blob = `${dir}/img/${(manifest.layers.at(-1)?.digest ?? '').replace(/^sha256:/, '')}`;
  return sh('tar', ['-tzvf', blob, '--numeric-owner', '--full-time']).trim().split('\n');
}

/** The PAX xattr records of each entry of an image's last layer, by name. */
async function lastLayerPax(ref: string): Promise<Record<string, Record<string, string>>> {
  const dir = tempDir('kiln-container-layer-');
  sh('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `dir:${dir}/img`]);
  const manifest = JSON.parse(readFileSync(`${dir}/img/manifest.json`, 'utf8')) as { layers: { digest: string }[] };
  const blob = `${dir}/img/${(manifest.layers.at(-1)?.digest ?? '').replace(/^sha256:/, '')}`;
  const out: Record<string, Record<string, string>> = {};
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const xattrs = Object.entries(header.pax ?? {}).filter(([k]) => k.startsWith('SCHILY.xattr.'));
    if (xattrs.length > 0) out[header.name] = Object.fromEntries(xattrs);
    stream.on('end', next);
    stream.resume();
  });
  await pipeline(createReadStream(blob), createGunzip(), extract);
  return out;
}

describe('container mode: /kaniko/executor over "/" in a pivoted private namespace', () => {
  it('gives the same layers as the host mode (--root-dir): busybox base, COPY, RUN adding, changing and deleting files, WORKDIR, USER', () => {
    const fixture = 'container-mode';
    const base = ['--build-arg', `BASE=${env.images.busybox.v2s2}`];
    const hostRef = dest('host');
    const h = build(fixture, [...base, ...push(hostRef)]);
    expect(h.code, h.stderr).toBe(0);
    const containerRef = dest('container');
    const c = containerBuild(fixture, [...base, ...push(containerRef)], { after: 'cat /home/appuser/note; ls -A /' });
    expect(c.code, c.stderr).toBe(0);
    // The build happened in the container's "/": its files are there, next to Kiln's own.
    const [note, ...top] = c.after.trim().split('\n');
    expect(note).toBe('1234 /home/appuser /home/appuser');
    expect(top).toEqual(expect.arrayContaining(['app', 'data', 'home', 'kaniko', 'workspace']));

    const want = diffIds(hostRef);
    expect(want).toHaveLength(inspectRaw(env.images.busybox.v2s2).layers.length + 7); // WORKDIR /app, 3 COPY, 3 RUN
    expect(diffIds(containerRef)).toEqual(want);
    // Same layers, same config: the same image.
    expect(sh('skopeo', ['inspect', '--tls-verify=false', '--format', '{{.Digest}}', `docker://${containerRef}`]))
      .toBe(sh('skopeo', ['inspect', '--tls-verify=false', '--format', '{{.Digest}}', `docker://${hostRef}`]));

    const rootfs = unpack(containerRef);
    expect(readFileSync(`${rootfs}/app/hello.txt`, 'utf8')).toBe('hello\nchanged\n');
    expect(readFileSync(`${rootfs}/home/appuser/note`, 'utf8')).toBe('1234 /home/appuser /home/appuser\n');
    const owned = statSync(`${rootfs}/app/owned.txt`);
    expect([owned.uid, owned.gid, owned.mode & 0o7777]).toEqual([1000, 2000, 0o640]);
    expect(statSync(`${rootfs}/data/keep/file`).mode & 0o7777).toBe(0o600);
    expect(lstatSync(`${rootfs}/data/link`).isSymbolicLink()).toBe(true);
    expect(statSync(`${rootfs}/tmp/mine/y`).uid).toBe(1234);
    for (const gone of ['data/gone', 'etc/group', 'app/dir/sub']) expect(existsSync(`${rootfs}/${gone}`), gone).toBe(false);
    // Nothing of the executor container leaks into the image.
    for (const p of ['kaniko', 'workspace', '.dockerenv', '.oldroot', 'etc/resolv.conf', 'etc/hosts']) {
      expect(existsSync(`${rootfs}/${p}`), p).toBe(false);
    }
    // The base's /etc/hostname, not the container's nor what the RUN wrote (a mount point there:
    // never extracted over or snapshotted; the host mode binds a private copy for each command).
    expect(readFileSync(`${rootfs}/etc/hostname`, 'utf8')).toBe('kiln\n');
  });

  it('gives the same layers as the host mode on the Debian base, and apt-get works from inside', () => {
    const fixture = 'container-debian';
    const args = [
      '--build-arg', `BASE=${env.images.debian.v2s2}`,
      '--build-arg', `APT_PORT=${env.aptRepo.port}`, '--build-arg', `APT_KEY=${env.aptRepo.keyBase64}`,
    ];
    const hostRef = dest('debian-host');
    const h = build(fixture, [...args, ...push(hostRef)]);
    expect(h.code, h.stderr).toBe(0);
    const containerRef = dest('debian-container');
    const c = containerBuild(fixture, [...args, ...push(containerRef)], { after: 'cat /out.txt' });
    expect(c.code, c.stderr).toBe(0);
    expect(c.after).toContain(env.aptRepo.helloOutput.trim());

    const want = diffIds(hostRef);
    const got = diffIds(containerRef);
    expect(got).toHaveLength(want.length);
    // Every layer but apt's is byte-identical; apt's caches and logs hold the time of the run,
    // so that one is compared entry by entry (names, types, modes, owners, sizes, times).
    expect(got.slice(0, -1)).toEqual(want.slice(0, -1));
    expect(lastLayerEntries(containerRef)).toEqual(lastLayerEntries(hostRef));
  });

  it('FROM scratch: COPY into /etc (where the container has its mount points), /tmp and /usr gives the host mode\'s layers', () => {
    const hostRef = dest('scratch-host');
    const h = build('container-scratch', push(hostRef));
    expect(h.code, h.stderr).toBe(0);
    const containerRef = dest('scratch-container');
    const c = containerBuild('container-scratch', push(containerRef));
    expect(c.code, c.stderr).toBe(0);
    expect(diffIds(containerRef)).toHaveLength(3);
    expect(diffIds(containerRef)).toEqual(diffIds(hostRef));
    expect(lastLayerEntries(containerRef).map((l) => l.split(/\s+/).at(-1))).toEqual(['usr/', 'usr/f']);
  });

  it('--cache: a build whose steps all hit the layer cache (cached layers unpacked over "/") gives the host mode\'s layers', () => {
    const fixture = 'container-mode';
    const cacheRepo = `${env.plain.host}/kiln/e2e-container-cache-${process.pid}-${Date.now()}`;
    const args = ['--build-arg', `BASE=${env.images.busybox.v2s2}`, '--cache=true', `--cache-repo=${cacheRepo}`];
    const warm = containerBuild(fixture, [...args, '--no-push', '--insecure-pull', '--reproducible']);
    expect(warm.code, warm.stderr).toBe(0);
    const containerRef = dest('cached-container');
    const c = containerBuild(fixture, [...args, ...push(containerRef)]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).toContain('Using caching version of cmd: RUN echo "$(id -u) $HOME $(pwd)" > note');
    const hostRef = dest('cached-host');
    const h = build(fixture, [...args, ...push(hostRef)]);
    expect(h.code, h.stderr).toBe(0);
    expect(diffIds(containerRef)).toEqual(diffIds(hostRef));
  });

  it('multi-stage (the :debug image): COPY --from an earlier stage works, the stage cleanup removes its files and keeps /kaniko, /workspace and the /busybox volume', () => {
    const fixture = 'container-multistage';
    const base = ['--build-arg', `BASE=${env.images.busybox.v2s2}`];
    const containerRef = dest('stages');
    const c = containerBuild(fixture, [...base, ...push(containerRef)], {
      debug: true,
      after: 'ls -A /kaniko; echo =; ls -A /kaniko/bin; echo =; ls -A /kaniko/tmp; echo =; ls -A /workspace; echo =; ls -A /; echo =; /busybox/sh -c "echo busybox shell works"',
    });
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toContain('from the builder'); // the final stage's RUN found stage 0's files gone
    const [kanikoTop, kanikoBin, kanikoTmp, workspace, top, shell] = c.after.split('=\n').map((s) => s.trim().split('\n').filter((l) => l !== ''));
    expect(kanikoTop).toEqual(readdirSync(kaniko).sort());
    expect(kanikoBin).toEqual(readdirSync(`${kaniko}/bin`).sort());
    expect(kanikoTmp).toEqual([]); // the work directory is gone after the build
    expect(workspace).toEqual(['Dockerfile', 'hello.txt']);
    expect(top).toContain('opt');
    expect(shell).toEqual(['busybox shell works']); // a CI job's shell outlives the build
    for (const gone of ['src', 'out']) expect(top, gone).not.toContain(gone);
    // The context on the host side is intact, byte for byte.
    expect(readFileSync(`${c.root.rootfs}/workspace/hello.txt`, 'utf8')).toBe(readFileSync(`${fixtures}/${fixture}/hello.txt`, 'utf8'));
    expect(statSync(`${c.root.rootfs}/kaniko/bin/node`).size).toBe(statSync(`${kaniko}/bin/node`).size);

    const hostRef = dest('stages-host');
    const h = build(fixture, [...base, ...push(hostRef)]);
    expect(h.code, h.stderr).toBe(0);
    expect(diffIds(containerRef)).toEqual(diffIds(hostRef));
    const rootfs = unpack(containerRef);
    const built = statSync(`${rootfs}/opt/out/sub/built`);
    expect(built.mode & 0o7777).toBe(0o750);
    expect(statSync(`${rootfs}/opt/out/hardlink`).ino).toBe(statSync(`${rootfs}/opt/out/greeting`).ino);
    expect(readFileSync(`${rootfs}/opt/final`, 'utf8')).toBe('final\n');
    for (const gone of ['src', 'out']) expect(existsSync(`${rootfs}/${gone}`), gone).toBe(false);
  });

  it('a second build in the same container after a multi-stage one is not refused: the stage cleanup keeps /.dockerenv', () => {
    const args = ['--build-arg', `BASE=${env.images.busybox.v2s2}`, '--no-push', '--insecure-pull'];
    const first = containerBuild('container-multistage', args, { after: 'ls -A /' });
    expect(first.code, first.stderr).toBe(0);
    expect(first.after.split('\n')).toContain('.dockerenv');
    const second = runInContainerRoot(first.root, ['--context', 'dir:///workspace', '--dockerfile', 'Dockerfile', ...args]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('from the builder');
  });

  it('--cleanup empties "/" but for the ignore list, so the next build in the same container gives the host mode\'s layers', () => {
    const fixture = 'container-mode';
    const args = ['--build-arg', `BASE=${env.images.busybox.v2s2}`];
    const first = containerBuild(fixture, [...args, '--no-push', '--insecure-pull', '--cleanup'], { after: 'ls -A /' });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('Deleting filesystem...');
    expect(first.after.trim().split('\n')).toEqual(['.dockerenv', 'dev', 'etc', 'kaniko', 'proc', 'sys', 'var', 'workspace']);
    const containerRef = dest('cleanup-container');
    const second = runInContainerRoot(first.root, ['--context', 'dir:///workspace', '--dockerfile', 'Dockerfile', ...args, ...push(containerRef)]);
    expect(second.code, second.stderr).toBe(0);
    const hostRef = dest('cleanup-host');
    const h = build(fixture, [...args, ...push(hostRef)]);
    expect(h.code, h.stderr).toBe(0);
    expect(diffIds(containerRef)).toEqual(diffIds(hostRef));
  });

  it('COPY into the build context at /workspace is refused before it writes (the context stays intact); with the context elsewhere it builds, COPY and RUN layers equal to the host mode\'s', () => {
    const fixture = 'container-workdir-workspace';
    const args = ['--build-arg', `BASE=${env.images.busybox.v2s2}`];
    const refused = containerBuild(fixture, [...args, '--no-push', '--insecure-pull']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('COPY hello.txt .: the destination /workspace is inside the build context (/workspace)');
    expect(readFileSync(`${refused.root.rootfs}/workspace/hello.txt`, 'utf8')).toBe(readFileSync(`${fixtures}/${fixture}/hello.txt`, 'utf8'));
    expect(readdirSync(`${refused.root.rootfs}/workspace`).sort()).toEqual(['Dockerfile', 'hello.txt']);

    const hostRef = dest('ws-host');
    const h = build(fixture, [...args, ...push(hostRef)]);
    expect(h.code, h.stderr).toBe(0);
    const root = createContainerRoot({ kaniko, context: path.join(fixtures, fixture), contextAt: '/context', parent: tempDir('kiln-container-') });
    onTestFinished(() => removeContainerRoot(root));
    const containerRef = dest('ws-container');
    const c = runInContainerRoot(root, ['--context', 'dir:///context', '--dockerfile', 'Dockerfile', ...args, ...push(containerRef)]);
    expect(c.code, c.stderr).toBe(0);
    // One known difference: the executor image has /workspace (its WORKDIR), so in the container
    // `WORKDIR /workspace` finds it and makes no layer, where the host mode creates it. The
    // COPY and RUN layers (which carry workspace/ as a parent) are byte-identical.
    const host = diffIds(hostRef);
    expect(diffIds(containerRef)).toEqual(host.filter((_, i) => i !== host.length - 3));
    expect(readFileSync(`${unpack(containerRef)}/workspace/hello.txt`, 'utf8')).toBe('hello\nmore\n');
  });

  it('a failing RUN exits with the command\'s exit code and names the step; no digest file', () => {
    const c = containerBuild('failing-run', ['--build-arg', `BASE=${env.images.busybox.v2s2}`, ...push(dest('failing')), '--digest-file', '/kaniko/digest']);
    expect(c.code).toBe(42);
    expect(c.stdout).toContain('before');
    expect(c.stdout).not.toContain('never');
    expect(c.stderr).toContain('running "echo before && exit 42" (Dockerfile:3): exit code 42');
    expect(existsSync(`${c.root.rootfs}/kaniko/digest`)).toBe(false);
  });

  it('the host stays untouched: a RUN cannot see the host canary or the old root, and "/" is the container\'s', () => {
    const mark = `kiln-container-mark-${process.pid}-${Date.now()}`;
    const ref = dest('canary');
    const root = createContainerRoot({ kaniko, context: path.join(fixtures, 'container-canary'), parent: tempDir('kiln-container-') });
    onTestFinished(() => removeContainerRoot(root));
    const before = statSync(root.canary);
    const r = runInContainerRoot(root, [
      '--context', 'dir:///workspace', '--dockerfile', 'Dockerfile', '--build-arg', `BASE=${env.images.busybox.v2s2}`,
      '--build-arg', `CANARY=${root.canary}`, '--build-arg', `MARK=${mark}`, ...push(ref),
    ], { after: `cat /${mark}; test ! -e ${root.canary} && echo no-canary` });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('canary unreachable');
    expect(r.after).toBe(`${mark}\nno-canary\n`);
    // The file the build wrote to "/" is in the container's root only.
    expect(readFileSync(`${root.rootfs}/${mark}`, 'utf8')).toBe(`${mark}\n`);
    expect(existsSync(`/${mark}`)).toBe(false);
    const after = statSync(root.canary);
    expect([after.mtimeMs, after.ctimeMs, after.mode, after.size]).toEqual([before.mtimeMs, before.ctimeMs, before.mode, before.size]);
    expect(readFileSync(root.canary, 'utf8')).toBe(root.canaryText);
    expect(mountsUnder(root.dir)).toEqual([]);
  });

  it('a malicious base layer cannot touch Kiln\'s files, the context or the mount points of the container', async () => {
    const { pushCraftedImage } = await import('./build-malicious.ts');
    const base = `${env.plain.host}/kiln/e2e-container-evil:${process.pid}`;
    await pushCraftedImage(base, [
      { name: 'kaniko/executor', type: 'file', content: 'pwned' },
      { name: 'workspace/Dockerfile', type: 'file', content: 'pwned' },
      { name: 'evil-k', type: 'symlink', linkname: '/kaniko' },
      { name: 'evil-k/bin/executor.mjs', type: 'file', content: 'pwned' },
      { name: 'evil-w', type: 'symlink', linkname: '/workspace/' },
      { name: 'evil-w/new', type: 'file', content: 'pwned' },
      { name: 'hl', type: 'link', linkname: 'kaniko/bin/node' },
      { name: 'etc/resolv.conf', type: 'file', content: 'pwned' },
      { name: 'proc/evil', type: 'file', content: 'pwned' },
      { name: 'dev/evil', type: 'file', content: 'pwned' },
      { name: '.wh.kaniko', type: 'file' },
      { name: 'workspace/.wh..wh..opq', type: 'file' },
    ]);
    const c = containerBuild('malicious', ['--build-arg', `BASE=${base}`, '--no-push', '--insecure-pull'], {
      after: 'head -c 5 /etc/resolv.conf; echo; ls -A /workspace; ls -A /kaniko; ls -A /kaniko/bin; ls /proc/evil /dev/evil 2>/dev/null; ls -A /evil-w/',
    });
    // Entries on ignored paths are skipped (kaniko does the same), the build goes on.
    expect(c.code, c.stderr).toBe(0);
    const resolv = readFileSync(path.join(c.root.dir, 'etc/resolv.conf'), 'utf8').slice(0, 5);
    // (the last 'Dockerfile': /evil-w is the layer's link to /workspace, and nothing was written through it)
    expect(c.after.split('\n')).toEqual([resolv, 'Dockerfile', ...readdirSync(kaniko).sort(), ...readdirSync(`${kaniko}/bin`).sort(), 'Dockerfile', '']);
    const r = c.root.rootfs;
    expect(readFileSync(`${r}/kaniko/executor`, 'utf8')).toBe(readFileSync(`${kaniko}/executor`, 'utf8'));
    expect(readFileSync(`${r}/kaniko/bin/executor.mjs`, 'utf8')).toBe(readFileSync(`${kaniko}/bin/executor.mjs`, 'utf8'));
    expect(readFileSync(`${r}/workspace/Dockerfile`, 'utf8')).toBe(readFileSync(`${fixtures}/malicious/Dockerfile`, 'utf8'));
    expect(statSync(`${r}/kaniko/bin/node`).nlink).toBe(1); // no hard link into Kiln's files
    expect(existsSync(`${r}/hl`)).toBe(false);
  });

  it('security.capability from a base layer reaches the RUN layer alike in both modes (user.* xattrs in neither)', async () => {
    const { pushCraftedImage } = await import('./build-malicious.ts');
    // VFS_CAP_REVISION_2 with the effective bit, cap_net_raw (13) permitted.
    const cap = String.fromCharCode(1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    const base = `${env.plain.host}/kiln/e2e-container-xattr:${process.pid}`;
    await pushCraftedImage(base, [
      { name: 'bin', type: 'directory' },
      { name: 'bin/busybox', type: 'file', mode: 0o755, content: readFileSync('/bin/busybox') },
      ...['sh', 'chmod', 'echo'].map((n) => ({ name: `bin/${n}`, type: 'symlink' as const, linkname: '/bin/busybox' })),
      { name: 'capped', type: 'file', mode: 0o755, content: 'x', pax: { 'SCHILY.xattr.security.capability': cap } },
      { name: 'noted', type: 'file', content: 'n\n', pax: { 'SCHILY.xattr.user.kiln': 'kept' } },
    ]);
    const hostRef = dest('xattr-host');
    const h = build('container-xattr', ['--build-arg', `BASE=${base}`, ...push(hostRef)]);
    expect(h.code, h.stderr).toBe(0);
    const containerRef = dest('xattr-container');
    const c = containerBuild('container-xattr', ['--build-arg', `BASE=${base}`, ...push(containerRef)]);
    expect(c.code, c.stderr).toBe(0);
    const want = await lastLayerPax(hostRef);
    // Layers carry security.capability only, as Docker's (executor/root/xattr.ts).
    expect(want).toEqual({ capped: { 'SCHILY.xattr.security.capability': cap } });
    expect(await lastLayerPax(containerRef)).toEqual(want);
    expect(diffIds(containerRef)).toEqual(diffIds(hostRef));
  });

  it('RUN --mount=type=cache without a /cache volume: no /cache in the layer (as the host mode), the caches kept under /kaniko', () => {
    const args = ['--build-arg', `BASE=${env.images.busybox.v2s2}`];
    const hostRef = dest('cache-host');
    const h = build('container-cache', [...args, ...push(hostRef), '--cache-mount-dir', path.join(tempDir(), 'mounts')]);
    expect(h.code, h.stderr).toBe(0);
    const containerRef = dest('cache-container');
    const c = containerBuild('container-cache', [...args, ...push(containerRef)], { after: 'ls -A /; echo =; ls /kaniko/cache-mounts' });
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).toContain('/cache/mounts does not exist in this container and creating /cache would put it into the image');
    const [top, caches] = c.after.split('=\n').map((t) => t.trim().split('\n'));
    expect(top).not.toContain('cache');
    expect(caches).toHaveLength(1);
    expect(lastLayerEntries(containerRef).map((l) => l.split(/\s+/).at(-1))).toEqual(['seen']);
    expect(diffIds(containerRef)).toEqual(diffIds(hostRef));
  });
});

