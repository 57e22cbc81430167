import { createVerify, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GCS_READ_SCOPE, serviceAccountAssertion } from './gcs-auth.ts';
import { gcsObjectUrl } from './gcs.ts';

describe('gs:// contexts', () => {
  it('download through the JSON API, from STORAGE_EMULATOR_HOST when set', () => {
    expect(gcsObjectUrl('b', 'dir/ctx file.tgz', {})).toBe('https://storage.googleapis.com/storage/v1/b/b/o/dir%2Fctx%20file.tgz?alt=media');
    expect(gcsObjectUrl('b', 'c.tgz', { STORAGE_EMULATOR_HOST: '127.0.0.1:4443' })).toBe('http://127.0.0.1:4443/storage/v1/b/b/o/c.tgz?alt=media');
    expect(gcsObjectUrl('b', 'c.tgz', { STORAGE_EMULATOR_HOST: 'https://emu:1/' })).toBe('https://emu:1/storage/v1/b/b/o/c.tgz?alt=media');
  });

  it("sign a service account's RS256 JWT-bearer assertion (read-only scope, one hour)", () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const sa = { type: 'service_account' as const, client_email: 'b@p.iam.gserviceaccount.com', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), private_key_id: 'kid1', token_uri: 'https://oauth2.example/token' };
    const jwt = serviceAccountAssertion(sa, new Date('2026-01-01T00:00:00Z'));
    const [h, p, s] = jwt.split('.') as [string, string, string];
    expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'kid1' });
    expect(JSON.parse(Buffer.from(p, 'base64url').toString())).toEqual({ iss: sa.client_email, scope: GCS_READ_SCOPE, aud: sa.token_uri, iat: 1767225600, exp: 1767229200 });
    expect(createVerify('RSA-SHA256').update(`${h}.${p}`).verify(publicKey, Buffer.from(s, 'base64url'))).toBe(true);
    expect(() => serviceAccountAssertion({ ...sa, private_key: 'not a key' }, new Date())).toThrow(/private_key cannot sign/);
  });
});
