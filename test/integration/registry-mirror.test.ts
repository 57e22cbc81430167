// --registry-mirror and --registry-map against real registries: mirrors tried in order, the
// original registry as fallback, and --skip-default-registry-fallback.
import { describe, expect, it } from 'vitest';
import { silentLogger, type Logger } from '../../shared/log.ts';
import { parseReference } from '../../shared/reference/index.ts';
import { firstOf, registrySource, resolveImage } from '../../shared/source/index.ts';
import { testEnv } from '../helpers/testenv.ts';
import { amd64, makeClient } from './registry-client.ts';

const env = testEnv();
const unique = (): string => `m${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

function recorder(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = (msg: string): void => void lines.push(msg);
  return { logger: { ...silentLogger, info: log, warn: log }, lines };
}

describe('registry mirrors and maps', () => {
  it('falls back to the original registry when the mapped mirror lacks the image', async () => {
    const { client } = makeClient(env);
    const { logger, lines } = recorder();
    const prefix = unique();
    const src = registrySource(client, { mirrors: [], maps: { [env.plain.host]: [`${env.tls.host}/${prefix}`] }, skipDefaultFallback: false, logger });
    const ref = parseReference(env.images.busybox.v2s2);
    const img = await src.resolve(ref, amd64);
    expect(await img?.digest()).toBe(env.images.busybox.digest.v2s2);
    expect(lines.join('\n')).toContain(`mirror ${env.tls.host} cannot serve ${ref.toString()} (not found there)`);

    const strict = registrySource(client, { mirrors: [], maps: { [env.plain.host]: [`${env.tls.host}/${prefix}`] }, skipDefaultFallback: true, logger });
    await expect(strict.resolve(ref, amd64)).rejects.toThrow(/no mirror has it and --skip-default-registry-fallback is set/);

    // copy the image into the mirror: now the mirror serves it and the original sees nothing
    await client.push(img!, parseReference(`${env.tls.host}/${prefix}/kiln/busybox:v2s2`));
    const mirrored = await strict.resolve(ref, amd64);
    expect(await mirrored?.digest()).toBe(env.images.busybox.digest.v2s2);
    expect(lines.at(-1)).toBe(`pulling ${ref.toString()} from mirror ${env.tls.host}`);
  });

  it('uses --registry-mirror for Docker Hub references, in order, never reaching Docker Hub', async () => {
    const { client } = makeClient(env);
    const { logger, lines } = recorder();
    const src = registrySource(client, { mirrors: [`${env.tls.host}/${unique()}`, env.plain.host], maps: {}, skipDefaultFallback: true, logger });
    const hubRef = parseReference('kiln/busybox:oci');
    expect(hubRef.registry).toBe('index.docker.io');
    const img = await resolveImage(firstOf([src], silentLogger), hubRef, amd64);
    expect(await img.digest()).toBe(env.images.busybox.digest.oci);
    expect(lines.at(-1)).toBe(`pulling ${hubRef.toString()} from mirror ${env.plain.host}`);
    await expect(src.resolve(parseReference(`kiln/${unique()}:1`), amd64)).rejects.toMatchObject({ code: 'E_REGISTRY' });
  });

  it('skips a mirror that fails (auth) and says why', async () => {
    const { client } = makeClient(env, { dockerConfigDir: env.workDir });
    const { logger, lines } = recorder();
    const src = registrySource(client, { mirrors: [], maps: { [env.plain.host]: [env.token.host] }, skipDefaultFallback: false, logger });
    const img = await src.resolve(parseReference(env.images.busybox.oci), amd64);
    expect(await img?.digest()).toBe(env.images.busybox.digest.oci);
    expect(lines.some((l) => l.startsWith(`mirror ${env.token.host} cannot serve`) && l.includes('401'))).toBe(true);
  });

  it('answers undefined when the image exists nowhere, so a chain can go on', async () => {
    const { client } = makeClient(env);
    const src = registrySource(client, { mirrors: [], maps: {}, skipDefaultFallback: false, logger: silentLogger });
    expect(await src.resolve(parseReference(`${env.plain.host}/kiln/${unique()}:1`), amd64)).toBeUndefined();
  });
});
