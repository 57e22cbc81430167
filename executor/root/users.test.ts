import { describe, expect, it } from 'vitest';
import { parseGroup, parsePasswd, resolveUserSpec } from './users.ts';

const db = {
  passwd: parsePasswd('root:x:0:0:root:/root:/bin/sh\n# comment\nalice:x:1000:1000::/home/alice:/bin/sh\nnohome:x:1001:1001:::/bin/sh\nbroken line\n'),
  group: parseGroup('root:x:0:\nalice:x:1000:\nwheel:x:10:alice,bob\naudio:x:29: bob , alice\nstaff:x:50:\n'),
};

describe('resolveUserSpec (Docker GetExecUser semantics)', () => {
  it.each([
    ['', { uid: 0, gid: 0, groups: [0], home: '/root', name: 'root' }],
    ['root', { uid: 0, gid: 0, groups: [0], home: '/root', name: 'root' }],
    ['alice', { uid: 1000, gid: 1000, groups: [1000, 10, 29], home: '/home/alice', name: 'alice' }],
    ['1000', { uid: 1000, gid: 1000, groups: [1000, 10, 29], home: '/home/alice', name: 'alice' }],
    ['alice:staff', { uid: 1000, gid: 50, groups: [50], home: '/home/alice', name: 'alice' }],
    ['alice:77', { uid: 1000, gid: 77, groups: [77], home: '/home/alice', name: 'alice' }],
    ['4242', { uid: 4242, gid: 0, groups: [0], home: '/' }],
    ['4242:4243', { uid: 4242, gid: 4243, groups: [4243], home: '/' }],
    ['nohome', { uid: 1001, gid: 1001, groups: [1001], home: '/', name: 'nohome' }],
  ])('USER %j', (spec, want) => {
    expect(resolveUserSpec(spec, db)).toEqual(want);
  });

  it('an unknown user name or group name is an error naming it', () => {
    expect(() => resolveUserSpec('bob', db)).toThrow(/unable to find user bob: no matching entries in passwd file/);
    expect(() => resolveUserSpec('alice:nogroup', db)).toThrow(/unable to find group nogroup/);
  });

  it('a scratch root (no files) still takes numeric ids, and root', () => {
    const empty = { passwd: [], group: [] };
    expect(resolveUserSpec('65534:65534', empty)).toEqual({ uid: 65534, gid: 65534, groups: [65534], home: '/' });
    expect(resolveUserSpec('', empty)).toEqual({ uid: 0, gid: 0, groups: [0], home: '/root' });
  });
});
