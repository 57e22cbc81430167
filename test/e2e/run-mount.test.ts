// RUN --mount (cache, secret, bind, tmpfs), RUN --network=none and heredocs (RUN and COPY),
// end to end: dist/executor.js builds test/fixtures/build/run-mounts on the busybox base into
// an OCI layout; the layout's layers, config and history are read back, the file tree is
// unpacked with umoci.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { testEnv, type TestEnv } from '../helpers/testenv.ts';
import { build, tempDir } from './build-support.ts';
import { buildContext, lastHistory, readLayout, unpackLayout } from './run-mount-support.ts';

let env: TestEnv;
beforeAll(() => {
  env = testEnv();
});

const SECRET = 'tok-SECRET-value-4242';

function buildMounts(dir: string, buildNo: string): ReturnType<typeof build> {
  return build('run-mounts', [
    '--build-arg', `BASE=${env.images.busybox.v2s2}`, '--build-arg', `BUILD_NO=${buildNo}`, '--no-push', '--insecure-pull',
    '--oci-layout-path', path.join(dir, `oci-${buildNo}`), '--cache-mount-dir', path.join(dir, 'mounts'),
    '--secret', `id=token,src=${path.join(dir, 'token')}`, '--verbosity', buildNo === '1' ? 'trace' : 'info',
  ]);
}

