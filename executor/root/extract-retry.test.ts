import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, onTestFinished, test } from 'vitest';
import { KilnError, RegistryError } from '../../shared/errors.ts';
import { layerFromFile, type Layer } from '../../shared/image/index.ts';
import { tarHeader } from '../layer/tar-pack.ts';
import { writeLayerFromEntries, type WrittenLayer } from '../layer/write-layer.ts';
import { extractImageWithRetry, isTransientExtractError } from './extract-retry.ts';
import { IgnoreList } from './ignore-list.ts';

function testdir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kiln-retry-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const reset = (): RegistryError => new RegistryError('E_REGISTRY_NETWORK', 'pulling blob: connection reset', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) });
const file = (name: string, body: string) => ({ header: tarHeader({ name, type: 'file', size: body.length }), body: Buffer.from(body) });
const dir = (name: string) => ({ header: tarHeader({ name, type: 'directory' }) });

/** Layer 1: /a/{x,y}, /b; layer 2: /a opaque (only /a/z stays), /b whited out. */
async function twoLayers(out: string): Promise<WrittenLayer[]> {
  const l1 = await writeLayerFromEntries([dir('a/'), file('a/x', 'x'), file('a/y', 'y'), file('b', 'b')], { out: join(out, 'l1'), compression: 'gzip' });
  const l2 = await writeLayerFromEntries([dir('a/'), file('a/.wh..wh..opq', ''), file('a/z', 'z'), file('.wh.b', '')], { out: join(out, 'l2'), compression: 'gzip' });
  return [l1, l2];
}

/** `layer`, whose uncompressed stream breaks after `bytes` bytes with `error` the first `times` times it is opened. */
function flaky(layer: Layer, o: { times: number; bytes: number; error: () => Error }): Layer & { opened: number } {
  const f = {
    ...layer,
    opened: 0,
    digest: () => layer.digest(),
    diffId: () => layer.diffId(),
    size: () => layer.size(),
    mediaType: () => layer.mediaType(),
    compressed: () => layer.compressed(),
    uncompressed: async (): Promise<Readable> => {
      f.opened += 1;
      const whole = await layer.uncompressed();
      if (f.opened > o.times) return whole;
      const chunks: Buffer[] = [];
      for await (const c of whole) chunks.push(c as Buffer);
      const head = Buffer.concat(chunks).subarray(0, o.bytes);
      return Readable.from((async function* () {
        yield head;
        throw o.error();
      })());
    },
  };
  return f;
}

describe('isTransientExtractError', () => {
  test('network errors, temporary registry errors and digest mismatches anywhere in the chain are transient', () => {
    expect(isTransientExtractError(reset())).toBe(true);
    expect(isTransientExtractError(new KilnError('E_REGISTRY_NETWORK', 'extracting layer sha256:1: pulling', { cause: reset() }))).toBe(true);
    expect(isTransientExtractError(new RegistryError('E_REGISTRY', 'pulling: 503', { status: 503 }))).toBe(true);
    expect(isTransientExtractError(new KilnError('E_DIGEST_MISMATCH', 'reading blob: got 10 bytes, its descriptor declares 20'))).toBe(true);
    expect(isTransientExtractError(new KilnError('E_IO', 'spooling', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) }))).toBe(true);
  });

  test('unsafe or malformed layers, permanent registry errors and local trouble are not', () => {
    expect(isTransientExtractError(new KilnError('E_UNSAFE_PATH', 'extracting layer sha256:1: path climbs above the build root'))).toBe(false);
    expect(isTransientExtractError(new KilnError('E_LAYER', 'extracting layer sha256:1: bad tar', { cause: reset() }))).toBe(false);
    expect(isTransientExtractError(new RegistryError('E_REGISTRY', 'pulling: 404', { status: 404 }))).toBe(false);
    expect(isTransientExtractError(new RegistryError('E_REGISTRY_AUTH', 'pulling: 401', { status: 401 }))).toBe(false);
    expect(isTransientExtractError(new KilnError('E_IO', 'writing: ENOSPC', { cause: Object.assign(new Error('no space'), { code: 'ENOSPC' }) }))).toBe(false);
    expect(isTransientExtractError(new Error('boom'))).toBe(false);
  });
});

