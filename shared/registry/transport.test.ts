import { describe, expect, it } from 'vitest';
import { defaultRegistryOptions } from './options.ts';
import { backoffDelay, defaultRetryPolicy, isTemporary, retryAfterMs, withRetry } from './retry.ts';
import { RegistryHttpError } from './http-error.ts';
import { schemesFor, verifiesTls, withoutBundledRoots } from './transport.ts';
import { rootCertificates } from 'node:tls';
import { silentLogger } from '../log.ts';

const o = defaultRegistryOptions;

describe('schemes and TLS verification', () => {
  it('uses https only, except for loopback hosts and insecure settings', () => {
    expect(schemesFor('reg.example', 'pull', o)).toEqual(['https']);
    expect(schemesFor('localhost:5000', 'push', o)).toEqual(['https', 'http']);
    expect(schemesFor('127.0.0.1:5000', 'pull', o)).toEqual(['https', 'http']);
    expect(schemesFor('reg.example', 'pull', { ...o, insecurePull: true })).toEqual(['https', 'http']);
    expect(schemesFor('reg.example', 'push', { ...o, insecurePull: true })).toEqual(['https']);
    expect(schemesFor('reg.example', 'push', { ...o, insecure: true })).toEqual(['https', 'http']);
    expect(schemesFor('reg.example:5000', 'push', { ...o, insecureRegistries: ['reg.example'] })).toEqual(['https', 'http']);
  });
  it('skips verification per direction and per host', () => {
    expect(verifiesTls('r', 'pull', o)).toBe(true);
    expect(verifiesTls('r', 'pull', { ...o, skipTlsVerifyPull: true })).toBe(false);
    expect(verifiesTls('r', 'push', { ...o, skipTlsVerifyPull: true })).toBe(true);
    expect(verifiesTls('r', 'push', { ...o, skipTlsVerify: true })).toBe(false);
    expect(verifiesTls('r:443', 'pull', { ...o, skipTlsVerifyRegistries: ['r:443'] })).toBe(false);
    expect(verifiesTls('q', 'pull', { ...o, skipTlsVerifyRegistries: ['r'] })).toBe(true);
  });
});

describe('CA bundle', () => {
  it('drops from a system bundle only the certificates Node already bundles, whatever their line wrapping', () => {
    const [a, b] = rootCertificates as [string, string];
    const rewrapped = (pem: string): string => {
      const body = pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');
      return `-----BEGIN CERTIFICATE-----\n${(body.match(/.{1,76}/g) as string[]).join('\n')}\n-----END CERTIFICATE-----`;
    };
    const own = `-----BEGIN CERTIFICATE-----\n${Buffer.from('a private CA, not bundled').toString('base64')}\n-----END CERTIFICATE-----`;
    const other = '-----BEGIN TRUSTED CERTIFICATE-----\nAAAA\n-----END TRUSTED CERTIFICATE-----';
    const out = withoutBundledRoots(`# comment\n${a}\n${own}\n${rewrapped(b)}\n${other}\n`);
    expect(out).toContain(own);
    expect(out).toContain(other);
    expect(out).toContain('# comment');
    expect(out).not.toContain('-----BEGIN CERTIFICATE-----\n' + a.split('\n')[1]);
    expect(out.match(/BEGIN CERTIFICATE/g)).toHaveLength(1);
  });
});

describe('retry', () => {
  it('backs off exponentially with bounded jitter', () => {
    const p = { ...defaultRetryPolicy, baseDelayMs: 100, maxDelayMs: 1000, jitter: 0.2 };
    expect(backoffDelay(0, p, () => 0.5)).toBe(100);
    expect(backoffDelay(3, p, () => 0.5)).toBe(800);
    expect(backoffDelay(10, p, () => 1)).toBe(1200);
    expect(backoffDelay(2, p, () => 0)).toBe(320);
  });
  it('reads Retry-After as seconds or a date', () => {
    expect(retryAfterMs({ retryAfter: '3' }, 0)).toBe(3000);
    expect(retryAfterMs({ retryAfter: new Date(10_000).toUTCString() }, 4000)).toBe(6000);
    expect(retryAfterMs({}, 0)).toBeUndefined();
  });
  it('retries only temporary errors, and the extra attempts add up', async () => {
    const tls = new RegistryHttpError('E_REGISTRY_NETWORK', 'x', { permanent: true });
    expect(isTemporary(tls)).toBe(false);
    expect(isTemporary(new RegistryHttpError('E_REGISTRY', 'x', { status: 502 }))).toBe(true);
    expect(isTemporary(new RegistryHttpError('E_REGISTRY_AUTH', 'x', { status: 401 }))).toBe(false);
    let calls = 0;
    const ctx = { policy: { ...defaultRetryPolicy, attempts: 2 }, extra: 3, clock: { now: () => 0, sleep: async () => {} }, logger: silentLogger, what: 't' };
    await expect(withRetry(async () => { calls++; throw new RegistryHttpError('E_REGISTRY', 'down', { status: 503 }); }, ctx)).rejects.toThrow('down');
    expect(calls).toBe(5);
    calls = 0;
    await expect(withRetry(async () => { calls++; throw tls; }, ctx)).rejects.toBe(tls);
    expect(calls).toBe(1);
  });
});
