import { describe, expect, it } from 'vitest';
import { applyChmod, parseChmod } from './chmod.ts';

describe('--chmod', () => {
  it('parses octal and symbolic modes and rejects others', () => {
    expect(parseChmod('0755')).toEqual({ kind: 'octal', mode: 0o755 });
    expect(parseChmod('u+x,g-w').kind).toBe('symbolic');
    for (const bad of ['0999', 'u+q', 'rwx', '12345', 'u+x,']) expect(() => parseChmod(bad)).toThrow('invalid chmod parameter');
  });
  it('applies symbolic modes like chmod(1)', () => {
    const file = 0o100644;
    expect(applyChmod(parseChmod('u+x'), file, { isDir: false }).toString(8)).toBe('100744');
    expect(applyChmod(parseChmod('go-r'), file, { isDir: false }).toString(8)).toBe('100600');
    expect(applyChmod(parseChmod('a=rX'), file, { isDir: false }).toString(8)).toBe('100444');
    expect(applyChmod(parseChmod('a=rX'), 0o40700, { isDir: true }).toString(8)).toBe('40555');
    expect(applyChmod(parseChmod('u=rwx,g=u,o='), file, { isDir: false }).toString(8)).toBe('100770');
    expect(applyChmod(parseChmod('u+s,+t'), file, { isDir: false }).toString(8)).toBe('105644');
    expect(applyChmod(parseChmod('0700'), file, { isDir: false }).toString(8)).toBe('100700');
  });
});
