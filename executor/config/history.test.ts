import { describe, expect, it } from 'vitest';
import type { Instruction } from '../../shared/dockerfile/index.ts';
import { createdBy } from './history.ts';
import { goQuoteList } from './go-format.ts';

const b = { loc: { start: 1, end: 1 }, raw: '' };
const ctx = { shell: ['/bin/sh', '-c'], buildArgs: [] };
const by = (instr: unknown, c = ctx): string => createdBy(instr as Instruction, c);

describe('history created_by as BuildKit writes it', () => {
  it.each([
    [{ kind: 'RUN', command: { form: 'shell', command: 'apt-get update' }, heredocs: [], mounts: [] }, 'RUN /bin/sh -c apt-get update # buildkit'],
    [{ kind: 'RUN', command: { form: 'exec', args: ['ls', '-la'] }, heredocs: [], mounts: [] }, 'RUN ls -la # buildkit'],
    [{ kind: 'COPY', sources: ['a', 'b'], inline: [], dest: '/x/', link: false, exclude: [], parents: false }, 'COPY a b /x/ # buildkit'],
    [{ kind: 'ENV', env: [{ key: 'A', value: 'b c' }, { key: 'D', value: '' }] }, 'ENV A=b c D='],
    [{ kind: 'ARG', args: [{ name: 'V', value: '1' }, { name: 'W' }] }, 'ARG V=1 W'],
    [{ kind: 'CMD', command: { form: 'exec', args: ['nginx', '-g', 'daemon off;'] } }, 'CMD ["nginx" "-g" "daemon off;"]'],
    [{ kind: 'ENTRYPOINT', command: { form: 'shell', command: 'run "x"' } }, 'ENTRYPOINT ["/bin/sh" "-c" "run \\"x\\""]'],
    [{ kind: 'EXPOSE', ports: ['80', '443/tcp', '53/UDP'] }, 'EXPOSE map[443/tcp:{} 53/udp:{} 80/tcp:{}]'],
    [{ kind: 'VOLUME', volumes: ['/a', '/b'] }, 'VOLUME [/a /b]'],
    [{ kind: 'SHELL', shell: ['/bin/bash', '-c'] }, 'SHELL [/bin/bash -c]'],
    [{ kind: 'WORKDIR', path: '/app' }, 'WORKDIR /app'],
    [{ kind: 'USER', user: 'app:app' }, 'USER app:app'],
    [{ kind: 'STOPSIGNAL', signal: 'SIGQUIT' }, 'STOPSIGNAL SIGQUIT'],
    [{ kind: 'HEALTHCHECK', test: ['CMD-SHELL', 'true'], interval: 300e9, timeout: 3e9 }, 'HEALTHCHECK &{["CMD-SHELL" "true"] "5m0s" "3s" "0s" "0s" \'\\x00\'}'],
  ])('%j', (instr, want) => {
    expect(by({ ...b, ...instr })).toBe(want);
  });

  it('RUN lists the ARGs in scope as |N K=V', () => {
    const run = { ...b, kind: 'RUN', command: { form: 'shell', command: 'make' }, heredocs: [], mounts: [] };
    expect(by(run, { shell: ['/bin/sh', '-c'], buildArgs: [{ key: 'A', value: '1' }, { key: 'B', value: 'x y' }] } as never)).toBe('RUN |2 A=1 B=x y /bin/sh -c make # buildkit');
  });

  it('Go %q quoting escapes quotes, backslashes and control characters', () => {
    expect(goQuoteList(['a"b', 'c\\d', 'e\nf', '\x01'])).toBe('["a\\"b" "c\\\\d" "e\\nf" "\\x01"]');
  });
});
