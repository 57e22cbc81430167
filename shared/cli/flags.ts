// Flag tables → yargs, parsed the way pflag (kaniko's flag library) reads them:
// `--flag value`, `--flag=value`, `-f value`, `-fvalue`, `--bool`, `--bool=true|false|1|0|t|f`,
// repeated flags append to lists and the last one wins for single values.
// yargs is used with every convenience that pflag lacks turned off (no `--no-x` negation, no
// camelCase aliases, no dot notation, no number parsing), so a flag means exactly one thing.
import yargs from 'yargs';
import type { Argv, Options } from 'yargs';
import { KilnError } from '../errors.ts';
import { parseGoBool } from './go-values.ts';

export type FlagKind = 'string' | 'boolean' | 'list';

export interface FlagSpec {
  /** The long name, without dashes: `cache-dir`. */
  readonly name: string;
  /** One-letter short form: `c`. */
  readonly short?: string;
  readonly kind: FlagKind;
  readonly describe: string;
  /** The value when the flag is absent (booleans default to false, lists to []). */
  readonly default?: string | boolean;
  /** Allowed values of a string flag. */
  readonly choices?: readonly string[];
  /** Accepted but left out of --help (deprecated spellings). */
  readonly hidden?: boolean;
  /** Heading in --help. */
  readonly group?: string;
}

/** Flag values after parsing; getters return the default when a flag is absent. */
export interface ParsedFlags {
  /** Long names of the flags the user passed. */
  readonly given: ReadonlySet<string>;
  string(name: string): string | undefined;
  boolean(name: string): boolean;
  list(name: string): readonly string[];
}

export const HELP_HINT = 'run with --help to list the flags';

export function usageError(message: string, cause?: unknown): KilnError {
  return new KilnError('E_USAGE', message, { hint: HELP_HINT, cause });
}

/** Parse argv against a flag table. Throws KilnError E_USAGE naming the flag on any problem. */
export function parseFlags(specs: readonly FlagSpec[], argv: readonly string[]): ParsedFlags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const args = normaliseArgv(specs, argv);
  const parsed = toYargs(specs, args, { forHelp: false }).parseSync();
  const positional = (parsed._ ?? []).map(String);
  if (positional[0] !== undefined) throw unexpectedArgument(positional[0]);
  const values = new Map<string, string | boolean | string[]>();
  for (const spec of specs) {
    const v: unknown = parsed[spec.name];
    if (v === undefined) continue;
    const all = (Array.isArray(v) ? v : [v]).map((x) => (typeof x === 'boolean' ? x : String(x)));
    if (spec.kind === 'list') values.set(spec.name, all.map(String));
    else values.set(spec.name, all[all.length - 1] ?? '');
  }
  for (const [name, v] of values) checkChoice(byName.get(name), v);
  return flagsFrom(byName, values);
}

function flagsFrom(byName: Map<string, FlagSpec>, values: Map<string, string | boolean | string[]>): ParsedFlags {
  const spec = (name: string, kind: FlagKind): FlagSpec => {
    const s = byName.get(name);
    if (s === undefined || s.kind !== kind) throw new KilnError('E_INTERNAL', `no ${kind} flag --${name} in the table`);
    return s;
  };
  return {
    given: new Set(values.keys()),
    string(name) {
      const s = spec(name, 'string');
      const v = values.get(name);
      return typeof v === 'string' ? v : typeof s.default === 'string' ? s.default : undefined;
    },
    boolean(name) {
      const s = spec(name, 'boolean');
      const v = values.get(name);
      return typeof v === 'boolean' ? v : s.default === true;
    },
    list(name) {
      spec(name, 'list');
      const v = values.get(name);
      return Array.isArray(v) ? v : [];
    },
  };
}

function checkChoice(spec: FlagSpec | undefined, value: string | boolean | string[]): void {
  if (spec?.choices === undefined || typeof value !== 'string') return;
  if (!spec.choices.includes(value)) {
    throw usageError(`invalid --${spec.name} value "${value}": expected one of ${spec.choices.join(', ')}`);
  }
}

/**
 * Check every flag name against the table and rewrite each flag as `--long=value` (or `--long`
 * for a boolean without a value), so yargs never guesses: pflag takes the next word as the value
 * of a non-boolean flag even when it starts with `-`, and reads `--bool=1` as true.
 */
