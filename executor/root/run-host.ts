// Host mode (`--root-dir DIR`): the command runs in a private mount and pid namespace
// (`unshare --mount --pid --fork`, plus `--net` for RUN --network=none). Inside it a short
// host sh script mounts /proc, a minimal /dev (tmpfs with null, zero, full, random, urandom,
// tty, devpts, shm), a read-only /sys and private copies of /etc/resolv.conf (the host's),
// /etc/hosts and /etc/hostname into the root (as a container runtime does: what a command
// writes to them never reaches a layer, in both modes), then `setpriv` sets the gid and supplementary groups, `env -i` the environment,
// and `unshare --root DIR --wd WORKDIR --setuid UID` chroots, changes directory, drops root and
// execs the command (so exec form works on images without a shell). The command is pid 1 of
// its namespace: when it exits every process it left behind is killed by the kernel.
// Mount points the root lacked are created for the run and removed afterwards.
import { spawn } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, rm, rmdir, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { KilnError } from '../../shared/errors.ts';
import { exitCodeOf, type RunIo, type RunResult, type RunSpec } from './run.ts';

const SETUP = `set -e
R=$1; ETC=$2; NET=$3; shift 3
if [ "$NET" = none ]; then ip link set lo up 2>/dev/null || true; fi
mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
mount -t tmpfs -o nosuid,mode=0755,size=65536k tmpfs "$R/dev"
for d in null zero full random urandom tty; do : > "$R/dev/$d"; mount --bind "/dev/$d" "$R/dev/$d"; done
mkdir "$R/dev/pts" "$R/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$R/dev/pts"
mount -t tmpfs -o nosuid,nodev,mode=1777 shm "$R/dev/shm"
ln -s pts/ptmx "$R/dev/ptmx"; ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"; ln -s /proc/self/fd/1 "$R/dev/stdout"; ln -s /proc/self/fd/2 "$R/dev/stderr"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys" 2>/dev/null || mount --rbind "/sys" "$R/sys"
if [ -n "$ETC" ]; then for f in resolv.conf hosts hostname; do if [ -f "$ETC/$f" ]; then mount --bind "$ETC/$f" "$R/etc/$f"; fi; done; fi
exec "$@"
`;

/** Run with exactly the variables of the env file (dash exports PWD on its own: unset it). */
const LOAD_ENV = 'unset PWD; . "$1"; shift; exec "$@"';

/** Names the shell can export; others (Docker allows `a.b=1`) stay on env's argv. */
function isShellName(kv: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*=/.test(kv);
}