describe('RUN --mount and heredocs', () => {
  it('cache persists between builds and stays out of the layers; secrets, binds, tmpfs and heredocs work', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'token'), SECRET);
    const first = buildMounts(dir, '1');
    expect(first.code, first.stderr).toBe(0);
    const second = buildMounts(dir, '2');
    expect(second.code, second.stderr).toBe(0);
    expect(`${first.stderr}${first.stdout}${second.stderr}${second.stdout}`).not.toContain(SECRET);

    const img = readLayout(path.join(dir, 'oci-2'));
    const rootfs = unpackLayout(path.join(dir, 'oci-2'), tempDir());
    const file = (p: string): string => readFileSync(path.join(rootfs, p), 'utf8');
    // cache: what the first build wrote is seen by the second; the image keeps its own files.
    expect(file('cache-seen')).toBe('build 1\nbuild 2\n');
    expect(file('cache-ls')).toBe('log\n');
    expect(file('var/cache/app/keep')).toBe('image-content\n');
    const all = img.layers.flatMap((l) => l.entries);
    expect(all.filter((e) => e.includes('var/cache/app/log'))).toEqual([]);
    // secret: readable as a file (0400 by default, 0440 when asked) and as env, never stored.
    expect(file('secret-len').trim()).toBe(String(SECRET.length));
    expect(file('secret-mode')).toBe('-r--r-----\n');
    expect(all.filter((e) => e.includes('run/secrets') || e.includes('etc/token'))).toEqual([]);
    for (const blob of [img.rawConfig, img.rawManifest, ...img.layers.map((l) => l.bytes.toString('latin1'))]) {
      expect(blob.includes(SECRET)).toBe(false);
    }
    // bind: the context (without .dockerignore'd files), rw writes discarded, /etc intact.
    expect(file('from-bind')).toBe('hello from the context\n');
    expect(file('bind-ls')).toBe('hello.txt\n');
    expect(file('bind-rw')).toBe('scribble\n');
    expect(file('etc/passwd')).toContain('root:');
    expect(all.filter((e) => e.startsWith('ctx') || e.startsWith('etc/hello') || e.startsWith('scratch'))).toEqual([]);
    // tmpfs: an empty 1777 directory for the command only.
    expect(file('tmpfs-mode')).toBe('drwxrwxrwt\n');
    // heredocs and --network=none
    expect(file('heredoc1')).toBe('heredoc line1\nbuild 2\n');
    expect(file('heredoc2')).toBe('shebang script\n');
    expect(file('heredoc3')).toBe('first\nsecond\n');
    expect(file('copied.txt')).toBe('hello 2\n');
    expect(file('net-ifaces')).toBe('lo\n');
    expect(all.filter((e) => e.includes('kiln-pipes') || e.includes('kiln-aside'))).toEqual([]);

    expect(lastHistory(img, 6)).toEqual([
      'RUN |1 BUILD_NO=2 /bin/sh -c echo x > /scratch/f && ls -ld /scratch | cut -c1-10 > /tmpfs-mode # buildkit',
      'RUN |1 BUILD_NO=2 /bin/sh -c echo "heredoc line1" > /heredoc1\necho "build $BUILD_NO" >> /heredoc1\n # buildkit',
      'RUN |1 BUILD_NO=2 /bin/sh -c /dev/pipes/EOF # buildkit',
      'RUN |1 BUILD_NO=2 /bin/sh -c cat <<A > /heredoc3 && cat <<-B >> /heredoc3\nfirst\nA\n\tsecond\nB # buildkit',
      'COPY <<EOF /copied.txt # buildkit',
      "RUN |1 BUILD_NO=2 /bin/sh -c sh -c 'ls /sys/class/net > /net-ifaces' # buildkit",
    ]);
  });

  it('a missing required secret fails the build with a clear message', () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'm'));
    const r = build('run-mount-required', ['--build-arg', `BASE=${env.images.busybox.v2s2}`, '--no-push', '--insecure-pull', '--cache-mount-dir', path.join(dir, 'm')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('secret "needed" is required but was not given');
  });

  it('binds and seeds caches from another stage', () => {
    const dir = tempDir();
    const r = build('run-mount-from', [
      '--build-arg', `BASE=${env.images.busybox.v2s2}`, '--no-push', '--insecure-pull',
      '--oci-layout-path', path.join(dir, 'oci'), '--cache-mount-dir', path.join(dir, 'mounts'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const rootfs = unpackLayout(path.join(dir, 'oci'), tempDir());
    const file = (p: string): string => readFileSync(path.join(rootfs, p), 'utf8');
    expect(file('copied')).toBe('built-in-stage\n');
    expect(file('seeded-ls')).toBe('artifact\n');
    expect(file('seeded-meta')).toBe('drwxrwx--- 1 2\n');
    const all = readLayout(path.join(dir, 'oci')).layers.flatMap((l) => l.entries);
    expect(all.filter((e) => e.startsWith('mnt') || e.startsWith('seeded/') || e === 'seeded')).toEqual([]);
  });

  it('binds from an external image (from=<image reference>)', async () => {
    const ctx = tempDir();
    writeFileSync(path.join(ctx, 'Dockerfile'), [
      `FROM ${env.images.busybox.v2s2}`,
      `RUN --mount=type=bind,from=${env.images.busybox.oci},source=/etc,target=/img-etc head -1 /img-etc/passwd > /from-image`,
      '',
    ].join('\n'));
    const out = path.join(tempDir(), 'oci');
    const r = await buildContext(ctx, ['--no-push', '--insecure-pull', '--oci-layout-path', out]);
    expect(r.code, r.stderr).toBe(0);
    const rootfs = unpackLayout(out, tempDir());
    expect(readFileSync(path.join(rootfs, 'from-image'), 'utf8')).toMatch(/^root:/);
    expect(readLayout(out).layers.flatMap((l) => l.entries).filter((e) => e.startsWith('img-etc'))).toEqual([]);
  });

  it('ssh: a socket forwarding to $SSH_AUTH_SOCK is there for the command only', async () => {
    const ctx = tempDir();
    const agentDir = tempDir();
    const agent = net.createServer((c) => c.end());
    await new Promise<void>((r) => agent.listen(path.join(agentDir, 'agent.sock'), r));
    onTestFinished(() => new Promise<void>((r) => agent.close(() => r())));
    writeFileSync(path.join(ctx, 'Dockerfile'), [
      `FROM ${env.images.busybox.v2s2}`,
      'RUN --mount=type=ssh test -S "$SSH_AUTH_SOCK" && echo "$SSH_AUTH_SOCK" > /ssh-sock && ls -l "$SSH_AUTH_SOCK" | cut -c1-10 > /ssh-mode',
      '',
    ].join('\n'));
    const out = path.join(tempDir(), 'oci');
    const r = await buildContext(ctx, ['--no-push', '--insecure-pull', '--oci-layout-path', out], { SSH_AUTH_SOCK: path.join(agentDir, 'agent.sock') });
    expect(r.code, r.stderr).toBe(0);
    const rootfs = unpackLayout(out, tempDir());
    expect(readFileSync(path.join(rootfs, 'ssh-sock'), 'utf8')).toBe('/run/buildkit/ssh_agent.0\n');
    expect(readFileSync(path.join(rootfs, 'ssh-mode'), 'utf8')).toBe('srw-------\n');
    expect(readLayout(out).layers.flatMap((l) => l.entries).filter((e) => e.startsWith('run'))).toEqual([]);
  });

  it('an env= secret never shows in any process command line while the RUN runs', async () => {
    const ctx = tempDir();
    const value = `argv-leak-${process.pid}-${Date.now()}`;
    writeFileSync(path.join(ctx, 'Dockerfile'), [
      `FROM ${env.images.busybox.v2s2}`,
      'RUN --mount=type=secret,id=tok,env=TOK sh -c \'[ "$TOK" = "$(cat /run/secrets/tok 2>/dev/null || echo "$TOK")" ] && sleep 3\'',
      '',
    ].join('\n'));
    const running = buildContext(ctx, ['--no-push', '--insecure-pull', '--secret', 'id=tok,env=KILN_TEST_TOK'], { KILN_TEST_TOK: value });
    const seen: string[] = [];
    const started = Date.now();
    let done = false;
    void running.then(() => (done = true));
    while (!done && Date.now() - started < 60_000) {
      for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        const cmd = (() => {
          try {
            return readFileSync(`/proc/${pid}/cmdline`, 'latin1');
          } catch {
            return '';
          }
        })();
        if (cmd.includes(value) && !cmd.includes('vitest')) seen.push(cmd.replace(/\0/g, ' ').slice(0, 200));
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = await running;
    expect(r.code, r.stderr).toBe(0);
    expect(seen).toEqual([]);
  });
});
