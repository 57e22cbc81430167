import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { silentLogger } from '../../shared/log.ts';
import { fetchContext, type FetchContextOptions } from './fetch-context.ts';

function testdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-ctx-test-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

type Entry = { name: string; body?: string; type?: 'file' | 'directory' | 'symlink' | 'link'; linkname?: string };

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header = { name: e.name, type, mode: type === 'directory' ? 0o755 : 0o644, mtime: new Date(1_600_000_000_000), ...(e.linkname ? { linkname: e.linkname } : {}) };
    if (type === 'file') pack.entry(header, e.body ?? '');
    else pack.entry(header);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

function options(over: Partial<FetchContextOptions>): FetchContextOptions {
  return {
    source: { kind: 'dir', path: '/nonexistent' }, subPath: '', git: { singleBranch: false, recurseSubmodules: false, insecureSkipTls: false },
    env: {}, containerMode: false, kanikoDir: '/nonexistent-kaniko', stdin: Readable.from([]), cwd: '/', logger: silentLogger, ...over,
  };
}

const simple: Entry[] = [
  { name: 'Dockerfile', body: 'FROM scratch\nCOPY a.txt /\n' },
  { name: 'sub/', type: 'directory' },
  { name: 'sub/a.txt', body: 'hello\n' },
  { name: 'link', type: 'symlink', linkname: 'sub/a.txt' },
];

describe('tar:// contexts', () => {
  it('unpacks a gzipped tar file into a temporary directory and removes it on dispose', async () => {
    const dir = testdir();
    writeFileSync(join(dir, 'ctx.tar.gz'), gzipSync(await tarOf(simple)));
    const ctx = await fetchContext(options({ source: { kind: 'tar', url: 'tar://ctx.tar.gz' }, cwd: dir }));
    expect(ctx.dir.startsWith(tmpdir())).toBe(true);
    expect(readFileSync(join(ctx.dir, 'sub/a.txt'), 'utf8')).toBe('hello\n');
    expect(readlinkSync(join(ctx.dir, 'link'))).toBe('sub/a.txt');
    await ctx.dispose();
    expect(existsSync(ctx.dir)).toBe(false);
  });

  it('reads a plain tar from stdin, applying --context-sub-path', async () => {
    const stdin = new PassThrough();
    stdin.end(await tarOf(simple));
    const ctx = await fetchContext(options({ source: { kind: 'tar', url: 'tar://stdin' }, stdin, subPath: 'sub' }));
    onTestFinished(() => ctx.dispose());
    expect(readFileSync(join(ctx.dir, 'a.txt'), 'utf8')).toBe('hello\n');
  });

  it('puts the context under <kaniko dir>/buildcontext in the container mode', async () => {
    const kaniko = testdir();
    const stdin = Readable.from([gzipSync(await tarOf(simple))]);
    const ctx = await fetchContext(options({ source: { kind: 'tar', url: 'tar://stdin' }, stdin, containerMode: true, kanikoDir: kaniko }));
    expect(ctx.dir).toBe(join(kaniko, 'buildcontext'));
    expect(existsSync(join(ctx.dir, 'Dockerfile'))).toBe(true);
    await ctx.dispose();
    expect(existsSync(ctx.dir)).toBe(false);
  });

  it('refuses a terminal on stdin', async () => {
    const stdin = Object.assign(Readable.from([]), { isTTY: true });
    await expect(fetchContext(options({ source: { kind: 'tar', url: 'tar://stdin' }, stdin }))).rejects.toMatchObject({ code: 'E_CONTEXT', message: expect.stringContaining('terminal') });
  });

  it('refuses an empty stdin (docker run without -i)', async () => {
    await expect(fetchContext(options({ source: { kind: 'tar', url: 'tar://stdin' }, stdin: Readable.from([]) }))).rejects.toMatchObject({
      code: 'E_CONTEXT', message: 'unpacking the build context tar://stdin: the archive is empty', hint: expect.stringContaining('--interactive'),
    });
  });

  it('fails cleanly on a missing file and on bytes that are not a tar archive', async () => {
    const dir = testdir();
    await expect(fetchContext(options({ source: { kind: 'tar', url: 'tar://missing.tgz' }, cwd: dir }))).rejects.toMatchObject({ code: 'E_CONTEXT' });
    writeFileSync(join(dir, 'junk.tgz'), gzipSync(Buffer.from('not a tar archive at all, just text that goes on '.repeat(20))));
    await expect(fetchContext(options({ source: { kind: 'tar', url: 'tar://junk.tgz' }, cwd: dir }))).rejects.toMatchObject({ code: 'E_CONTEXT' });
  });

  it('never writes outside the context: climbing names, writes through links, hardlinks out', async () => {
    const dir = testdir();
    const outside = join(dir, 'outside');
    const attacks: Entry[][] = [
      [{ name: '../outside', body: 'x' }],
      [{ name: 'esc', type: 'symlink', linkname: dir }, { name: 'esc/outside', body: 'x' }],
      [{ name: 'esc', type: 'symlink', linkname: '../../../../..' + dir }, { name: 'esc/outside', body: 'x' }],
      [{ name: 'hl', type: 'link', linkname: '../../../../..' + join(dir, 'victim') }],
    ];
    writeFileSync(join(dir, 'victim'), 'keep');
    for (const [i, entries] of attacks.entries()) {
      writeFileSync(join(dir, `a${i}.tar`), await tarOf(entries));
      const ctx = await fetchContext(options({ source: { kind: 'tar', url: `tar://a${i}.tar` }, cwd: dir })).catch((e: unknown) => e as Error);
      if (!(ctx instanceof Error)) await ctx.dispose();
      expect(existsSync(outside), `attack ${i}`).toBe(false);
      expect(readFileSync(join(dir, 'victim'), 'utf8')).toBe('keep');
    }
  });

  it('resolves --context-sub-path inside the context: a link in the archive cannot lead out', async () => {
    const dir = testdir();
    writeFileSync(join(dir, 'secret'), 'host file');
    writeFileSync(join(dir, 'l.tar'), await tarOf([{ name: 'out', type: 'symlink', linkname: dir }, { name: 'up', type: 'symlink', linkname: '../../../..' }]));
    for (const subPath of ['out', 'up', '../..', 'missing']) {
      const r = await fetchContext(options({ source: { kind: 'tar', url: 'tar://l.tar' }, cwd: dir, subPath })).catch((e: unknown) => e as Error);
      if (r instanceof Error) {
        expect(r).toMatchObject({ code: 'E_CONTEXT' });
        continue;
      }
      onTestFinished(() => r.dispose());
      expect(existsSync(join(r.dir, 'secret')), subPath).toBe(false);
    }
  });
});
