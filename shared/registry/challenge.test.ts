import { describe, expect, it } from 'vitest';
import { parseChallenges, pickChallenge } from './challenge.ts';

describe('parseChallenges', () => {
  it('parses a bearer challenge with quoted params', () => {
    const c = parseChallenges('Bearer realm="https://auth.example/token",service="reg.example",scope="repository:a/b:pull,push"');
    expect(c).toEqual([{ scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'reg.example', scope: 'repository:a/b:pull,push' } }]);
  });
  it('parses basic, odd spacing, unquoted values and escapes', () => {
    const c = parseChallenges('Basic realm = "Registry \\"Realm\\"" , charset=UTF-8');
    expect(c).toEqual([{ scheme: 'basic', params: { realm: 'Registry "Realm"', charset: 'UTF-8' } }]);
  });
  it('parses several challenges and prefers bearer', () => {
    const c = parseChallenges('Basic realm="x", Bearer realm="http://127.0.0.1:1/t",Service=s');
    expect(c.map((x) => x.scheme)).toEqual(['basic', 'bearer']);
    expect(pickChallenge(c)?.params).toEqual({ realm: 'http://127.0.0.1:1/t', service: 's' });
  });
  it('returns nothing for a missing header and ignores unknown schemes', () => {
    expect(parseChallenges(undefined)).toEqual([]);
    expect(pickChallenge(parseChallenges('Negotiate abc'))).toBeUndefined();
  });
});
