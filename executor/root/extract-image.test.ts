import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { describe, expect, onTestFinished, test } from 'vitest';
import { sha256 } from '../../shared/digest.ts';
import { layerFromFile } from '../../shared/image/index.ts';
import { writeLayer, type WrittenLayer } from '../layer/write-layer.ts';
import { tarHeader } from '../layer/tar-pack.ts';
import { writeLayerFromEntries } from '../layer/write-layer.ts';
import { extractImage } from './extract-image.ts';
import { IgnoreList } from './ignore-list.ts';

function testdir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kiln-image-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const ignore = new IgnoreList(['/proc']);

async function threeLayers(dir: string): Promise<WrittenLayer[]> {
  const src = testdir();
  mkdirSync(join(src, 'etc/app'), { recursive: true });
  writeFileSync(join(src, 'etc/app/old.conf'), 'old');
  writeFileSync(join(src, 'etc/passwd'), 'root');
  const l1 = await writeLayer({ root: src, paths: ['/etc/app/old.conf', '/etc/passwd'], out: join(dir, 'l1'), compression: 'gzip' });
  const l2 = await writeLayer({ root: src, paths: [], deletions: ['/etc/app/old.conf'], out: join(dir, 'l2'), compression: 'gzip' });
  const l3 = await writeLayerFromEntries(
    [{ header: tarHeader({ name: 'etc/app/new.conf', type: 'file', size: 3 }), body: Buffer.from('new') }],
    { out: join(dir, 'l3'), compression: 'none' },
  );
  return [l1, l2, l3];
}

describe('extractImage', () => {
  for (const spool of [false, true]) {
    test(`applies layers in order${spool ? ', spooling the next one' : ''}`, async () => {
      const dir = testdir();
      const root = testdir();
      const spoolDir = testdir();
      const written = await threeLayers(dir);
      const layers = written.map(layerFromFile);
      const seen: number[] = [0, 0, 0];
      const tap = (i: number) => new Transform({ transform(c: Buffer, _e, cb) { seen[i] = (seen[i] ?? 0) + c.length; cb(null, c); } });
      const stats = await extractImage(layers, { root, ignore, mode: 'host', spoolDir: spool ? spoolDir : undefined, tap });
      expect(seen).toEqual(written.map((w) => w.uncompressedSize));
      expect(stats.map((s) => s.entries)).toEqual([4, 3, 1]);
      expect(existsSync(join(root, 'etc/app/old.conf'))).toBe(false);
      expect(readFileSync(join(root, 'etc/app/new.conf'), 'utf8')).toBe('new');
      expect(readdirSync(spoolDir)).toEqual([]);
    });

    test(`a layer whose diff_id lies fails the extraction${spool ? ' before it is applied' : ''}`, async () => {
      const dir = testdir();
      const root = testdir();
      const [l1, l2, l3] = await threeLayers(dir);
      const liar = layerFromFile({ ...(l3 as WrittenLayer), diffId: sha256('something else') });
      const run = extractImage([layerFromFile(l1 as WrittenLayer), layerFromFile(l2 as WrittenLayer), liar], { root, ignore, mode: 'host', spoolDir: spool ? testdir() : undefined });
      await expect(run).rejects.toMatchObject({ code: 'E_DIGEST_MISMATCH', message: expect.stringContaining(`extracting layer ${(l3 as WrittenLayer).digest}`) });
      if (spool) expect(existsSync(join(root, 'etc/app/new.conf'))).toBe(false);
    });
  }

  test('a corrupt compressed blob fails with its digest named', async () => {
    const dir = testdir();
    const [l1] = await threeLayers(dir);
    const bytes = readFileSync((l1 as WrittenLayer).path);
    const at = bytes.length - 10;
    bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    writeFileSync((l1 as WrittenLayer).path, bytes);
    await expect(extractImage([layerFromFile(l1 as WrittenLayer)], { root: testdir(), ignore, mode: 'host' })).rejects.toMatchObject({ code: expect.stringMatching(/E_DIGEST_MISMATCH|E_LAYER|E_IO/) });
  });
});
