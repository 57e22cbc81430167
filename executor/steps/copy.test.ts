// COPY against a temp build root and a temp context (Docker/BuildKit semantics; see copy.ts).
import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createDockerignore, parseDockerfile, type CopyInstruction } from '../../shared/dockerfile/index.ts';
import type { ConfigFile } from '../../shared/image/types.ts';
import { silentLogger } from '../../shared/log.ts';
import { dirContext } from '../context/dir.ts';
import { copy } from './copy.ts';
import type { StepContext } from './types.ts';

function testdir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kiln-copy-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function put(path: string, text = 'x', mode = 0o644): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  chmodSync(path, mode);
}

const T = new Date('2001-02-03T04:05:06Z');

interface Setup {
  root: string;
  ctx: string;
  run(line: string, o?: { workdir?: string; fromRoot?: (f: string) => Promise<string>; ignore?: string[] }): Promise<string[]>;
}

function setup(): Setup {
  const root = testdir();
  const ctx = testdir();
  chmodSync(root, 0o755);
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\napp:x:1234:2345::/home/app:/bin/sh\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\napp:x:2345:\n');
  return {
    root,
    ctx,
    async run(line, o = {}) {
      const instr = parseDockerfile(`FROM scratch\n${line}\n`).stages[0]?.instructions[0] as CopyInstruction;
      const ignore = o.ignore ? createDockerignore(o.ignore) : undefined;
      const context = await dirContext(ctx, ignore ? { excluded: (rel) => ignore.matches(rel) } : {});
      const config: ConfigFile = { architecture: 'amd64', os: 'linux', config: o.workdir ? { WorkingDir: o.workdir } : {}, rootfs: { type: 'layers', diff_ids: [] } };
      const sc: StepContext = {
        config, cmdSetInStage: false, root: { root, mode: 'host' }, buildArgs: [], context, io: { stdout: process.stdout, stderr: process.stderr },
        logger: silentLogger, file: 'Dockerfile', ...(o.fromRoot ? { fromRoot: o.fromRoot } : {}),
      };
      const r = await copy(instr, sc);
      return r.changes.kind === 'paths' ? r.changes.paths : [];
    },
  };
}

const own = (p: string): [number, number, number] => {
  const s = lstatSync(p);
  return [s.uid, s.gid, s.mode & 0o7777];
};