export function normaliseArgv(specs: readonly FlagSpec[], argv: readonly string[]): string[] {
  const long = new Map(specs.map((s) => [s.name, s]));
  const short = new Map(specs.filter((s) => s.short !== undefined).map((s) => [s.short as string, s]));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (arg === '-' || !arg.startsWith('-')) {
      out.push(arg);
      continue;
    }
    const isLong = arg.startsWith('--');
    const [name, attached] = splitFlag(arg);
    const spec = isLong ? long.get(name) : short.get(name);
    if (spec === undefined) throw unknownFlag(isLong ? `--${name}` : `-${name}`);
    if (!isLong && attached === undefined && arg.length > 2) {
      out.push(...expandShort(arg, spec, short));
      continue;
    }
    if (spec.kind === 'boolean') {
      out.push(`--${spec.name}=${attached === undefined ? true : boolValue(spec, attached)}`);
    } else if (attached !== undefined) {
      out.push(`--${spec.name}=${attached}`);
    } else if (i + 1 < argv.length) {
      out.push(`--${spec.name}=${argv[++i] as string}`);
    } else {
      throw usageError(`flag --${spec.name} needs a value`);
    }
  }
  return out;
}

/** `--name=value` → [name, value]; `--name` → [name]; `-f=value` → ['f', value]; `-fvalue` → ['f']. */
function splitFlag(arg: string): [string, string | undefined] {
  if (arg.startsWith('--')) {
    const eq = arg.indexOf('=');
    return eq < 0 ? [arg.slice(2), undefined] : [arg.slice(2, eq), arg.slice(eq + 1)];
  }
  return arg[2] === '=' ? [arg.slice(1, 2), arg.slice(3)] : [arg.slice(1, 2), undefined];
}

/** `-fDockerfile` → `--dockerfile=Dockerfile`; `-ab` (booleans) → `--a-long --b-long`. */
function expandShort(arg: string, first: FlagSpec, short: Map<string, FlagSpec>): string[] {
  if (first.kind !== 'boolean') return [`--${first.name}=${arg.slice(2)}`];
  const out: string[] = [];
  for (const letter of arg.slice(1)) {
    const spec = short.get(letter);
    if (spec === undefined) throw unknownFlag(`-${letter}`);
    if (spec.kind !== 'boolean') throw usageError(`flag -${letter} (--${spec.name}) needs a value and cannot be grouped in ${arg}`);
    out.push(`--${spec.name}=true`);
  }
  return out;
}

function boolValue(spec: FlagSpec, value: string): boolean {
  const b = parseGoBool(value);
  if (b === undefined) throw usageError(`invalid --${spec.name} value "${value}": expected true or false`);
  return b;
}

function unexpectedArgument(arg: string): KilnError {
  const why = arg === 'true' || arg === 'false' ? 'a boolean flag takes its value as --flag=false' : 'only flags are accepted';
  return usageError(`unexpected argument "${arg}": ${why}`);
}

function unknownFlag(flag: string): KilnError {
  return usageError(`unknown flag ${flag}`);
}

/** The yargs instance for a table: strict, never exits, never reads process state on its own. */
export function toYargs(specs: readonly FlagSpec[], argv: readonly string[], options: { forHelp: boolean }): Argv {
  let y = yargs([...argv])
    .parserConfiguration({
      'boolean-negation': false,
      'camel-case-expansion': false,
      'dot-notation': false,
      'parse-numbers': false,
      'parse-positional-numbers': false,
      'duplicate-arguments-array': true,
      'flatten-duplicate-arrays': true,
      'greedy-arrays': false,
      'strip-aliased': true,
      'short-option-groups': true,
    })
    .locale('en')
    .strict()
    .version(false)
    .help(false)
    .exitProcess(false)
    .fail((msg: string | undefined, err: Error | undefined) => {
      throw yargsError(msg ?? err?.message ?? 'invalid arguments', err);
    });
  for (const spec of specs) y = y.option(spec.name, yargsOption(spec, options));
  return y;
}

function yargsOption(spec: FlagSpec, options: { forHelp: boolean }): Options {
  const o: Options = { describe: spec.describe, type: spec.kind === 'boolean' ? 'boolean' : 'string' };
  if (spec.kind !== 'boolean') o.requiresArg = true;
  if (spec.short !== undefined) o.alias = spec.short;
  if (spec.hidden === true) o.hidden = true;
  if (spec.group !== undefined) o.group = spec.group;
  if (options.forHelp) {
    if (spec.choices !== undefined) o.choices = [...spec.choices];
    if (spec.default !== undefined && spec.default !== '') o.default = spec.default;
    if (spec.kind === 'list') o.array = true;
  }
  return o;
}

function yargsError(msg: string, cause: unknown): KilnError {
  const needs = /^Not enough arguments following: (.+)$/.exec(msg);
  if (needs !== null) return usageError(`flag --${needs[1]} needs a value`, cause);
  const unknown = /^Unknown arguments?: (.+)$/.exec(msg);
  if (unknown !== null) return unexpectedArgument(unknown[1]?.split(', ')[0] ?? '');
  return usageError(`parsing flags: ${msg}`, cause);
}
