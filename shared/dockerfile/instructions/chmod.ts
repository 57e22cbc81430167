// COPY/ADD --chmod: octal (`0755`, `755`) or symbolic (`u=rwx,g+x,o-w`), as BuildKit accepts.

export type Chmod = { kind: 'octal'; mode: number } | { kind: 'symbolic'; clauses: SymbolicClause[] };

export interface SymbolicClause {
  /** Which of u, g, o (a or empty = all). */
  who: string;
  ops: { op: '+' | '-' | '='; perms: string }[];
}

const CLAUSE = /^([ugoa]*)((?:[-+=](?:[ugo]|[rwxXst]*))+)$/;

export function parseChmod(value: string): Chmod {
  if (/^[0-7]{1,4}$/.test(value)) return { kind: 'octal', mode: parseInt(value, 8) };
  const clauses: SymbolicClause[] = [];
  for (const part of value.split(',')) {
    const m = CLAUSE.exec(part);
    if (!m) throw new Error(`invalid chmod parameter: "${value}": expected an octal mode or a symbolic mode like u+x,g-w`);
    const ops = Array.from((m[2] as string).matchAll(/([-+=])([ugo]|[rwxXst]*)/g), (o) => ({
      op: o[1] as '+' | '-' | '=',
      perms: o[2] as string,
    }));
    clauses.push({ who: m[1] as string, ops });
  }
  return { kind: 'symbolic', clauses };
}

export function validateChmod(value: string): void {
  parseChmod(value);
}

const BITS: Record<string, number> = { r: 4, w: 2, x: 1 };

/** The mode a file gets from `--chmod` (type bits of `current` kept; `X` acts on dirs and executables). */
export function applyChmod(chmod: Chmod, current: number, opts: { isDir: boolean }): number {
  if (chmod.kind === 'octal') return (current & ~0o7777) | chmod.mode;
  let mode = current;
  for (const c of chmod.clauses) {
    const who = c.who === '' || c.who.includes('a') ? 'ugo' : c.who;
    for (const { op, perms } of c.ops) mode = applyOp(mode, who, op, perms, opts.isDir);
  }
  return mode;
}

function applyOp(mode: number, who: string, op: '+' | '-' | '=', perms: string, isDir: boolean): number {
  const shifts: Record<string, number> = { u: 6, g: 3, o: 0 };
  let out = mode;
  for (const w of who) {
    const shift = shifts[w] as number;
    let bits = 0;
    let special = 0;
    if (/^[ugo]$/.test(perms)) bits = (mode >> (shifts[perms] as number)) & 7;
    else {
      for (const p of perms) {
        if (p in BITS) bits |= BITS[p] as number;
        else if (p === 'X' && (isDir || (mode & 0o111) !== 0)) bits |= 1;
        else if (p === 's' && w !== 'o') special |= w === 'u' ? 0o4000 : 0o2000;
        else if (p === 't' && w === 'o') special |= 0o1000;
      }
    }
    const mask = 7 << shift;
    const specialMask = w === 'u' ? 0o4000 : w === 'g' ? 0o2000 : 0o1000;
    if (op === '+') out |= (bits << shift) | special;
    else if (op === '-') out &= ~((bits << shift) | special);
    else out = (out & ~mask & ~specialMask) | (bits << shift) | special;
  }
  return out;
}
