// A throwaway "executor container" for testing Kiln's container mode (root "/", kaniko's model)
// without ever building over this machine's "/".
//
//   const kaniko = prepareKanikoDir(dir, repoRoot);       // once: Node + glibc under /kaniko, the bundle
//   const c = createContainerRoot({ kaniko, context, parent: dir });
//   const r = runInContainerRoot(c, ['--destination', ref, ...], { after: 'ls /kaniko' });
//   removeContainerRoot(c);
//
// The rootfs is what the executor image (images/executor/Dockerfile) plus Docker give a
// container: /kaniko (Node and git patched with patchelf to load their own glibc from
// /kaniko/lib, the launcher /kaniko/executor, the bundle /kaniko/bin/executor.mjs with the native
// xattr binding beside it, busybox for xz and bzip2, .docker/config.json, tmp),
// /workspace (the build context), /.dockerenv, and mount points for /proc, /dev, /sys and
// /etc/{resolv.conf,hosts,hostname}. The image's static /kaniko/bin/busybox also runs the
// harness's own shell inside.
//
// The executor runs in a private mount + pid namespace (host network: the loopback registry)
// that has pivoted into the rootfs and lazily unmounted the old root before the executor
// starts: no path inside reaches the host's files. The script checks that (a host canary path
// must not exist, no mount of the old root may remain) and fails with exit 99 otherwise.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Exit code of the in-namespace script when the old root is still reachable. */
export const ESCAPED_EXIT = 99;
const AFTER_MARK = '----kiln-container-after----';

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return r.stdout;
}

/** Copy what `bin` links (ldd) into `lib`, then point `bin` at /kaniko/lib's loader and libraries. */
function relocate(bin: string, lib: string, interp: string): void {
  for (const line of run('ldd', [bin]).split('\n')) {
    const m = /=>\s+(\/\S+)/.exec(line);
    const to = m?.[1] === undefined ? undefined : path.join(lib, path.basename(m[1]));
    if (m?.[1] !== undefined && to !== undefined && !existsSync(to)) copyFileSync(realpathSync(m[1]), to);
  }
  run('patchelf', ['--set-interpreter', `/kaniko/lib/${path.basename(interp)}`, '--set-rpath', '/kaniko/lib', bin]);
}

/**
 * Build `<dir>/kaniko` as images/executor/Dockerfile does: this Node binary and the glibc it
 * links under lib/, patchelf'd to use them (a base image extracted over "/" may replace /lib),
 * git relocated the same way, the bundle as bin/executor.mjs beside the native xattr binding,
 * a static busybox as bin/busybox (with xz and bzip2 links) and images/launcher.cjs as the
 * /kaniko/executor launcher. Returns the directory to copy into each container root.
 */
export function prepareKanikoDir(dir: string, repoRoot: string): string {
  const out = path.join(dir, 'kaniko');
  const lib = path.join(out, 'lib');
  for (const d of ['bin', 'lib', 'libexec/git-core', 'ssl/certs', '.docker', 'tmp']) mkdirSync(path.join(out, d), { recursive: true });
  chmodSync(path.join(out, 'tmp'), 0o1777);
  const node = realpathSync(process.execPath);
  const interp = run('patchelf', ['--print-interpreter', node]).trim();
  copyFileSync(realpathSync(interp), path.join(lib, path.basename(interp)));
  copyFileSync(node, path.join(out, 'bin/node'));
  relocate(path.join(out, 'bin/node'), lib, interp);
  copyFileSync('/usr/bin/git', path.join(out, 'bin/git'));
  relocate(path.join(out, 'bin/git'), lib, interp);
  for (const h of ['git-remote-http', 'git-remote-https']) {
    copyFileSync(`/usr/lib/git-core/${h}`, path.join(out, 'libexec/git-core', h));
    relocate(path.join(out, 'libexec/git-core', h), lib, interp);
  }
  copyFileSync(path.join(repoRoot, 'dist/executor.js'), path.join(out, 'bin/executor.mjs'));
  mkdirSync(path.join(out, 'bin/node_modules/@napi-rs'), { recursive: true });
  for (const m of ['xattr', 'xattr-linux-x64-gnu']) run('cp', ['-a', path.join(repoRoot, 'node_modules/@napi-rs', m), path.join(out, 'bin/node_modules/@napi-rs', m)]);
  copyFileSync(path.join(repoRoot, 'images/launcher.cjs'), path.join(out, 'executor'));
  chmodSync(path.join(out, 'executor'), 0o755);
  if (existsSync('/etc/ssl/certs/ca-certificates.crt')) copyFileSync('/etc/ssl/certs/ca-certificates.crt', path.join(out, 'ssl/certs/ca-certificates.crt'));
  writeFileSync(path.join(out, '.docker/config.json'), '{"auths":{}}\n');
  // Static: it also runs the harness's shell after the pivot, where the host's loader is gone.
  if (spawnSync('ldd', ['/bin/busybox'], { encoding: 'utf8' }).status === 0) throw new Error('/bin/busybox is not static: install busybox-static');
  copyFileSync('/bin/busybox', path.join(out, 'bin/busybox'));
  chmodSync(path.join(out, 'bin/busybox'), 0o755);
  for (const l of ['xz', 'bzip2']) symlinkSync('busybox', path.join(out, 'bin', l));
  return out;
}

