import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseDockerfile } from '../shared/dockerfile/index.ts';
import { appendLayers, scratchImage } from '../shared/image/index.ts';
import type { Image, Platform } from '../shared/image/types.ts';
import { silentLogger } from '../shared/log.ts';
import { layerFromTar, tarOf } from '../test/helpers/random-image.ts';
import { createStageSources, saveStageRoot } from './stage-sources.ts';

function testdir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kiln-stage-sources-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const amd64: Platform = { os: 'linux', architecture: 'amd64' };
const arm64: Platform = { os: 'linux', architecture: 'arm64' };

async function imageWith(name: string, content: string): Promise<Image> {
  const layer = await layerFromTar(await tarOf([{ name, content: Buffer.from(content), mode: 0o755 }]));
  return appendLayers(scratchImage(amd64, { mediaTypes: 'oci' }), [{ layer }]);
}

describe('createStageSources (COPY --from)', () => {
  const df = parseDockerfile('FROM scratch AS Build\nFROM scratch\nCOPY --from=build /x /x\n');

  it('a stage name (any case) or index gives the stage root; a stage not built is an error', async () => {
    const sources = createStageSources({ dockerfile: df, stageRoots: new Map([[0, '/roots/0']]), workDir: testdir(), logger: silentLogger, resolveImage: async () => { throw new Error('no images here'); } });
    expect(await sources('BUILD', amd64)).toBe('/roots/0');
    expect(await sources('0', amd64)).toBe('/roots/0');
    await expect(sources('1', amd64)).rejects.toThrow(/reading stage 1: it is not built/);
  });

  it('an image is resolved for the stage platform and extracted once per platform; scratch is empty', async () => {
    const asked: string[] = [];
    const sources = createStageSources({
      dockerfile: df, stageRoots: new Map(), workDir: testdir(), logger: silentLogger,
      resolveImage: async (ref, p) => {
        asked.push(`${ref} ${p.architecture}`);
        return await imageWith('bin/tool', `tool for ${p.architecture}`);
      },
    });
    const a = await sources('127.0.0.1:5000/tools:1', amd64);
    expect(await sources('127.0.0.1:5000/tools:1', amd64)).toBe(a);
    const b = await sources('127.0.0.1:5000/tools:1', arm64);
    expect(asked).toEqual(['127.0.0.1:5000/tools:1 amd64', '127.0.0.1:5000/tools:1 arm64']);
    expect(readFileSync(join(a, 'bin/tool'), 'utf8')).toBe('tool for amd64');
    expect(readFileSync(join(b, 'bin/tool'), 'utf8')).toBe('tool for arm64');
    expect(readdirSync(await sources('scratch', amd64))).toEqual([]);
  });

  it('saveStageRoot extracts a stage image into the work dir (container mode)', async () => {
    const work = testdir();
    const dir = await saveStageRoot(await imageWith('out/art', 'artifact'), work, { index: 3, logger: silentLogger });
    expect(dir.startsWith(join(work, 'stage-3-saved-'))).toBe(true);
    expect(readFileSync(join(dir, 'out/art'), 'utf8')).toBe('artifact');
  });
});
