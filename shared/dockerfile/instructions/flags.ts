// Instruction flags (BuildKit instructions/bflag.go): `--name=value`, `--name` for booleans,
// repeatable string lists. Unknown or duplicate flags are errors.

export type FlagKind = 'bool' | 'string' | 'strings';

export type FlagSpec = Readonly<Record<string, FlagKind>>;

export interface ParsedFlags {
  bools: Map<string, boolean>;
  strings: Map<string, string>;
  lists: Map<string, string[]>;
}

/** Thrown as a plain message; the caller adds file and line. */
export class FlagError extends Error {}

export function parseFlags(args: string[], spec: FlagSpec): ParsedFlags {
  const out: ParsedFlags = { bools: new Map(), strings: new Map(), lists: new Map() };
  const used = new Set<string>();
  for (const arg of args) {
    if (!arg.startsWith('--')) throw new FlagError(`arg should start with -- : ${arg}`);
    if (arg === '--') break;
    const body = arg.slice(2);
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const value = eq >= 0 ? body.slice(eq + 1) : '';
    const kind = spec[name];
    if (kind === undefined) throw new FlagError(`unknown flag: ${name}`);
    if (used.has(name) && kind !== 'strings') throw new FlagError(`duplicate flag specified: ${name}`);
    used.add(name);
    if (kind === 'bool') {
      if (eq >= 0 && value === '') throw new FlagError(`missing a value on flag: ${name}`);
      const lower = value.toLowerCase();
      if (lower !== '' && lower !== 'true' && lower !== 'false') {
        throw new FlagError(`expecting boolean value for flag ${name}, not: ${value}`);
      }
      out.bools.set(name, lower !== 'false');
      continue;
    }
    if (eq < 0) throw new FlagError(`missing a value on flag: ${name}`);
    if (kind === 'string') out.strings.set(name, value);
    else out.lists.set(name, [...(out.lists.get(name) ?? []), value]);
  }
  return out;
}

/** "--a, --b" for hints. */
export function describeFlags(spec: FlagSpec): string {
  const names = Object.keys(spec);
  return names.length === 0 ? 'no flags' : names.map((n) => `--${n}`).join(', ');
}