export interface ContainerRoot {
  /** Host directory holding the rootfs and the harness's files. */
  readonly dir: string;
  /** The container's "/" as a host path. */
  readonly rootfs: string;
  /** A host file outside the rootfs that nothing inside may see or change. */
  readonly canary: string;
  readonly canaryText: string;
  /** Root-relative directories mounted onto themselves inside, as Docker mounts a VOLUME. */
  readonly volumes: readonly string[];
}

export interface ContainerRootOptions {
  /** What prepareKanikoDir returned. */
  kaniko: string;
  /** The build context, copied to /workspace (modes and mtimes kept), or to `contextAt`. */
  context: string;
  /** Where the context goes in the container (default /workspace, kaniko's). */
  contextAt?: string;
  /** Where the root's directory is made (a test's temp dir). */
  parent: string;
  /**
   * The :debug image: a static busybox as /busybox/busybox with a /busybox/sh link, /bin/sh
   * linked to it, and /busybox a VOLUME (images/executor/Dockerfile, as kaniko's).
   */
  debug?: boolean;
}

/** A fresh rootfs for one build (a build over "/" changes it: one root per build). */
export function createContainerRoot(o: ContainerRootOptions): ContainerRoot {
  const dir = mkdtempSync(path.join(o.parent, 'container-'));
  const rootfs = path.join(dir, 'rootfs');
  mkdirSync(rootfs, { mode: 0o755 });
  chmodSync(rootfs, 0o755);
  run('cp', ['-a', o.kaniko, path.join(rootfs, 'kaniko')]);
  const at = path.join(rootfs, o.contextAt ?? '/workspace');
  mkdirSync(path.join(rootfs, 'workspace'), { recursive: true }); // the image's WORKDIR
  mkdirSync(path.dirname(at), { recursive: true });
  if (at === path.join(rootfs, 'workspace')) rmSync(at, { recursive: true });
  run('cp', ['-a', o.context, at]);
  for (const d of ['proc', 'sys', 'dev', 'etc']) mkdirSync(path.join(rootfs, d), { mode: 0o755 });
  // No /tmp: the executor image (FROM scratch) has none; TMPDIR is /kaniko/tmp.
  writeFileSync(path.join(rootfs, '.dockerenv'), '', { mode: 0o755 });
  // Docker bind-mounts these files over empty placeholders: mount points inside the container.
  mkdirSync(path.join(dir, 'etc'));
  const etc: Record<string, string> = {
    'resolv.conf': existsSync('/etc/resolv.conf') ? readFileSync('/etc/resolv.conf', 'utf8') : 'nameserver 127.0.0.1\n',
    hosts: '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n',
    hostname: 'kiln-executor\n',
  };
  for (const [name, text] of Object.entries(etc)) {
    writeFileSync(path.join(dir, 'etc', name), text);
    writeFileSync(path.join(rootfs, 'etc', name), '');
  }
  if (o.debug === true) {
    mkdirSync(path.join(rootfs, 'busybox'));
    mkdirSync(path.join(rootfs, 'bin'));
    copyFileSync(path.join(o.kaniko, 'bin/busybox'), path.join(rootfs, 'busybox/busybox'));
    chmodSync(path.join(rootfs, 'busybox/busybox'), 0o755);
    symlinkSync('busybox', path.join(rootfs, 'busybox/sh'));
    symlinkSync('/busybox/sh', path.join(rootfs, 'bin/sh'));
  }
  const canaryText = `host canary ${path.basename(dir)}\n`;
  const canary = path.join(dir, 'canary');
  writeFileSync(canary, canaryText, { mode: 0o644 });
  return { dir, rootfs, canary, canaryText, volumes: o.debug === true ? ['/busybox'] : [] };
}

