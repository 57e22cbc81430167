import { describe, expect, it } from 'vitest';
import { KilnError } from '../errors.ts';
import { exitCodeOf, reportCrash, reportFailure } from './report.ts';

const now = () => Date.UTC(2026, 0, 2, 3, 4, 5);

describe('reportFailure', () => {
  it('prints the message and the hint on the next line', () => {
    const err = new KilnError('E_USAGE', 'unknown flag --x', { hint: 'run with --help' });
    expect(reportFailure(err, { format: 'text', prefix: 'error building image' })).toEqual({
      text: 'error building image: unknown flag --x\nhint: run with --help\n',
      exitCode: 1,
    });
  });

  it("uses the error's exit code (a failed RUN)", () => {
    const err = new KilnError('E_RUN', 'RUN exit 3: exit code 3', { exitCode: 3 });
    expect(reportFailure(err, { format: 'text', prefix: 'error building image' }).exitCode).toBe(3);
    expect(exitCodeOf(new KilnError('E_RUN', 'x', { exitCode: 0 }))).toBe(1);
    expect(exitCodeOf(new KilnError('E_RUN', 'x', { exitCode: 300 }))).toBe(1);
    expect(exitCodeOf(new Error('plain'))).toBe(1);
  });

  it('adds causes the message does not mention, and redacts them', () => {
    const cause = new Error('connect to https://user:hunter2@reg.example:5000 failed: Authorization: Bearer abc.def');
    const err = new KilnError('E_REGISTRY_NETWORK', 'pulling busybox', { cause });
    const { text } = reportFailure(err, { format: 'text', prefix: 'error building image' });
    expect(text).toContain('error building image: pulling busybox: connect to https://***@reg.example:5000 failed');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('abc.def');
  });

  it('writes one JSON line with --log-format json', () => {
    const err = new KilnError('E_NOT_IMPLEMENTED', 'flag --cache is not implemented yet', { hint: 'leave it out' });
    const { text, exitCode } = reportFailure(err, { format: 'json', prefix: 'error building image', now });
    expect(text.endsWith('\n') && text.trim().split('\n').length === 1).toBe(true);
    expect(JSON.parse(text)).toEqual({
      level: 'error',
      msg: 'error building image: flag --cache is not implemented yet',
      code: 'E_NOT_IMPLEMENTED',
      hint: 'leave it out',
      exitCode: 1,
      time: '2026-01-02T03:04:05.000Z',
    });
    expect(exitCode).toBe(1);
  });

  it('shows the stack of an unexpected error only when asked', () => {
    const bug = new TypeError('x is undefined');
    expect(reportFailure(bug, { format: 'text', prefix: 'p' }).text).toBe('p: x is undefined\n');
    expect(reportFailure(bug, { format: 'text', prefix: 'p', stack: true }).text).toContain('TypeError: x is undefined\n    at ');
  });
});

describe('reportCrash', () => {
  it('reports an escaped error as a bug, with its message, redacted, and exit code 1', () => {
    const r = reportCrash(new Error('boom at https://user:pw@registry.example/v2/'), { format: 'text', prefix: 'error building image' });
    expect(r.exitCode).toBe(1);
    expect(r.text).toContain('error building image: an unexpected error stopped the program: boom at https://***@registry.example/v2/');
    expect(r.text).toContain('hint: this is a bug in Kiln');
    expect(r.text).not.toContain('pw');
  });
});
