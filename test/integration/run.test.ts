// RUN execution against a real root built from the host's static busybox: needs root and
// util-linux (unshare, setpriv), as the e2e builds do.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { silentLogger } from '../../shared/log.ts';
import { runCommand, type RunSpec } from '../../executor/root/run.ts';
import { resolveUser } from '../../executor/root/users.ts';

function busyboxRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-run-test-'));
  execFileSync('chmod', ['755', dir]); // an image root is 0755; mkdtemp makes 0700
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'etc'));
  mkdirSync(join(dir, 'tmp'), { mode: 0o1777 });
  copyFileSync('/usr/bin/busybox', join(dir, 'bin/busybox'));
  execFileSync('chmod', ['755', join(dir, 'bin/busybox')]);
  for (const c of ['sh', 'id', 'ps', 'sleep', 'cat', 'pwd', 'touch', 'env', 'ls', 'grep']) symlinkSync('busybox', join(dir, 'bin', c));
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\nalice:x:1000:\nwheel:x:10:alice\naudio:x:29:bob,alice\n');
  return dir;
}

function capture(): { io: { stdout: PassThrough; stderr: PassThrough }; text: () => string } {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  return { io: { stdout: out, stderr: out }, text: () => Buffer.concat(chunks).toString() };
}

function spec(argv: string[], extra: Partial<RunSpec> = {}): RunSpec {
  return {
    argv,
    env: ['PATH=/bin', 'HOME=/root'],
    user: { uid: 0, gid: 0, groups: [0], home: '/root' },
    workdir: '/',
    network: 'default',
    description: 'running "test" (Dockerfile:1)',
    ...extra,
  };
}

describe('runCommand in host mode', () => {
  it('runs as the resolved user with supplementary groups, in the workdir, with only the given env', async () => {
    const root = busyboxRoot();
    mkdirSync(join(root, 'work'));
    const user = await resolveUser(root, 'alice');
    expect(user).toMatchObject({ uid: 1000, gid: 1000, groups: [1000, 10, 29], home: '/home/alice' });
    const c = capture();
    await runCommand({ root, mode: 'host' }, spec(['/bin/sh', '-c', 'id; pwd; env | sort; ls /proc/1 >/dev/null && echo proc'], { user, workdir: '/work' }), c.io, silentLogger);
    const out = c.text();
    expect(out).toContain('uid=1000(alice) gid=1000(alice) groups=10(wheel),29(audio),1000(alice)');
    expect(out).toContain('/work\n');
    expect(out).toContain('proc\n');
    expect(out).not.toContain('NODE_OPTIONS');
    expect(out.split('\n').filter((l) => /^[A-Z_]+=/.test(l)).sort()).toEqual(['HOME=/root', 'PATH=/bin', 'PWD=/work', 'SHLVL=1'].sort());
  });

  it('exec form runs without a shell wrapper, and the exit code becomes E_RUN', async () => {
    const root = busyboxRoot();
    const c = capture();
    const err = await runCommand({ root, mode: 'host' }, spec(['/bin/sh', '-c', 'echo failing; exit 7']), c.io, silentLogger).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_RUN', exitCode: 7, message: 'running "test" (Dockerfile:1): exit code 7' });
    expect(c.text()).toBe('failing\n');
  });

  it('kills background processes and leaves no mounts or mount points behind', async () => {
    const root = busyboxRoot();
    const c = capture();
    await runCommand({ root, mode: 'host' }, spec(['/bin/sh', '-c', 'sleep 1000 & touch /tmp/done']), c.io, silentLogger);
    expect(existsSync(join(root, 'tmp/done'))).toBe(true);
    const ps = execFileSync('ps', ['-eo', 'args']).toString();
    expect(ps).not.toContain('sleep 1000');
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(root);
    for (const p of ['proc', 'dev', 'sys', 'etc/resolv.conf']) expect(existsSync(join(root, p))).toBe(false);
  });

  it('RUN --network=none has no network interfaces but loopback, and loopback is up (as Docker)', async () => {
    const root = busyboxRoot();
    const c = capture();
    await runCommand({ root, mode: 'host' }, spec(['/bin/sh', '-c', 'ls /sys/class/net; cat /sys/class/net/lo/operstate /sys/class/net/lo/flags'], { network: 'none' }), c.io, silentLogger);
    const [ifaces, , flags] = c.text().trim().split('\n');
    expect(ifaces).toBe('lo');
    expect(Number(flags) & 1).toBe(1); // IFF_UP
  });

  it('refuses a root whose /proc is a link out of it, leaving no scratch files behind', async () => {
    const root = busyboxRoot();
    symlinkSync('/tmp', join(root, 'proc'));
    const scratch = mkdtempSync(join(tmpdir(), 'kiln-run-scratch-'));
    onTestFinished(() => rmSync(scratch, { recursive: true, force: true }));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = scratch;
    onTestFinished(() => {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    });
    const err = await runCommand({ root, mode: 'host' }, spec(['/bin/true']), capture().io, silentLogger).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_UNSAFE_PATH' });
    expect(readdirSync(scratch)).toEqual([]);
    expect(existsSync(join(root, 'dev'))).toBe(false);
  });
});

describe('runCommand in container mode', () => {
  // The container mode spawns on "/" directly; harmless here: `id` and `pwd` as an unprivileged user.
  it('sets uid, gid and supplementary groups, cwd and only the given env; kills the process group', async () => {
    const c = capture();
    const cwd = mkdtempSync(join(tmpdir(), 'kiln-run-cwd-'));
    onTestFinished(() => rmSync(cwd, { recursive: true, force: true }));
    execFileSync('chmod', ['755', cwd]);
    const user = { uid: 1000, gid: 1000, groups: [1000, 10, 29], home: '/' };
    await runCommand({ root: '/', mode: 'container' }, spec(['/bin/sh', '-c', 'id -u; id -G; pwd; env | grep -c NODE_; sleep 1001 &'], { user, workdir: cwd, env: ['PATH=/usr/bin:/bin'] }), c.io, silentLogger);
    expect(c.text()).toBe(`1000\n1000 10 29\n${cwd}\n0\n`);
    expect(execFileSync('ps', ['-eo', 'args']).toString()).not.toContain('sleep 1001');
  });

  it('a failing command becomes E_RUN with its exit code', async () => {
    const err = await runCommand({ root: '/', mode: 'container' }, spec(['/bin/sh', '-c', 'exit 3'], { env: [] }), capture().io, silentLogger).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_RUN', exitCode: 3 });
  });
});

describe('the host mode scaffolding', () => {
  it('puts /etc\'s times back when the command left /etc alone, and reports it; not when the command changed /etc', async () => {
    const root = busyboxRoot();
    const before = statSync(join(root, 'etc'));
    const quiet = await runCommand({ root, mode: 'host' }, spec(['/bin/sh', '-c', 'cat /etc/resolv.conf >/dev/null']), capture().io, silentLogger);
    expect(quiet.timesRestored).toEqual(['/etc']);
    expect(Math.abs(statSync(join(root, 'etc')).mtimeMs - before.mtimeMs)).toBeLessThan(0.001); // utimes keeps microseconds
    const busy = await runCommand({ root, mode: 'host' }, spec(['/bin/sh', '-c', 'echo x > /etc/new']), capture().io, silentLogger);
    expect(busy.timesRestored).toEqual([]);
    expect(existsSync(join(root, 'etc/resolv.conf'))).toBe(false);
    expect(readFileSync(join(root, 'etc/new'), 'utf8')).toBe('x\n');
  });
});
