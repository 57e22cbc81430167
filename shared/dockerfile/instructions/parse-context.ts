// What every instruction parser receives, and how it reports errors.
import { DockerfileError } from '../../errors.ts';
import type { Node } from '../parser/lines.ts';
import { describeFlags, FlagError, parseFlags, type FlagSpec, type ParsedFlags } from './flags.ts';
import type { Loc } from './types.ts';

export interface ParseRequest {
  node: Node;
  /** The instruction name in upper case. */
  name: string;
  file: string;
  escape: string;
  loc: Loc;
  raw: string;
}

export function fail(req: ParseRequest, message: string, opts: { hint?: string; cause?: unknown } = {}): never {
  const options: { hint?: string; cause?: unknown } = {};
  if (opts.hint !== undefined) options.hint = opts.hint;
  if (opts.cause !== undefined) options.cause = opts.cause;
  throw new DockerfileError('E_DOCKERFILE_PARSE', message, { file: req.file, start: req.loc.start, end: req.loc.end }, options);
}

/** Run `fn`, turning a plain Error (flag, form, mount errors) into a DockerfileError at the instruction. */
export function located<T>(req: ParseRequest, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof DockerfileError) throw e;
    return fail(req, (e as Error).message, { cause: e });
  }
}

export function flagsOf(req: ParseRequest, spec: FlagSpec): ParsedFlags {
  try {
    return parseFlags(req.node.flags, spec);
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    return fail(req, e.message, { hint: `${req.name} accepts ${describeFlags(spec)}`, cause: e });
  }
}

/** A string flag's value; `--x=` (empty) counts as not given, as in BuildKit. */
export function stringFlag(flags: ParsedFlags, name: string): string | undefined {
  const v = flags.strings.get(name);
  return v === undefined || v === '' ? undefined : v;
}

export function base(req: ParseRequest): { loc: Loc; raw: string } {
  return { loc: { ...req.loc }, raw: req.raw };
}

/** Set only the defined keys (keeps expected.json free of `undefined`). */
export function defined<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}
