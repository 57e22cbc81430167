import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { expandInstruction } from '../../shared/dockerfile/expand.ts';
import { parseDockerfile } from '../../shared/dockerfile/parse.ts';
import type { Instruction } from '../../shared/dockerfile/instructions/types.ts';
import type { ConfigFile, Image, Layer } from '../../shared/image/types.ts';
import { scratchImage, validateImage } from '../../shared/image/index.ts';
import type { Logger } from '../../shared/log.ts';
import { randomLayer } from '../../test/helpers/random-image.ts';
import { dirContext } from '../context/dir.ts';
import type { BuildContext } from '../context/types.ts';
import type { CacheBackend } from './backend.ts';
import { createLayerCache, type LayerCacheOptions, type StageCache } from './layer-cache.ts';
import { layoutBackend } from './layout-backend.ts';
import { openStore } from '../../shared/cache/index.ts';

type StepInstruction = Exclude<Instruction, { kind: 'FROM' }>;
const amd64 = { os: 'linux', architecture: 'amd64' };
const config: ConfigFile = { architecture: 'amd64', os: 'linux', config: { Env: ['PATH=/bin'] }, rootfs: { type: 'layers', diff_ids: [] } };

function recorder(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (m: string): void => void lines.push(`${level} ${m}`);
  return { lines, debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') };
}

async function fixture(): Promise<{ dir: string; context: BuildContext }> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-layer-cache-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'a.txt'), 'a\n');
  return { dir, context: await dirContext(dir) };
}

function steps(text: string): StepInstruction[] {
  return (parseDockerfile(`FROM scratch\n${text}\n`).stages[0]?.instructions ?? []).map((i) => expandInstruction(i, () => undefined));
}

interface Run {
  hits: (Layer | undefined)[];
  missed: number[];
}

/** One stage over `instrs`: a miss records `made(i)`; returns what hit. */
async function runStage(stage: StageCache, instrs: StepInstruction[], context: BuildContext, made: (i: number) => Layer | undefined): Promise<Run> {
  const out: Run = { hits: [], missed: [] };
  for (const [i, instr] of instrs.entries()) {
    const probe = await stage.probe(instr, { config, args: [], context });
    if (probe.hit !== undefined) out.hits.push(probe.hit.layer);
    else {
      out.missed.push(i);
      await probe.record({ layer: made(i), history: { created_by: instr.raw } });
    }
  }
  return out;
}

function options(backend: CacheBackend, logger: Logger, over: Partial<LayerCacheOptions> = {}): LayerCacheOptions {
  return { backend, ttlMs: 3600_000, copyLayers: true, runLayers: true, noPush: false, platform: amd64, salt: '{}', logger, ...over };
}

const base = scratchImage(amd64, { mediaTypes: 'docker' });

