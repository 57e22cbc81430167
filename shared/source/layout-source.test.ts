import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { randomImage } from '../../test/helpers/random-image.ts';
import { openStore } from '../cache/index.ts';
import { hexOf } from '../digest.ts';
import { validateImage, type Image } from '../image/index.ts';
import type { Logger } from '../log.ts';
import { parseReference } from '../reference/index.ts';
import { firstOf } from './chain.ts';
import { layoutSource } from './layout-source.ts';
import type { ImageSource } from './types.ts';

const platform = { os: 'linux', architecture: 'amd64' };
const HOUR = 3600_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');

function testdir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kiln-layout-src-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function recorder(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (msg: string) => void lines.push(`${level} ${msg}`);
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

/** A source standing in for the registry: counts how often the chain falls through to it. */
function fallback(image: Image | undefined): ImageSource & { calls: number } {
  const s = { name: 'registry', calls: 0, resolve: async () => (s.calls++, image) };
  return s;
}

async function warmed(dir: string, ref: string, now = T0): Promise<Image> {
  const img = await randomImage({ layers: 2, layerBytes: 2048 });
  await openStore(dir, { logger: recorder().logger, now: () => now }).put(parseReference(ref), platform, img);
  return img;
}

describe('layoutSource', () => {
  it('serves a tag warmed within the TTL, and a digest at any age, without the fallback', async () => {
    const dir = testdir();
    const img = await warmed(dir, '127.0.0.1:5000/lib/base:1');
    const clock = { t: T0 + HOUR };
    const { logger, lines } = recorder();
    const reg = fallback(undefined);
    const chain = firstOf([layoutSource(dir, { ttlMs: 2 * HOUR, logger, now: () => clock.t }), reg], logger);
    const got = await chain.resolve(parseReference('127.0.0.1:5000/lib/base:1'), { platform });
    expect(got && (await got.digest())).toBe(await img.digest());
    await validateImage(got as Image);
    clock.t += 100 * HOUR;
    const byDigest = await chain.resolve(parseReference(`127.0.0.1:5000/lib/base@${await img.digest()}`), { platform });
    expect(byDigest && (await byDigest.digest())).toBe(await img.digest());
    expect(reg.calls).toBe(0);
    expect(lines.filter((l) => l.startsWith('info Found'))).toHaveLength(2);
  });

  it('falls back with a log line for a miss, an expired tag and an absent store', async () => {
    const dir = testdir();
    await warmed(dir, '127.0.0.1:5000/lib/base:1');
    const { logger, lines } = recorder();
    const src = layoutSource(dir, { ttlMs: HOUR, logger, now: () => T0 + 2 * HOUR });
    expect(await src.resolve(parseReference('127.0.0.1:5000/lib/base:1'), { platform })).toBeUndefined();
    expect(await src.resolve(parseReference('127.0.0.1:5000/lib/other:1'), { platform })).toBeUndefined();
    const none = layoutSource(join(dir, 'nothing-here'), { ttlMs: HOUR, logger });
    expect(await none.resolve(parseReference('127.0.0.1:5000/lib/base:1'), { platform })).toBeUndefined();
    expect(lines).toEqual([
      expect.stringMatching(/^info Cached 127\.0\.0\.1:5000\/lib\/base:1 \(linux\/amd64\) in .* was warmed at 2026-11-01T00:00:00\.000Z, older than --cache-ttl; pulling it from the registry$/),
      expect.stringMatching(/^info 127\.0\.0\.1:5000\/lib\/other:1 \(linux\/amd64\) not in cache .*: .* is not in the store$/),
      expect.stringMatching(/^debug .* not in cache .*nothing-here: no store in /),
    ]);
  });

  it('falls back when a layer blob is corrupt, and when index.json is garbage', async () => {
    const dir = testdir();
    const img = await warmed(dir, '127.0.0.1:5000/lib/base:1');
    const layer = (await img.manifest()).layers[1];
    writeFileSync(join(dir, 'blobs', 'sha256', hexOf(layer?.digest ?? 'sha256:')), 'not the layer');
    const { logger, lines } = recorder();
    const reg = fallback(img);
    const chain = firstOf([layoutSource(dir, { ttlMs: HOUR, logger, now: () => T0 }), reg], logger);
    expect(await chain.resolve(parseReference('127.0.0.1:5000/lib/base:1'), { platform })).toBe(img);
    expect(reg.calls).toBe(1);
    expect(lines.find((l) => l.startsWith('warn'))).toMatch(/is corrupt \(.*\); pulling it from the registry$/);
    writeFileSync(join(dir, 'index.json'), '{not json');
    expect(await chain.resolve(parseReference('127.0.0.1:5000/lib/base:1'), { platform })).toBe(img);
    expect(reg.calls).toBe(2);
    expect(lines.filter((l) => l.startsWith('warn'))[1]).toMatch(/is unusable \(reading .*index\.json: .*\); pulling it from the registry$/);
  });

  it('never writes the store', async () => {
    const dir = testdir();
    await warmed(dir, '127.0.0.1:5000/lib/base:1');
    const before = readdirSync(dir, { recursive: true }).sort();
    const src = layoutSource(dir, { ttlMs: HOUR, logger: recorder().logger, now: () => T0 });
    await src.resolve(parseReference('127.0.0.1:5000/lib/base:1'), { platform });
    await src.resolve(parseReference('127.0.0.1:5000/lib/base:2'), { platform });
    expect(readdirSync(dir, { recursive: true }).sort()).toEqual(before);
  });
});
