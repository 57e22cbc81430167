import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it, onTestFinished } from 'vitest';
import { parseReference } from '../../shared/reference/index.ts';
import { randomImage } from '../../test/helpers/random-image.ts';
import { writeDockerArchive } from './docker-archive.ts';

function testdir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kiln-archive-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

it('writes into a directory that does not exist yet, and tar lists every blob', async () => {
  const dir = testdir();
  const img = await randomImage({ layers: 2, layerBytes: 2000 });
  const path = join(dir, 'a', 'b', 'image.tar');
  await writeDockerArchive(img, path, { tags: [parseReference('example.com/x/y:1')] });
  const names = execFileSync('tar', ['-tf', path], { encoding: 'utf8' }).trim().split('\n').sort();
  expect(names).toHaveLength(5); // config, two layers, manifest.json, repositories
  expect(names).toContain('manifest.json');
});

it('a path that cannot be written rejects with E_IO instead of crashing the process', async () => {
  const dir = testdir();
  writeFileSync(join(dir, 'file'), 'not a directory');
  const img = await randomImage({ layers: 1, layerBytes: 1000 });
  await expect(writeDockerArchive(img, join(dir, 'file', 'image.tar'), { tags: [] })).rejects.toMatchObject({ code: 'E_IO' });
});