describe('layer cache over an OCI layout', () => {
  it('stores on a miss and hits with the same layer in the next build; metadata steps are not looked up', async () => {
    const { dir, context } = await fixture();
    const instrs = steps('ENV A=1\nCOPY a.txt /a.txt\nRUN make');
    const layers = [undefined, await randomLayer(), await randomLayer()];
    const log1 = recorder();
    const first = createLayerCache(options(layoutBackend({ dir: join(dir, 'cache'), platform: amd64, logger: log1 }), log1));
    const r1 = await runStage(await first.stage(0, { kind: 'image' }, base), instrs, context, (i) => layers[i]);
    await first.settle();
    expect(r1.missed).toEqual([0, 1, 2]);
    expect(log1.lines.filter((l) => l.startsWith('info No cached layer found'))).toEqual(['info No cached layer found for cmd COPY a.txt /a.txt', 'info No cached layer found for cmd RUN make']);
    expect(log1.lines.filter((l) => l.startsWith('warn'))).toEqual([]);

    const log2 = recorder();
    const second = createLayerCache(options(layoutBackend({ dir: join(dir, 'cache'), platform: amd64, logger: log2 }), log2));
    const r2 = await runStage(await second.stage(0, { kind: 'image' }, base), instrs, context, () => undefined);
    expect(r2.missed).toEqual([0]);
    expect(await Promise.all(r2.hits.map((l) => l?.diffId()))).toEqual([await layers[1]?.diffId(), await layers[2]?.diffId()]);
    expect(log2.lines).toContain('info Using caching version of cmd: RUN make');
  });

  it('lets builds store into one layout at the same time (index.json is updated under its lock)', async () => {
    const { dir, context } = await fixture();
    const log = recorder();
    const builds = await Promise.all(
      Array.from({ length: 6 }, async (_, n) => {
        const cache = createLayerCache(options(layoutBackend({ dir: join(dir, 'cache'), platform: amd64, logger: log }), log));
        const layer = await randomLayer();
        await runStage(await cache.stage(0, { kind: 'scratch' }, base), steps(`RUN build ${n}`), context, () => layer);
        await cache.settle();
        return layer;
      }),
    );
    expect(log.lines.filter((l) => l.startsWith('warn'))).toEqual([]);
    const store = openStore(join(dir, 'cache'), { logger: log });
    expect(await store.validate()).toEqual([]);
    expect((await store.entries()).length).toBe(builds.length);
    const again = recorder();
    for (const [n, layer] of builds.entries()) {
      const cache = createLayerCache(options(layoutBackend({ dir: join(dir, 'cache'), platform: amd64, logger: again }), again));
      const r = await runStage(await cache.stage(0, { kind: 'scratch' }, base), steps(`RUN build ${n}`), context, () => undefined);
      expect(await r.hits[0]?.diffId()).toBe(await layer.diffId());
    }
  });

  it('keeps looking up after a miss, and treats an entry older than the TTL as a miss', async () => {
    const { context } = await fixture();
    const instrs = steps('RUN one\nRUN two');
    const entries = new Map<string, Image>();
    const memory: CacheBackend = { describe: (k) => `mem:${k}`, get: async (k) => entries.get(k), put: async (k, img) => void entries.set(k, img) };
    const log = recorder();
    let now = 0;
    const build = async (): Promise<Run> => {
      const cache = createLayerCache(options(memory, log, { now: () => now }));
      const r = await runStage(await cache.stage(0, { kind: 'scratch' }, base), instrs, context, () => undefined);
      await cache.settle();
      return r;
    };
    expect((await build()).missed).toEqual([0, 1]);
    expect(entries.size).toBe(2);
    for (const img of entries.values()) await validateImage(img);
    entries.delete([...entries.keys()][0] as string);
    expect((await build()).missed).toEqual([0]); // kaniko would stop looking after the first miss
    now = 2 * 3600_000; // both entries were stored at 0: now 2 h old, past the 1 h TTL
    expect((await build()).missed).toEqual([0, 1]);
    expect(log.lines.some((l) => /older than --cache-ttl/.test(l))).toBe(true);
  });

  it('--no-push-cache reads but never writes; --cache-run-layers=false neither looks up nor stores RUN', async () => {
    const { context } = await fixture();
    const entries = new Map<string, Image>();
    const memory: CacheBackend = { describe: (k) => `mem:${k}`, get: async (k) => entries.get(k), put: async (k, img) => void entries.set(k, img) };
    const log = recorder();
    const noPush = createLayerCache(options(memory, log, { noPush: true }));
    await runStage(await noPush.stage(0, { kind: 'scratch' }, base), steps('RUN one'), context, () => undefined);
    await noPush.settle();
    expect(entries.size).toBe(0);
    const noRun = createLayerCache(options(memory, log, { runLayers: false }));
    const before = log.lines.length;
    await runStage(await noRun.stage(0, { kind: 'scratch' }, base), steps('RUN one'), context, () => undefined);
    await noRun.settle();
    expect(entries.size).toBe(0);
    expect(log.lines.slice(before).filter((l) => l.includes('Checking for cached layer'))).toEqual([]);
  });

  it('a store that fails is a warning, never an error', async () => {
    const { context } = await fixture();
    const broken: CacheBackend = { describe: (k) => `broken:${k}`, get: async () => undefined, put: async () => Promise.reject(new Error('connection refused')) };
    const log = recorder();
    const cache = createLayerCache(options(broken, log));
    const r = await runStage(await cache.stage(0, { kind: 'scratch' }, base), steps('RUN one'), context, () => undefined);
    await cache.settle();
    expect(r.missed).toEqual([0]);
    expect(log.lines.filter((l) => l.startsWith('warn'))).toEqual([expect.stringMatching(/^warn Error uploading layer to cache broken:[0-9a-f]{64}: connection refused/)]);
  });

  it('chains a stage on its base stage, and a COPY --from on the layer it made', async () => {
    const { context } = await fixture();
    const entries = new Map<string, Image>();
    const memory: CacheBackend = { describe: (k) => `mem:${k}`, get: async (k) => entries.get(k), put: async (k, img) => void entries.set(k, img) };
    const log = recorder();
    const keysFor = async (firstRun: string, copied: Layer): Promise<string[]> => {
      const cache = createLayerCache(options(memory, log));
      const s0 = await cache.stage(0, { kind: 'scratch' }, base);
      await runStage(s0, steps(`RUN ${firstRun}`), context, () => undefined);
      const s1 = await cache.stage(1, { kind: 'stage', index: 0 }, base);
      const start = s1.key();
      await runStage(s1, steps('COPY --from=builder /x /x'), context, () => copied);
      return [start, s1.key()];
    };
    const layer = await randomLayer();
    const [a0, a1] = await keysFor('one', layer);
    const [b0, b1] = await keysFor('two', layer);
    expect(b0).not.toBe(a0);
    expect(b1).not.toBe(a1);
    const [c0, c1] = await keysFor('one', await randomLayer());
    expect(c0).toBe(a0);
    expect(c1).not.toBe(a1);
    expect((await keysFor('one', layer))[1]).toBe(a1);
  });
});
