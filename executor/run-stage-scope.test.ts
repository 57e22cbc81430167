import { describe, expect, it } from 'vitest';
import { hostPlatforms, parseDockerfile, resolveGlobalScope, type ArgInstruction } from '../shared/dockerfile/index.ts';
import type { ConfigFile } from '../shared/image/types.ts';
import { StageScope } from './run-stage-scope.ts';

const arg = (...args: ArgInstruction['args']): ArgInstruction => ({ kind: 'ARG', args, loc: { start: 1, end: 1 }, raw: '' });
const cfg = (env: string[]): ConfigFile => ({ architecture: 'amd64', os: 'linux', config: { Env: env }, rootfs: { type: 'layers', diff_ids: [] } });
const scope = (meta: string, buildArgs: [string, string][] = []): StageScope =>
  new StageScope({ global: resolveGlobalScope(parseDockerfile(`${meta}FROM scratch\n`), { buildArgs: new Map(buildArgs), platforms: hostPlatforms() }) });

describe('StageScope (Docker ARG/ENV precedence)', () => {
  it('build args beat defaults, redeclared meta args take the meta value, undeclared args stay invisible', () => {
    const s = scope('ARG M=meta\n', [['A', 'from-flag'], ['HIDDEN', 'x']]);
    s.declare(arg({ name: 'A', value: 'default' }, { name: 'B', value: 'b' }, { name: 'M' }, { name: 'UNSET' }));
    const get = s.getter(cfg([]));
    expect([get('A'), get('B'), get('M'), get('UNSET'), get('HIDDEN')]).toEqual(['from-flag', 'b', 'meta', undefined, undefined]);
    expect(s.declared()).toEqual([{ key: 'A', value: 'from-flag' }, { key: 'B', value: 'b' }, { key: 'M', value: 'meta' }]);
  });

  it('platform args are seen only once declared', () => {
    const s = scope('');
    expect(s.getter(cfg([]))('TARGETOS')).toBeUndefined();
    s.declare(arg({ name: 'TARGETOS' }));
    expect(s.getter(cfg([]))('TARGETOS')).toBe('linux');
  });

  it('ENV wins over ARG in expansion', () => {
    const s = scope('');
    s.declare(arg({ name: 'V', value: 'arg' }));
    expect(s.getter(cfg(['V=env']))('V')).toBe('env');
  });

  it('proxy build args reach RUN without a declaration', () => {
    const s = scope('', [['HTTP_PROXY', 'http://p:3128'], ['OTHER', '1']]);
    expect(s.proxies()).toEqual([{ key: 'HTTP_PROXY', value: 'http://p:3128' }]);
    expect(s.declared()).toEqual([]);
  });
});
