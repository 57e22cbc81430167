import { describe, expect, it, onTestFinished } from 'vitest';
import { silentLogger, type Logger } from '../log.ts';
import { parseReference } from '../reference/index.ts';
import { createRegistryClient, defaultRegistryOptions } from '../registry/index.ts';
import { startFakeRegistry } from '../../test/helpers/fake-registry.ts';
import { randomImage } from '../../test/helpers/random-image.ts';
import { firstOf, resolveImage } from './chain.ts';
import { candidatesFor, registrySource } from './registry-source.ts';
import type { ImageSource } from './types.ts';

const platform = { os: 'linux', architecture: 'amd64' };

describe('candidatesFor', () => {
  it('puts Docker Hub mirrors (with path prefixes) and maps first', () => {
    const ref = parseReference('ubuntu:22.04');
    const c = candidatesFor(ref, { mirrors: ['mirror.example', 'https://m2.example/hub/'], maps: { 'docker.io': ['map.example:5000'] } });
    expect(c.map(String)).toEqual([
      'mirror.example/library/ubuntu:22.04',
      'm2.example/hub/library/ubuntu:22.04',
      'map.example:5000/library/ubuntu:22.04',
    ]);
  });
  it('uses maps only for the registry they name, and mirrors only for Docker Hub', () => {
    const ref = parseReference('quay.example/team/app@sha256:' + 'a'.repeat(64));
    expect(candidatesFor(ref, { mirrors: ['mirror.example'], maps: { 'quay.example': ['q1.example/cache'], other: ['x'] } }).map(String)).toEqual([
      `q1.example/cache/team/app@sha256:${'a'.repeat(64)}`,
    ]);
  });
});

describe('registrySource', () => {
  async function world() {
    const mirror = await startFakeRegistry();
    const origin = await startFakeRegistry();
    const lines: string[] = [];
    const logger: Logger = { ...silentLogger, info: (m) => void lines.push(m), warn: (m) => void lines.push(m) };
    const client = createRegistryClient({ options: defaultRegistryOptions, logger: silentLogger, env: {}, retry: { attempts: 1 } });
    onTestFinished(async () => {
      await client.close();
      await mirror.close();
      await origin.close();
    });
    return { mirror, origin, lines, logger, client };
  }

  it('serves from the first mirror that has the image, else falls back to the registry', async () => {
    const w = await world();
    const img = await randomImage();
    await w.client.push(img, parseReference(`${w.origin.host}/team/app:1`));
    const src = registrySource(w.client, { mirrors: [], maps: { [w.origin.host]: [w.mirror.host] }, skipDefaultFallback: false, logger: w.logger });
    const ref = parseReference(`${w.origin.host}/team/app:1`);
    expect(await (await src.resolve(ref, { platform }))?.digest()).toBe(await img.digest());
    expect(w.lines.some((l) => l.includes(`mirror ${w.mirror.host}`) && l.includes('not found'))).toBe(true);
    await w.client.push(img, parseReference(`${w.mirror.host}/team/app:1`));
    const before = w.origin.requests.length;
    expect(await (await src.resolve(ref, { platform }))?.digest()).toBe(await img.digest());
    expect(w.origin.requests.length).toBe(before);
    expect(w.lines.at(-1)).toContain(`from mirror ${w.mirror.host}`);
  });

  it('errors when no mirror has it and the fallback is off; undefined when nothing has it', async () => {
    const w = await world();
    const ref = parseReference(`${w.origin.host}/team/none:1`);
    const strict = registrySource(w.client, { mirrors: [], maps: { [w.origin.host]: [w.mirror.host] }, skipDefaultFallback: true, logger: w.logger });
    await expect(strict.resolve(ref, { platform })).rejects.toThrow(/no mirror has it and --skip-default-registry-fallback/);
    const lax = registrySource(w.client, { mirrors: [], maps: {}, skipDefaultFallback: false, logger: w.logger });
    expect(await lax.resolve(ref, { platform })).toBeUndefined();
    await expect(resolveImage(firstOf([lax], silentLogger), ref, { platform })).rejects.toMatchObject({ code: 'E_REGISTRY' });
  });
});

describe('firstOf', () => {
  it('asks sources in order and stops at the first answer or error', async () => {
    const img = await randomImage();
    const calls: string[] = [];
    const src = (name: string, answer: 'none' | 'img' | 'err'): ImageSource => ({
      name,
      resolve: async () => {
        calls.push(name);
        if (answer === 'err') throw new Error(`${name} broke`);
        return answer === 'img' ? img : undefined;
      },
    });
    const ref = parseReference('x');
    expect(await firstOf([src('a', 'none'), src('b', 'img'), src('c', 'err')], silentLogger).resolve(ref, { platform })).toBe(img);
    expect(calls).toEqual(['a', 'b']);
    await expect(firstOf([src('d', 'err'), src('e', 'img')], silentLogger).resolve(ref, { platform })).rejects.toThrow('d broke');
    expect(firstOf([src('a', 'none'), src('b', 'none')], silentLogger).name).toBe('a+b');
  });
});