describe('COPY', () => {
  it('into an existing /tmp/ keeps its 1777 mode; owner 0:0 and the source mtime by default', async () => {
    const s = setup();
    mkdirSync(join(s.root, 'tmp'));
    chmodSync(join(s.root, 'tmp'), 0o1777);
    put(join(s.ctx, 'x'), 'x', 0o640);
    utimesSync(join(s.ctx, 'x'), T, T);
    expect(await s.run('COPY x /tmp/')).toEqual(['/tmp/x']);
    expect(own(join(s.root, 'tmp'))).toEqual([0, 0, 0o1777]);
    expect(own(join(s.root, 'tmp/x'))).toEqual([0, 0, 0o640]);
    expect(statSync(join(s.root, 'tmp/x')).mtime).toEqual(T);
  });

  it('--chown applies to the parents it creates (file: its directories; directory: the destination too), never to existing ones', async () => {
    const s = setup();
    mkdirSync(join(s.root, 'opt'));
    chmodSync(join(s.root, 'opt'), 0o700);
    put(join(s.ctx, 'f'));
    put(join(s.ctx, 'd/sub/g'));
    chmodSync(join(s.ctx, 'd'), 0o700);
    const written = await s.run('COPY --chown=app f /opt/a/b/f');
    expect(written).toEqual(['/opt/a', '/opt/a/b', '/opt/a/b/f']);
    expect(own(join(s.root, 'opt'))).toEqual([0, 0, 0o700]);
    expect(own(join(s.root, 'opt/a'))).toEqual([1234, 1234, 0o755]);
    expect(own(join(s.root, 'opt/a/b/f'))).toEqual([1234, 1234, 0o644]);
    await s.run('COPY --chown=app:app d /srv/x/d');
    expect(own(join(s.root, 'srv'))).toEqual([1234, 2345, 0o755]);
    expect(own(join(s.root, 'srv/x/d'))).toEqual([1234, 2345, 0o755]); // created as MkdirAll does, not the source's 0700
    expect(own(join(s.root, 'srv/x/d/sub/g'))).toEqual([1234, 2345, 0o644]);
    await s.run('COPY f /plain/f');
    expect(own(join(s.root, 'plain'))).toEqual([0, 0, 0o755]);
  });

  it('relative to WORKDIR; symlinks copied as links; a symlinked destination directory is followed inside the root', async () => {
    const s = setup();
    put(join(s.ctx, 'dir/file'));
    symlinkSync('file', join(s.ctx, 'dir/ln'));
    symlinkSync('/etc/passwd', join(s.ctx, 'dir/abs'));
    mkdirSync(join(s.root, 'real'));
    symlinkSync('/real', join(s.root, 'app'));
    await s.run('COPY dir sub/', { workdir: '/app' });
    expect(readdirSync(join(s.root, 'real/sub')).sort()).toEqual(['abs', 'file', 'ln']);
    expect(readlinkSync(join(s.root, 'real/sub/ln'))).toBe('file');
    expect(readlinkSync(join(s.root, 'real/sub/abs'))).toBe('/etc/passwd');
    expect(lstatSync(join(s.root, 'app')).isSymbolicLink()).toBe(true);
  });

  it('keeps hardlinks, applies symbolic --chmod, and .dockerignore', async () => {
    const s = setup();
    put(join(s.ctx, 'h/a'), 'same', 0o600);
    linkSync(join(s.ctx, 'h/a'), join(s.ctx, 'h/b'));
    put(join(s.ctx, 'h/skip.log'));
    await s.run('COPY --chmod=u+x,g=u,o-rwx h /h/', { ignore: ['h/*.log'] });
    const a = statSync(join(s.root, 'h/a'));
    expect(statSync(join(s.root, 'h/b')).ino).toBe(a.ino);
    expect(a.mode & 0o777).toBe(0o770);
    expect(readdirSync(join(s.root, 'h')).sort()).toEqual(['a', 'b']);
  });

  it('globs in directory parts and **; a glob that matches nothing adds nothing; --exclude', async () => {
    const s = setup();
    for (const f of ['src/a/conf.json', 'src/b/conf.json', 'src/b/deep/x.go', 'src/c/other', 'top.txt', 'top.md']) put(join(s.ctx, f), f);
    await s.run('COPY src/*/conf.json /one/');
    expect(readFileSync(join(s.root, 'one/conf.json'), 'utf8')).toBe('src/b/conf.json');
    await s.run('COPY src/**/*.go nothing*.txt /two/');
    expect(readdirSync(join(s.root, 'two'))).toEqual(['x.go']);
    await s.run('COPY --exclude=*.md --exclude=b/deep top* src /three/');
    expect(readdirSync(join(s.root, 'three')).sort()).toEqual(['a', 'b', 'c', 'top.txt']);
    expect(readdirSync(join(s.root, 'three/b'))).toEqual(['conf.json']);
    await expect(s.run('COPY missing /x')).rejects.toThrow(/"missing" not found in the build context/);
  });

  it('--parents keeps the source path, below a /./ pivot when there is one', async () => {
    const s = setup();
    for (const f of ['x/a.txt', 'y/a.txt', 'p/q/r/b.txt', 'p/q/r/c.md']) put(join(s.ctx, f), f);
    await s.run('COPY --parents ./x/a.txt y/a.txt /par/');
    expect(readFileSync(join(s.root, 'par/x/a.txt'), 'utf8')).toBe('x/a.txt');
    expect(readFileSync(join(s.root, 'par/y/a.txt'), 'utf8')).toBe('y/a.txt');
    await s.run('COPY --parents p/./q/r/*.txt /piv/');
    expect(readdirSync(join(s.root, 'piv/q/r'))).toEqual(['b.txt']);
    await s.run('COPY --parents p/**/*.md /deep');
    expect(readdirSync(join(s.root, 'deep/p/q/r'))).toEqual(['c.md']);
  });

  it('--from reads another tree, links resolved inside it, keeping modes, owners, mtimes and hardlinks', async () => {
    const s = setup();
    const stage = testdir();
    put(join(stage, 'usr/lib/app/bin'), 'bin', 0o755);
    chownSync(join(stage, 'usr/lib/app/bin'), 12, 34);
    chmodSync(join(stage, 'usr/lib/app/bin'), 0o4755);
    utimesSync(join(stage, 'usr/lib/app/bin'), T, T);
    linkSync(join(stage, 'usr/lib/app/bin'), join(stage, 'usr/lib/app/bin2'));
    symlinkSync('/usr/lib', join(stage, 'lib'));
    const asked: string[] = [];
    const fromRoot = async (f: string): Promise<string> => {
      asked.push(f);
      return stage;
    };
    await s.run('COPY --from=build /lib/app /app', { fromRoot });
    expect(asked).toEqual(['build']);
    const bin = statSync(join(s.root, 'app/bin'));
    expect([bin.mode & 0o7777, bin.uid, bin.gid, bin.mtime]).toEqual([0o4755, 12, 34, T]);
    expect(own(join(s.root, 'app'))).toEqual([0, 0, 0o755]);
    await s.run('COPY --from=build --chown=5:6 /lib/app/bin /chowned/bin', { fromRoot });
    expect(own(join(s.root, 'chowned'))).toEqual([5, 6, 0o755]);
    expect(own(join(s.root, 'chowned/bin'))).toEqual([5, 6, 0o4755]);
    expect(statSync(join(s.root, 'app/bin2')).ino).toBe(bin.ino);
    await expect(s.run('COPY --from=build /nope /x', { fromRoot })).rejects.toThrow(/"nope" not found in --from=build/);
  });
});
