// Exec form vs shell form, exactly as BuildKit decides (parser/line_parsers.go parseJSON):
// the text is the exec form only when it is a JSON array; a JSON array with a non-string
// element is an error; anything else that merely looks like JSON is the shell form.
import type { Command } from './types.ts';

export class FormError extends Error {}

const NOT_STRINGS = 'when using JSON array syntax, arrays must be comprised of strings only';

/** The JSON array of strings in `rest`, or undefined when `rest` is not JSON. */
export function parseJsonArgs(rest: string): string[] | undefined {
  const t = rest.replace(/^\s+/u, '');
  if (!t.startsWith('[')) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v)) return undefined;
  if (!v.every((x): x is string => typeof x === 'string')) throw new FormError(NOT_STRINGS);
  return v;
}

/** RUN, CMD, ENTRYPOINT (BuildKit parseMaybeJSON). `rest` is non-empty. */
export function parseCommandForm(rest: string): Command {
  const args = parseJsonArgs(rest);
  return args ? { form: 'exec', args } : { form: 'shell', command: rest };
}

/** COPY, ADD, VOLUME (BuildKit parseMaybeJSONToList). */
export function parseList(rest: string): { args: string[]; json: boolean } {
  const args = parseJsonArgs(rest);
  if (args) return { args, json: true };
  return { args: rest === '' ? [] : rest.split(/[\t\v\f\r ]+/), json: false };
}