describe('extractImageWithRetry', () => {
  for (const spool of [false, true]) {
    test(`a cut stream in the second layer is retried from a clean root: whiteouts and the opaque directory hold${spool ? ' (spooled)' : ''}`, async () => {
      const root = testdir();
      const [l1, l2] = (await twoLayers(testdir())).map(layerFromFile) as [Layer, Layer];
      const broken = flaky(l2, { times: 1, bytes: 700, error: reset });
      const waits: number[] = [];
      const logged: string[] = [];
      const logger = { debug: () => {}, info: () => {}, warn: (m: string) => void logged.push(m), error: () => {} };
      const stats = await extractImageWithRetry([l1, broken], {
        root, ignore: new IgnoreList(), mode: 'host', logger, ...(spool ? { spoolDir: testdir() } : {}),
      }, { retries: 2, sleep: async (ms) => void waits.push(ms) });
      expect(broken.opened).toBe(2);
      expect(waits).toEqual([1000]);
      expect(logged).toEqual([expect.stringMatching(/^extracting the base image filesystem failed \(attempt 1 of 3\): .*connection reset.*; retrying in 1000 ms$/)]);
      expect(stats).toHaveLength(2);
      expect(readdirSync(root).sort()).toEqual(['a']);
      expect(readdirSync(join(root, 'a'))).toEqual(['z']);
      expect(readFileSync(join(root, 'a/z'), 'utf8')).toBe('z');
    });
  }

  test('the root is cleaned before a retry but what the ignore list holds stays', async () => {
    const root = testdir();
    mkdirSync(join(root, 'kaniko'));
    writeFileSync(join(root, 'kaniko/keep'), 'k');
    const [l1] = (await twoLayers(testdir())).map(layerFromFile) as [Layer, Layer];
    let calls = 0;
    await extractImageWithRetry([l1], { root, ignore: new IgnoreList(['/kaniko']), mode: 'host' }, {
      retries: 1, sleep: async () => {},
      extract: async () => {
        calls += 1;
        if (calls === 1) {
          writeFileSync(join(root, 'partial'), 'p');
          throw reset();
        }
        expect(existsSync(join(root, 'partial'))).toBe(false);
        expect(readFileSync(join(root, 'kaniko/keep'), 'utf8')).toBe('k');
        return [];
      },
    });
    expect(calls).toBe(2);
  });

  test('the pause doubles up to the cap; the last error says how many attempts were made', async () => {
    const root = testdir();
    const waits: number[] = [];
    const run = extractImageWithRetry([], { root, ignore: new IgnoreList(), mode: 'host' }, {
      retries: 3, initialDelayMs: 10, maxDelayMs: 25, sleep: async (ms) => void waits.push(ms), extract: async () => { throw reset(); },
    });
    await expect(run).rejects.toMatchObject({ code: 'E_REGISTRY_NETWORK', message: 'pulling blob: connection reset (after 4 attempts)' });
    expect(waits).toEqual([10, 20, 25]);
  });

  test('without retries a temporary failure fails at once, with a hint naming the flag', async () => {
    const root = testdir();
    const run = extractImageWithRetry([], { root, ignore: new IgnoreList(), mode: 'host' }, { retries: 0, extract: async () => { throw reset(); } });
    await expect(run).rejects.toMatchObject({ code: 'E_REGISTRY_NETWORK', message: 'pulling blob: connection reset', hint: expect.stringContaining('pass --image-fs-extract-retry N') });
  });

  test('an unsafe layer is never retried', async () => {
    const root = testdir();
    const out = testdir();
    const evil = layerFromFile(await writeLayerFromEntries([file('../../escape', 'x')], { out: join(out, 'evil'), compression: 'gzip' }));
    let opened = 0;
    const counted: Layer = { ...evil, digest: () => evil.digest(), diffId: () => evil.diffId(), size: () => evil.size(), mediaType: () => evil.mediaType(), compressed: () => evil.compressed(), uncompressed: () => { opened += 1; return evil.uncompressed(); } };
    const waits: number[] = [];
    const run = extractImageWithRetry([counted], { root, ignore: new IgnoreList(), mode: 'host' }, { retries: 5, sleep: async (ms) => void waits.push(ms) });
    await expect(run).rejects.toMatchObject({ code: 'E_UNSAFE_PATH' });
    expect(opened).toBe(1);
    expect(waits).toEqual([]);
  });
});
