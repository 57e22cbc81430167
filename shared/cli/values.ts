// Typed readers over ParsedFlags: integers, durations, KEY=VALUE maps, platforms, choices.
// Each error names the flag and the value, and says what was expected.
import type { Platform } from '../image/types.ts';
import { type ParsedFlags, usageError } from './flags.ts';
import { parseGoDuration } from './go-values.ts';

export function badValue(flag: string, value: string, expected: string): Error {
  // Not "for --flag: expected": redact() would take `--secret: …` or `--token: …` for a credential.
  return usageError(`invalid --${flag} value "${value}": expected ${expected}`);
}

/** An integer flag (kaniko's IntVar); undefined when absent and without default. */
export function readInt(flags: ParsedFlags, name: string, range: { min?: number; max?: number } = {}): number | undefined {
  const text = flags.string(name);
  if (text === undefined) return undefined;
  const n = /^[+-]?\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = range;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const bounds = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
    throw badValue(name, text, bounds);
  }
  return n;
}

/** A Go duration flag (`336h`, `90m`, `1h30m`) in milliseconds; never negative. */
export function readDuration(flags: ParsedFlags, name: string): number {
  const text = flags.string(name) ?? '0';
  const ms = parseGoDuration(text.trim());
  if (ms === undefined || ms < 0) throw badValue(name, text, 'a duration such as 336h, 30m or 1h30m');
  return ms;
}

/** A string flag restricted to its choices (already checked by parseFlags). */
export function readChoice<T extends string>(flags: ParsedFlags, name: string, choices: readonly T[]): T {
  const v = flags.string(name);
  const hit = choices.find((c) => c === v);
  if (hit === undefined) throw badValue(name, String(v), `one of ${choices.join(', ')}`);
  return hit;
}

/** Split `KEY=VALUE` at the first `=`; undefined when there is none or the key is empty. */
export function splitKeyValue(text: string): [string, string] | undefined {
  const eq = text.indexOf('=');
  if (eq <= 0) return undefined;
  return [text.slice(0, eq), text.slice(eq + 1)];
}

/** A repeatable `KEY=VALUE` flag as an ordered record; the last value for a key wins. */
export function readKeyValues(flags: ParsedFlags, name: string, expected = 'KEY=VALUE'): Record<string, string> {
  const out: [string, string][] = [];
  for (const item of flags.list(name)) {
    const kv = splitKeyValue(item);
    if (kv === undefined) throw badValue(name, item, expected);
    out.push(kv);
  }
  return Object.fromEntries(out);
}

/**
 * Build args: `KEY=VALUE`, or a bare `KEY` that takes its value from the environment. As Docker
 * (and unlike kaniko, which sets ""), a bare KEY that is not in the environment is left out, so
 * the Dockerfile's default applies.
 */
export function readBuildArgs(flags: ParsedFlags, env: NodeJS.ProcessEnv): Record<string, string> {
  const out: [string, string][] = [];
  for (const item of flags.list('build-arg')) {
    const kv = splitKeyValue(item);
    if (kv !== undefined) out.push(kv);
    else if (item === '' || item.startsWith('=')) throw badValue('build-arg', item, 'KEY=VALUE or KEY');
    else if (env[item] !== undefined) out.push([item, env[item]]);
  }
  return Object.fromEntries(out);
}

const PLATFORM_PART = /^[a-z0-9_.-]+$/;

/** `os/arch[/variant]` as kaniko's --custom-platform takes it (e.g. linux/arm64/v8). */
export function parsePlatform(flag: string, text: string): Platform {
  const parts = text.trim().toLowerCase().split('/');
  const [os, architecture, variant] = parts;
  if (parts.length < 2 || parts.length > 3 || !parts.every((p) => PLATFORM_PART.test(p))) {
    throw badValue(flag, text, 'a platform such as linux/amd64 or linux/arm64/v8');
  }
  const p: Platform = { os: os as string, architecture: architecture as string };
  if (variant !== undefined) p.variant = variant;
  return p;
}

/** Freeze a plain value and everything inside it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
