import { describe, expect, it } from 'vitest';
import type { Instruction } from '../../shared/dockerfile/index.ts';
import type { ConfigFile } from '../../shared/image/types.ts';
import {
  applyCmd, applyEntrypoint, applyEnv, applyExpose, applyHealthcheck, applyLabel, applyMaintainer, applyOnbuild,
  applyShell, applyVolume, applyWorkdir, expandPort, setEnv, shellOf,
} from './apply.ts';

const base = (): ConfigFile => ({
  architecture: 'amd64', os: 'linux', config: { Env: ['PATH=/bin', 'A=1'], Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [] },
});
const b = { loc: { start: 1, end: 1 }, raw: '' };
type Of<K extends Instruction['kind']> = Extract<Instruction, { kind: K }>;
const i = <K extends Instruction['kind']>(kind: K, rest: Omit<Of<K>, 'kind' | 'loc' | 'raw'>): Of<K> => ({ ...b, kind, ...rest }) as unknown as Of<K>;

describe('image config mutations (Docker semantics)', () => {
  it('ENV replaces in place and appends new keys; the input is not mutated', () => {
    const cfg = base();
    const out = applyEnv(cfg, i('ENV', { env: [{ key: 'PATH', value: '/x:/bin' }, { key: 'B', value: '' }] }));
    expect(out.config.Env).toEqual(['PATH=/x:/bin', 'A=1', 'B=']);
    expect(cfg.config.Env).toEqual(['PATH=/bin', 'A=1']);
    expect(setEnv(['A'], [{ key: 'A', value: '2' }])).toEqual(['A=2']);
  });

  it('LABEL merges, later values win', () => {
    const out = applyLabel(applyLabel(base(), i('LABEL', { labels: [{ key: 'a', value: '1' }] })), i('LABEL', { labels: [{ key: 'a', value: '2' }, { key: 'b', value: '' }] }));
    expect(out.config.Labels).toEqual({ a: '2', b: '' });
  });

  it('EXPOSE normalises protocols, expands ranges and rejects nonsense', () => {
    expect(applyExpose(base(), i('EXPOSE', { ports: ['80', '53/UDP', '7000-7002/sctp'] })).config.ExposedPorts).toEqual({
      '80/tcp': {}, '53/udp': {}, '7000/sctp': {}, '7001/sctp': {}, '7002/sctp': {},
    });
    expect(() => expandPort('http')).toThrow(/invalid port/);
    expect(() => expandPort('70000')).toThrow(/invalid port/);
  });

  it('WORKDIR resolves relative paths against the current one', () => {
    const a = applyWorkdir(base(), i('WORKDIR', { path: '/app' }));
    const bb = applyWorkdir(a, i('WORKDIR', { path: 'src/../lib' }));
    expect([a.config.WorkingDir, bb.config.WorkingDir]).toEqual(['/app', '/app/lib']);
    expect(applyWorkdir(base(), i('WORKDIR', { path: 'rel' })).config.WorkingDir).toBe('/rel');
  });

  it('CMD and ENTRYPOINT: shell form through SHELL; ENTRYPOINT clears an inherited CMD but not one set in the stage', () => {
    const withShell = applyShell(base(), i('SHELL', { shell: ['/bin/bash', '-eo', 'pipefail', '-c'] }));
    expect(shellOf(withShell)).toEqual(['/bin/bash', '-eo', 'pipefail', '-c']);
    expect(applyCmd(withShell, i('CMD', { command: { form: 'shell', command: 'run it' } })).config.Cmd).toEqual(['/bin/bash', '-eo', 'pipefail', '-c', 'run it']);
    const ep = i('ENTRYPOINT', { command: { form: 'exec', args: ['/entry'] } });
    expect(applyEntrypoint(base(), ep, { cmdSetInStage: false }).config).toMatchObject({ Entrypoint: ['/entry'], Cmd: null });
    expect(applyEntrypoint(base(), ep, { cmdSetInStage: true }).config).toMatchObject({ Entrypoint: ['/entry'], Cmd: ['sh'] });
  });

  it('VOLUME, HEALTHCHECK, ONBUILD, MAINTAINER', () => {
    expect(applyVolume(base(), i('VOLUME', { volumes: ['/data', '/logs'] })).config.Volumes).toEqual({ '/data': {}, '/logs': {} });
    expect(() => applyVolume(base(), i('VOLUME', { volumes: [' '] }))).toThrow(/empty/);
    expect(applyHealthcheck(base(), i('HEALTHCHECK', { test: ['NONE'] })).config.Healthcheck).toEqual({ Test: ['NONE'] });
    expect(applyHealthcheck(base(), i('HEALTHCHECK', { test: ['CMD-SHELL', 'curl x'], interval: 30e9, retries: 3 })).config.Healthcheck).toEqual({
      Test: ['CMD-SHELL', 'curl x'], Interval: 30e9, Retries: 3,
    });
    const ob = applyOnbuild(applyOnbuild(base(), i('ONBUILD', { expression: 'RUN a', instruction: i('RUN', { command: { form: 'shell', command: 'a' }, heredocs: [], mounts: [] }) })), i('ONBUILD', { expression: 'RUN b', instruction: i('RUN', { command: { form: 'shell', command: 'b' }, heredocs: [], mounts: [] }) }));
    expect(ob.config.OnBuild).toEqual(['RUN a', 'RUN b']);
    expect(applyMaintainer(base(), i('MAINTAINER', { maintainer: 'me <me@x>' })).author).toBe('me <me@x>');
  });
});
