import { createVerify, generateKeyPairSync } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { parseScope, signToken } from '../../test/helpers/token-server.ts';

describe('parseScope', () => {
  test.each([
    ['repository:kiln/busybox:pull,push', { type: 'repository', name: 'kiln/busybox', actions: ['pull', 'push'] }],
    ['repository:a/b/c:pull', { type: 'repository', name: 'a/b/c', actions: ['pull'] }],
    ['registry:catalog:*', { type: 'registry', name: 'catalog', actions: ['*'] }],
    ['repository(plugin):x:pull', { type: 'repository(plugin)', name: 'x', actions: ['pull'] }],
    ['repository:x:', { type: 'repository', name: 'x', actions: [] }],
  ])('%s', (scope, want) => {
    expect(parseScope(scope)).toEqual(want);
  });

  test('a scope without name or actions is rejected', () => {
    expect(parseScope('repository')).toBeUndefined();
    expect(parseScope('repository:x')).toBeUndefined();
  });
});

describe('signToken', () => {
  test('makes an RS256 JWT with the x5c header that verifies with the public key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const token = signToken({ key: privateKey, x5c: 'Q0VSVA==' }, { iss: 'i', access: [] });
    const [h, c, s] = token.split('.') as [string, string, string];
    expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual({ alg: 'RS256', typ: 'JWT', x5c: ['Q0VSVA=='] });
    expect(JSON.parse(Buffer.from(c, 'base64url').toString())).toEqual({ iss: 'i', access: [] });
    expect(createVerify('RSA-SHA256').update(`${h}.${c}`).verify(publicKey, Buffer.from(s, 'base64url'))).toBe(true);
    expect(createVerify('RSA-SHA256').update(`${h}.${c}x`).verify(publicKey, Buffer.from(s, 'base64url'))).toBe(false);
  });
});