/** KEY=VALUE pairs as `export 'KEY=VALUE'` lines in a 0600 file of the run's private dir. */
async function writeEnvFile(dir: string, env: readonly string[]): Promise<string> {
  const file = join(dir, 'env');
  const lines = env.map((kv) => `export '${kv.replace(/'/g, `'"'"'`)}'\n`);
  await writeFile(file, lines.join(''), { mode: 0o600 });
  return file;
}

/** What the run put into the root and must take out again. */
interface Scaffold {
  createdDirs: string[];
  createdFiles: string[];
  /** Directory of the private /etc files bound over the root's for the command. */
  etcCopies: string | undefined;
  tmp: string;
  /** /etc's times before the placeholder, and its mtime right after it was created. */
  etcTimes?: { atimeMs: number; mtimeMs: number; afterCreateMs: number };
}

export async function runOnHost(rootDir: string, spec: RunSpec, io: RunIo): Promise<RunResult> {
  const scaffold = await prepareRoot(rootDir);
  let result: RunResult | undefined;
  try {
    const groups = spec.user.groups.length > 0 ? spec.user.groups : [spec.user.gid];
    const argv = [
      ...(spec.network === 'none' ? ['--net'] : []),
      '--mount', '--propagation', 'private', '--pid', '--fork', '--kill-child',
      '/bin/sh', '-c', SETUP, 'kiln-run', rootDir, scaffold.etcCopies ?? '', spec.network,
      'setpriv', `--regid=${spec.user.gid}`, `--groups=${groups.join(',')}`, '--',
      // The environment comes from a private file, never argv: argv is world-readable in
      // /proc/PID/cmdline for the whole command (RUN --mount=type=secret,env= values).
      'env', '-i', '/bin/sh', '-c', LOAD_ENV, 'kiln-env', await writeEnvFile(scaffold.tmp, spec.env.filter(isShellName)),
      ...(spec.env.some((kv) => !isShellName(kv)) ? ['env', '--', ...spec.env.filter((kv) => !isShellName(kv))] : []),
      'unshare', `--root=${rootDir}`, `--wd=${spec.workdir}`, `--setuid=${spec.user.uid}`, '--', ...spec.argv,
    ];
    const child = spawn('unshare', argv, {
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(io.stdout, { end: false });
    child.stderr.pipe(io.stderr, { end: false });
    result = await new Promise<RunResult>((resolve, reject) => {
      child.on('error', (e) =>
        reject(new KilnError('E_RUN', `${spec.description}: starting unshare: ${e.message}`, {
          cause: e,
          hint: 'the host mode needs util-linux (unshare, setpriv) and root',
        })),
      );
      child.on('close', (code, signal) => resolve(exitCodeOf(code, signal)));
    });
  } finally {
    const restored = await cleanupRoot(rootDir, scaffold);
    if (result !== undefined) result.timesRestored = restored;
  }
  return result;
}

async function prepareRoot(rootDir: string): Promise<Scaffold> {
  const tmp = await mkdtemp(join(tmpdir(), 'kiln-run-'));
  const s: Scaffold = { createdDirs: [], createdFiles: [], etcCopies: undefined, tmp };
  try {
    await placeMountPoints(rootDir, s);
    await prepareEtcFiles(rootDir, s);
    return s;
  } catch (e) {
    await cleanupRoot(rootDir, s);
    throw e;
  }
}

async function placeMountPoints(rootDir: string, s: Scaffold): Promise<void> {
  for (const name of ['proc', 'dev', 'sys']) {
    const p = join(rootDir, name);
    const st = await lstat(p).catch(() => undefined);
    if (st === undefined) {
      await mkdir(p, { mode: 0o755 });
      s.createdDirs.push(p);
    } else if (!st.isDirectory()) {
      throw new KilnError('E_UNSAFE_PATH', `preparing the build root for RUN: /${name} is not a directory`, {
        hint: 'a layer replaced a system mount point with a file or a link',
      });
    }
  }
}

/** What the command sees in each /etc file: the host's DNS setup; the root's own hosts and hostname. */
async function etcContent(name: string, inRoot: string | undefined): Promise<string | Buffer> {
  if (name === 'resolv.conf') {
    const host = await stat('/etc/resolv.conf').catch(() => undefined);
    return host?.isFile() === true ? await readFile('/etc/resolv.conf') : '';
  }
  if (inRoot !== undefined) return await readFile(inRoot);
  return name === 'hosts' ? '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' : `${hostname()}\n`;
}

async function prepareEtcFiles(rootDir: string, s: Scaffold): Promise<void> {
  const etc = join(rootDir, 'etc');
  const etcSt = await lstat(etc).catch(() => undefined);
  if (etcSt?.isDirectory() !== true) return; // no /etc (scratch) or a link: no such files
  const copies = join(s.tmp, 'etc');
  await mkdir(copies);
  let created = false;
  for (const name of ['resolv.conf', 'hosts', 'hostname']) {
    const target = join(etc, name);
    const st = await lstat(target).catch(() => undefined);
    if (st !== undefined && !st.isFile()) continue; // a link (systemd-resolved images): leave it
    await writeFile(join(copies, name), await etcContent(name, st === undefined ? undefined : target), { mode: 0o644 });
    if (st === undefined) {
      await writeFile(target, '', { mode: 0o644 });
      s.createdFiles.push(target);
      created = true;
    }
  }
  if (created) {
    const after = await lstat(etc);
    s.etcTimes = { atimeMs: etcSt.atimeMs, mtimeMs: etcSt.mtimeMs, afterCreateMs: after.mtimeMs };
  }
  s.etcCopies = copies;
}

/** Take the scaffold out again; returns the directories whose times were put back. */
async function cleanupRoot(rootDir: string, s: Scaffold): Promise<string[]> {
  try {
    return await removeScaffold(rootDir, s);
  } finally {
    await rm(s.tmp, { recursive: true, force: true });
  }
}

async function removeScaffold(rootDir: string, s: Scaffold): Promise<string[]> {
  // /etc's times go back only when the command itself added or removed nothing there.
  const etcNow = s.etcTimes !== undefined ? await lstat(join(rootDir, 'etc')).catch(() => undefined) : undefined;
  const untouched = etcNow !== undefined && etcNow.mtimeMs === s.etcTimes?.afterCreateMs;
  for (const f of s.createdFiles) {
    const st = await lstat(f).catch(() => undefined);
    if (st?.isFile() === true && st.size === 0) await unlink(f);
  }
  const restored: string[] = [];
  if (s.etcTimes !== undefined && untouched) {
    // Seconds with microseconds: the snapshot then sees only a ctime change on /etc.
    const ok = await utimes(join(rootDir, 'etc'), s.etcTimes.atimeMs / 1000, s.etcTimes.mtimeMs / 1000).then(() => true, () => false);
    if (ok) restored.push('/etc');
  }
  for (const d of s.createdDirs) await rmdir(d).catch(() => undefined); // kept when the command filled it
  return restored;
}
