import { describe, expect, it } from 'vitest';
import { isKilnError } from '../errors.ts';
import { type FlagSpec, normaliseArgv, parseFlags } from './flags.ts';
import { renderHelp } from './help.ts';
import { sniffLogFormat } from './log-flags.ts';

const specs: FlagSpec[] = [
  { name: 'name', short: 'n', kind: 'string', default: 'def', describe: 'a string' },
  { name: 'all', short: 'a', kind: 'boolean', describe: 'a boolean' },
  { name: 'quiet', short: 'q', kind: 'boolean', default: true, describe: 'true by default' },
  { name: 'item', short: 'i', kind: 'list', describe: 'repeatable' },
  { name: 'mode', kind: 'string', choices: ['x', 'y'], describe: 'a choice' },
  { name: 'oldName', kind: 'string', hidden: true, describe: 'deprecated' },
];

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isKilnError(err) && err.code === 'E_USAGE') return err.message;
    throw err;
  }
  throw new Error('expected E_USAGE');
}

describe('normaliseArgv', () => {
  it('rewrites every flag as --long=value', () => {
    expect(normaliseArgv(specs, ['-n', 'v', '-nw', '-n=z', '--name', '--all', '-a', '--all=F', '-aq', '-i', '-x'])).toEqual([
      '--name=v',
      '--name=w',
      '--name=z',
      '--name=--all',
      '--all=true',
      '--all=false',
      '--all=true',
      '--quiet=true',
      '--item=-x',
    ]);
  });

  it('keeps words and everything after --', () => {
    expect(normaliseArgv(specs, ['word', '-', '--', '--bogus'])).toEqual(['word', '-', '--', '--bogus']);
  });

  it('names the unknown flag, also inside a group of short flags', () => {
    expect(message(() => normaliseArgv(specs, ['--nope=1']))).toBe('unknown flag --nope');
    expect(message(() => normaliseArgv(specs, ['-aZ']))).toBe('unknown flag -Z');
    expect(message(() => normaliseArgv(specs, ['-an']))).toMatch(/flag -n \(--name\) needs a value and cannot be grouped/);
    expect(message(() => normaliseArgv(specs, ['--item']))).toBe('flag --item needs a value');
  });
});

describe('parseFlags', () => {
  it('applies defaults and records what was given', () => {
    const f = parseFlags(specs, ['-i', 'a', '--item=b']);
    expect(f.string('name')).toBe('def');
    expect(f.boolean('all')).toBe(false);
    expect(f.boolean('quiet')).toBe(true);
    expect(f.list('item')).toEqual(['a', 'b']);
    expect([...f.given]).toEqual(['item']);
    expect(f.string('mode')).toBeUndefined();
  });

  it('keeps values verbatim: no number parsing, no camelCase or dot keys', () => {
    const f = parseFlags(specs, ['--name', '007', '--item', '1e3', '--item=a.b=c', '--oldName=x']);
    expect(f.string('name')).toBe('007');
    expect(f.list('item')).toEqual(['1e3', 'a.b=c']);
    expect(f.string('oldName')).toBe('x');
    expect(message(() => parseFlags(specs, ['--old-name=x']))).toBe('unknown flag --old-name');
  });

  it('checks choices and positional words', () => {
    expect(message(() => parseFlags(specs, ['--mode=z']))).toBe('invalid --mode value "z": expected one of x, y');
    expect(message(() => parseFlags(specs, ['stray']))).toBe('unexpected argument "stray": only flags are accepted');
    expect(message(() => parseFlags(specs, ['--', '--all']))).toMatch(/unexpected argument/);
  });

  it('refuses to read a flag that is not in the table (a bug, not a usage error)', () => {
    const f = parseFlags(specs, []);
    expect(() => f.boolean('name')).toThrow(/no boolean flag --name/);
  });
});

describe('renderHelp', () => {
  it('lists visible flags with defaults and hides deprecated ones', async () => {
    const text = await renderHelp(specs, { scriptName: 'tool', usage: 'Usage: tool [flags]', columns: 100 });
    expect(text).toContain('-n, --name');
    expect(text).toContain('[default: "def"]');
    expect(text).toContain('-h, --help');
    expect(text).not.toContain('oldName');
  });
});

describe('sniffLogFormat', () => {
  it('finds --log-format json in argv that may not parse', () => {
    expect(sniffLogFormat(['--bogus', '--log-format=json'])).toBe('json');
    expect(sniffLogFormat(['--log-format', 'json', '--bogus'])).toBe('json');
    expect(sniffLogFormat(['--log-format=json', '--log-format=text'])).toBe('text');
    expect(sniffLogFormat(['--bogus'])).toBe('text');
  });
});
