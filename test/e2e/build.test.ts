// The executor core end to end (issue 5): dist/executor.js builds fixture Dockerfiles with
// --root-dir on the test environment's busybox and Debian bases, pushes to its plain registry,
// and real clients (skopeo, umoci, podman) check what came out.
import { existsSync, lstatSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testEnv, type TestEnv } from '../helpers/testenv.ts';
import { build, fixtures, inspectConfig, inspectRaw, repoRoot, sh, tempDir, unpack } from './build-support.ts';

let env: TestEnv;
let n = 0;
beforeAll(() => {
  env = testEnv();
});
const dest = (name: string): string => `${env.plain.host}/kiln/e2e-build-${name}:t${++n}-${process.pid}`;
const flags = (base: string, destination: string): string[] => ['--build-arg', `BASE=${base}`, '--destination', destination, '--insecure', '--insecure-pull'];

describe('executor build (busybox base)', () => {
  it('builds, pushes and writes every output; config, history and file tree are as Docker makes them', () => {
    const out = tempDir();
    const ref = dest('basic');
    const r = build('basic', [
      ...flags(env.images.busybox.v2s2, ref), '--label', 'extra=from-flag',
      '--tar-path', `${out}/image.tar`, '--oci-layout-path', `${out}/oci`,
      '--digest-file', `${out}/digest`, '--image-name-with-digest-file', `${out}/name`, '--image-name-tag-with-digest-file', `${out}/name-tag`,
    ]);
    expect(r.stderr).toContain('Unpacking rootfs as cmd WORKDIR /app requires it.');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('run output on stdout');
    expect(r.stderr).toMatch(/INFO\[\d{4}\] RUN echo "\$GREETING/);
    expect(r.stderr).toContain('Taking snapshot of full filesystem...');

    const digest = readFileSync(`${out}/digest`, 'utf8');
    const manifest = inspectRaw(ref);
    expect(manifest.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(sh('skopeo', ['inspect', '--tls-verify=false', '--format', '{{.Digest}}', `docker://${ref}`]).trim()).toBe(digest);
    const repo = ref.slice(0, ref.lastIndexOf(':'));
    expect(readFileSync(`${out}/name`, 'utf8')).toBe(`${repo}@${digest}\n`);
    expect(readFileSync(`${out}/name-tag`, 'utf8')).toBe(`${ref}@${digest}\n`);

    const cfg = inspectConfig(ref);
    expect(cfg.config).toMatchObject({
      User: 'appuser',
      WorkingDir: '/app',
      Entrypoint: ['/bin/sh', '-c'],
      Cmd: ['cat /app/greeting'],
      StopSignal: 'SIGQUIT',
      ExposedPorts: { '8080/tcp': {}, '53/udp': {} },
      Labels: { 'org.example.name': 'kiln test', version: '1', extra: 'from-flag' },
    });
    expect(cfg.config.Env).toEqual(['PATH=/app/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'APP=/app']);
    const mine = (cfg.history as { created_by: string; empty_layer?: boolean }[]).slice(-15);
    expect(mine.map((h) => [h.created_by, h.empty_layer === true])).toEqual([
      ['ARG GREETING=hi', true],
      ['ENV APP=/app PATH=/app/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', true],
      ['LABEL org.example.name=kiln test version=1', true],
      ['WORKDIR /app', false],
      ['COPY hello.txt . # buildkit', false],
      ['COPY hello.txt owned.txt # buildkit', false],
      ['COPY dir /app/dir/ # buildkit', false],
      ['COPY run.sh bin/ # buildkit', false],
      ['RUN |1 GREETING=hi /bin/sh -c echo "$GREETING from $(id -un) in $(pwd)" > /app/greeting && echo "run output on stdout" && echo "appuser:x:1234:1234::/home/appuser:/bin/sh" >> /etc/passwd && mkdir -p /home/appuser # buildkit', false],
      ['USER appuser', true],
      ['RUN |1 GREETING=hi /bin/sh -c id -u > /tmp/whoami && echo "HOME=$HOME" >> /tmp/whoami # buildkit', false],
      ['EXPOSE map[53/udp:{} 8080/tcp:{}]', true],
      ['STOPSIGNAL SIGQUIT', true],
      ['ENTRYPOINT ["/bin/sh" "-c"]', true],
      ['CMD ["cat /app/greeting"]', true],
    ]);
    const layers = (cfg.history as { empty_layer?: boolean }[]).filter((h) => h.empty_layer !== true).length;
    expect(layers).toBe(manifest.layers.length);

    const rootfs = unpack(ref);
    const ctx = path.join(fixtures, 'basic');
    expect(readFileSync(`${rootfs}/app/greeting`, 'utf8')).toBe('hi from root in /app\n');
    expect(readFileSync(`${rootfs}/tmp/whoami`, 'utf8')).toBe('1234\nHOME=/home/appuser\n');
    const hello = statSync(`${rootfs}/app/hello.txt`);
    expect([hello.uid, hello.gid, hello.mode & 0o7777]).toEqual([0, 0, 0o644]);
    expect(Math.floor(hello.mtimeMs / 1000)).toBe(Math.floor(statSync(`${ctx}/hello.txt`).mtimeMs / 1000));
    const owned = statSync(`${rootfs}/app/owned.txt`);
    expect([owned.uid, owned.gid, owned.mode & 0o7777]).toEqual([1000, 2000, 0o640]);
    expect(statSync(`${rootfs}/app/bin/run.sh`).mode & 0o7777).toBe(0o755);
    expect(readFileSync(`${rootfs}/app/dir/sub/b`, 'utf8')).toBe('b\n');
    expect(existsSync(`${rootfs}/app/dir/ignored.log`)).toBe(false); // .dockerignore
    expect(statSync(`${rootfs}/tmp`).mode & 0o7777).toBe(0o1777);
    for (const p of ['proc', 'sys', 'dev']) expect(sh('ls', ['-A', `${rootfs}/${p}`]).trim()).toBe('');

    // --tar-path loads in skopeo and podman; --oci-layout-path is the same image.
    const fromTar = JSON.parse(sh('skopeo', ['inspect', `docker-archive:${out}/image.tar`])) as { Layers: string[]; Labels: Record<string, string> };
    expect(fromTar.Layers).toHaveLength(manifest.layers.length);
    expect(fromTar.Labels.extra).toBe('from-flag');
    const fromOci = JSON.parse(sh('skopeo', ['inspect', `oci:${out}/oci`])) as { Digest: string };
    expect(fromOci.Digest).toBe(digest);
  });

  it('a deleted file stays deleted: whiteouts in the RUN layer hide base and earlier files', () => {
    const ref = dest('whiteout');
    const r = build('whiteout', flags(env.images.busybox.v2s2, ref));
    expect(r.code, r.stderr).toBe(0);
    const rootfs = unpack(ref);
    expect(readFileSync(`${rootfs}/data/keep/file`, 'utf8')).toBe('1\n');
    expect(readFileSync(`${rootfs}/data/keep/other`, 'utf8')).toBe('later\n');
    for (const gone of ['data/gone', 'data/top', 'etc/group']) expect(existsSync(`${rootfs}/${gone}`), gone).toBe(false);
    expect(existsSync(`${rootfs}/etc/passwd`)).toBe(true);
  });

  it('a failing RUN exits with the command\'s exit code and names the step', () => {
    const never = `${tempDir()}/never`;
    const r = build('failing-run', [...flags(env.images.busybox.v2s2, dest('failing')), '--digest-file', never]);
    expect(r.code).toBe(42);
    expect(existsSync(never)).toBe(false); // digest files only after a successful push
    expect(r.stdout).toContain('before');
    expect(r.stdout).not.toContain('never');
    expect(r.stderr).toContain('running "echo before && exit 42" (Dockerfile:3): exit code 42');
  });

  it('a metadata-only Dockerfile never extracts the base, and --no-push with --tar-path needs no registry write', () => {
    const out = tempDir();
    const r = build('metadata-only', ['--build-arg', `BASE=${env.images.busybox.oci}`, '--no-push', '--insecure-pull', '--tar-path', `${out}/i.tar`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('Unpacking rootfs');
    const i = JSON.parse(sh('skopeo', ['inspect', '--config', `docker-archive:${out}/i.tar`])) as { config: { Env: string[]; Cmd: string[] } };
    expect(i.config.Cmd).toEqual(['echo', 'hi']);
    expect(i.config.Env).toContain('A=1');
  });

  it('a RUN that changes nothing makes no layer (the host mode\'s own mount points leave no trace)', () => {
    const ref = dest('noop');
    const r = build('run-noop', flags(env.images.busybox.v2s2, ref));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('No files changed in this command, skipping snapshotting.');
    const base = inspectRaw(env.images.busybox.v2s2);
    expect(inspectRaw(ref).layers).toHaveLength(base.layers.length);
    expect(inspectConfig(ref).history.at(-1)).toMatchObject({ created_by: 'RUN /bin/sh -c true # buildkit', empty_layer: true });
  });

  it('--custom-platform picks that platform from a multi-platform base and records it', () => {
    const out = tempDir();
    const r = build('metadata-only', ['--build-arg', `BASE=${env.images.busybox.multi}`, '--custom-platform', 'linux/arm64', '--no-push', '--insecure-pull', '--oci-layout-path', `${out}/oci`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Skipping unpacking as no commands require it.');
    const cfg = JSON.parse(sh('skopeo', ['inspect', '--config', `oci:${out}/oci`])) as { architecture: string; os: string };
    expect([cfg.os, cfg.architecture]).toEqual(['linux', 'arm64']);
  });

  it('--reproducible gives the same digest twice and epoch timestamps', () => {
    const a = tempDir();
    const b = tempDir();
    for (const out of [a, b]) {
      const r = build('metadata-only', ['--build-arg', `BASE=${env.images.busybox.v2s2}`, '--no-push', '--insecure-pull', '--reproducible', '--oci-layout-path', `${out}/oci`, '--digest-file', `${out}/d`]);
      expect(r.code, r.stderr).toBe(0);
    }
    expect(readFileSync(`${a}/d`, 'utf8')).toBe(readFileSync(`${b}/d`, 'utf8'));
    const cfg = JSON.parse(sh('skopeo', ['inspect', '--config', `oci:${a}/oci`])) as { created: string };
    expect(cfg.created).toBe('1970-01-01T00:00:00Z');
  });

  it('--single-snapshot makes one layer of every change; --ignore-path keeps a path out', () => {
    const ref = dest('single');
    const r = build('whiteout', [...flags(env.images.busybox.v2s2, ref), '--single-snapshot', '--ignore-path', '/data/keep']);
    expect(r.code, r.stderr).toBe(0);
    const m = inspectRaw(ref);
    expect(m.layers).toHaveLength(2); // the base and one snapshot
    const rootfs = unpack(ref);
    expect(existsSync(`${rootfs}/data/keep`)).toBe(false); // ignored: never snapshotted
    for (const gone of ['data/gone', 'data/top', 'etc/group']) expect(existsSync(`${rootfs}/${gone}`), gone).toBe(false);
    expect(existsSync(`${rootfs}/etc/passwd`)).toBe(true);
  });

  it('keeps the result media types of an OCI base', () => {
    const ref = dest('oci');
    const r = build('whiteout', flags(env.images.busybox.oci, ref));
    expect(r.code, r.stderr).toBe(0);
    const m = inspectRaw(ref);
    expect(m.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect((m.layers as { mediaType: string }[]).every((l) => l.mediaType === 'application/vnd.oci.image.layer.v1.tar+gzip')).toBe(true);
  });
});

describe('executor build with a warmed --cache-dir', () => {
  it('takes the base from the warmer\'s store and builds the same image as from the registry', () => {
    const cache = path.join(tempDir(), 'cache');
    sh(process.execPath, [path.join(repoRoot, 'dist/warmer.js'), '--image', env.images.busybox.v2s2, '--cache-dir', cache, '--insecure-pull']);
    const out = tempDir();
    const r = build('whiteout', ['--build-arg', `BASE=${env.images.busybox.v2s2}`, '--cache-dir', cache, '--no-push', '--insecure-pull', '--oci-layout-path', `${out}/oci`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Found \S+kiln\/busybox:v2s2 \(linux\/amd64\) in cache/);
    const cfg = JSON.parse(sh('skopeo', ['inspect', '--config', `oci:${out}/oci`])) as { rootfs: { diff_ids: string[] } };
    expect(cfg.rootfs.diff_ids).toHaveLength(4);
  });
});

describe('executor build push checks', () => {
  it('checks push permission before building: no credentials for the destination fails fast', () => {
    const r = build('whiteout', ['--build-arg', `BASE=${env.images.busybox.v2s2}`, '--insecure-pull', '--destination', `${env.tls.host}/kiln/e2e-denied:t`, '--registry-certificate', `${env.tls.host}=${env.tls.caFile}`], { env: { DOCKER_CONFIG: tempDir() } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/checking push permission for \S+kiln\/e2e-denied: .*401/);
    expect(r.stderr).not.toContain('Unpacking rootfs');
    expect(r.stderr).not.toContain('RUN mkdir');
  });
});

describe('executor build safety', () => {
  it('a malicious base layer cannot write outside the root: escapes are refused naming the layer and entry, links stay inside', async () => {
    const { pushCraftedImage } = await import('./build-malicious.ts');
    const outside = tempDir('kiln-canary-');
    const refused = [
      { name: 'dotdot', entries: [{ name: `../../../../../../../..${outside}/canary`, type: 'file' as const, content: 'pwned' }], entry: '../../' },
      { name: 'hardlink', entries: [{ name: 'hl', type: 'link' as const, linkname: `../../../../../../..${outside}/victim` }], entry: 'hl' },
    ];
    for (const c of refused) {
      const base = `${env.plain.host}/kiln/e2e-evil-${c.name}:${process.pid}`;
      const layer = await pushCraftedImage(base, c.entries);
      const r = build('malicious', ['--build-arg', `BASE=${base}`, '--no-push', '--insecure-pull']);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(layer);
      expect(r.stderr).toContain(c.entry);
      expect(sh('ls', ['-A', outside]).trim(), c.name).toBe('');
    }
    // A symlink to an absolute host path is followed only as if the root were "/": the file
    // lands inside the build root (and the image), never in the host directory.
    const base = `${env.plain.host}/kiln/e2e-evil-link:${process.pid}`;
    await pushCraftedImage(base, [
      { name: 'escape', type: 'symlink', linkname: outside },
      { name: 'escape/canary', type: 'file', content: 'pwned' },
    ]);
    const out = tempDir();
    const r = build('malicious', ['--build-arg', `BASE=${base}`, '--no-push', '--insecure-pull', '--tar-path', `${out}/i.tar`]);
    expect(r.code, r.stderr).toBe(0);
    expect(sh('ls', ['-A', outside]).trim()).toBe('');
  });
});

describe('executor build (Debian base)', () => {
  // apt talks only to the test environment's signed repository on 127.0.0.1 (RUN in host mode
  // shares the host's network namespace), never to a public mirror.
  const aptArgs = (key: string): string[] => ['--build-arg', `APT_PORT=${env.aptRepo.port}`, '--build-arg', `APT_KEY=${key}`];

  it('apt-get update and install from the loopback repository: the package, its dependency and the dpkg status are in the image', () => {
    const ref = dest('debian');
    const r = build('debian-apt', [...flags(env.images.debian.v2s2, ref), ...aptArgs(env.aptRepo.keyBase64)], { timeoutMs: 280_000 });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/Get:\d+ http:\/\/127\.0\.0\.1:\d+ \.\/ InRelease/);
    expect(r.stdout).toContain('Setting up kiln-hello (1.0)');

    const rootfs = unpack(ref);
    expect(readFileSync(`${rootfs}/out.txt`, 'utf8')).toBe(`${env.aptRepo.helloOutput}\n`);
    const hello = lstatSync(`${rootfs}/usr/bin/kiln-hello`);
    expect([hello.isFile(), hello.mode & 0o7777, hello.uid]).toEqual([true, 0o755, 0]);
    expect(existsSync(`${rootfs}/usr/share/kiln-hello/greeting`)).toBe(true);
    const status = readFileSync(`${rootfs}/var/lib/dpkg/status`, 'utf8').split('\n\n');
    for (const name of ['kiln-hello', 'kiln-hello-data']) {
      const entry = status.find((e) => e.startsWith(`Package: ${name}\n`));
      expect(entry, name).toContain('Status: install ok installed');
      expect(entry, name).toContain('Version: 1.0');
    }
    expect(readFileSync(`${rootfs}/var/lib/dpkg/info/kiln-hello.list`, 'utf8')).toContain('/usr/bin/kiln-hello\n');

    const served = readFileSync(env.aptRepo.accessLog, 'utf8');
    expect(served).toMatch(/^GET \S*\/InRelease 200$/m);
    expect(served).toMatch(/^GET \S*\/kiln-hello_1\.0_all\.deb 200$/m);
    const cfg = inspectConfig(ref);
    expect(cfg.history.at(-1).created_by).toMatch(/^RUN \|2 APT_PORT=\d+ APT_KEY=\S+ \/bin\/sh -c .*apt-get update .*apt-get install -y --no-install-recommends kiln-hello/);
  }, 300_000);

  it('apt refuses the repository when the key in signed-by is not the one that signed it', () => {
    // A real key, but not the one that signed: Debian's bookworm release key, from the host.
    const other = readFileSync('/usr/share/keyrings/debian-archive-bookworm-stable.gpg').toString('base64');
    const r = build('debian-apt', ['--build-arg', `BASE=${env.images.debian.v2s2}`, '--no-push', '--insecure-pull', ...aptArgs(other)], {
      timeoutMs: 280_000,
    });
    expect(r.code, r.stderr).toBe(100); // apt-get's exit code, passed on by the failed RUN
    expect(r.stdout + r.stderr).toMatch(/NO_PUBKEY|not signed|signatures couldn't be verified/);
    expect(r.stdout + r.stderr).not.toContain('Setting up kiln-hello');
  }, 300_000);
});