// Runs as pid 1 of the new namespaces, on the host's sh: mount, pivot, then hand over to the
// rootfs's busybox. "$@" after the fixed arguments is the executor's argv.
const OUTER = `set -eu
R=$1; ETC=$2; VOLUMES=$3; shift 3
mount --bind "$R" "$R"
for v in $VOLUMES; do mount --bind "$R$v" "$R$v"; done
mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
mount -t tmpfs -o nosuid,mode=0755,size=65536k tmpfs "$R/dev"
for d in null zero full random urandom tty; do : > "$R/dev/$d"; mount --bind "/dev/$d" "$R/dev/$d"; done
mkdir "$R/dev/pts" "$R/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$R/dev/pts"
mount -t tmpfs -o nosuid,nodev,mode=1777 shm "$R/dev/shm"
ln -s pts/ptmx "$R/dev/ptmx"; ln -s /proc/self/fd "$R/dev/fd"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys" 2>/dev/null || mount --rbind -o ro /sys "$R/sys"
for f in resolv.conf hosts hostname; do mount --bind "$ETC/$f" "$R/etc/$f"; done
cd "$R"
mkdir .oldroot
pivot_root . .oldroot
exec /kaniko/bin/busybox chroot . /kaniko/bin/busybox sh -c "$INNER" kiln-container "$@"
`;

// On the rootfs's busybox, after the pivot. CANARY and AFTER come from the environment.
const INNER = `set -eu
B=/kaniko/bin/busybox
$B umount -l /.oldroot
$B rmdir /.oldroot
if [ -e "$CANARY" ] || $B grep -q ' /.oldroot' /proc/self/mountinfo; then
  echo "kiln-container: the host's root is still reachable" >&2; exit ${ESCAPED_EXIT}
fi
cd /workspace
set +e
$B env -i HOME=/root USER=root PATH=/kaniko/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/kaniko \\
  GIT_EXEC_PATH=/kaniko/libexec/git-core SSL_CERT_DIR=/kaniko/ssl/certs DOCKER_CONFIG=/kaniko/.docker/ TMPDIR=/kaniko/tmp \\
  /kaniko/executor "$@"
rc=$?
set -e
echo "${AFTER_MARK}"
if [ -n "$AFTER" ]; then PATH=/kaniko/bin; $B sh -c "$AFTER"; fi
exit $rc
`;

export interface ContainerRunResult {
  code: number | null;
  /** The executor's stdout (the after script's output is in `after`). */
  stdout: string;
  stderr: string;
  /** What the `after` script printed, inside the namespace once the executor exited. */
  after: string;
}

export interface ContainerRunOptions {
  /** Busybox sh script run inside the namespace after the executor (`busybox` applets on PATH). */
  after?: string;
  timeoutMs?: number;
}

/** Run `/kaniko/executor ARGS` in the container root; the working directory is /workspace. */
export function runInContainerRoot(c: ContainerRoot, args: string[], o: ContainerRunOptions = {}): ContainerRunResult {
  const r = spawnSync(
    'unshare',
    ['--mount', '--propagation', 'private', '--pid', '--fork', '--kill-child=SIGKILL', '/bin/sh', '-c', OUTER, 'kiln-container', c.rootfs, path.join(c.dir, 'etc'), c.volumes.join(' '), ...args],
    {
      encoding: 'utf8',
      timeout: o.timeoutMs ?? 240_000,
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', INNER, CANARY: c.canary, AFTER: o.after ?? '' },
    },
  );
  const at = r.stdout.lastIndexOf(AFTER_MARK + '\n');
  const stdout = at < 0 ? r.stdout : r.stdout.slice(0, at);
  const after = at < 0 ? '' : r.stdout.slice(at + AFTER_MARK.length + 1);
  return { code: r.status, stdout, stderr: r.stderr, after };
}

/** Host mount points under `dir` (there must be none once the namespace is gone). */
export function mountsUnder(dir: string): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '');
  return points.filter((p) => p === dir || p.startsWith(dir + '/'));
}

/** Remove the root's directory; refuses while anything is mounted below it. */
export function removeContainerRoot(c: ContainerRoot): void {
  const left = mountsUnder(c.dir);
  if (left.length > 0) throw new Error(`not removing ${c.dir}: still mounted: ${left.join(' ')}`);
  rmSync(c.dir, { recursive: true, force: true });
}
