// RUN --mount=… (BuildKit instructions/commands_runmount.go). The spec is CSV `key=value`
// fields. Values are taken as written here; `expandInstruction` expands every value and
// parses again. A value still holding `$` is left at its default until then.
import type { Mount, MountSharing } from './types.ts';

export class MountError extends Error {}

const TYPES = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'] as const;
type MountType = (typeof TYPES)[number];
const SHARING: readonly string[] = ['shared', 'private', 'locked'];
const ALL_KEYS = 'type, from, source, src, target, dst, destination, readonly, ro, readwrite, rw, id, sharing, required, mode, uid, gid, size, env';

/** Go encoding/csv for one record (RFC 4180 quotes, `""` inside quotes). */
export function parseCsvRecord(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new MountError(`failed to parse csv mounts: extraneous or missing " in quoted-field`);
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i];
        i++;
      }
      if (i < line.length && line[i] !== ',') throw new MountError(`failed to parse csv mounts: extraneous or missing " in quoted-field`);
    } else {
      const end = line.indexOf(',', i);
      field = line.slice(i, end < 0 ? line.length : end);
      if (field.includes('"')) throw new MountError('failed to parse csv mounts: bare " in non-quoted-field');
      i = end < 0 ? line.length : end;
    }
    fields.push(field);
    if (i >= line.length) return fields;
    i++; // the comma
  }
}

interface Draft {
  type: MountType;
  from?: string;
  source?: string;
  target?: string;
  id?: string;
  env?: string;
  sharing?: MountSharing;
  readonly?: boolean;
  required: boolean;
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
}

function parseBool(key: string, value: string): boolean {
  const v = value.toLowerCase();
  if (['1', 't', 'true'].includes(v)) return true;
  if (['0', 'f', 'false'].includes(v)) return false;
  throw new MountError(`invalid value for ${key}: ${value}`);
}

function parseUint(key: string, value: string, base: 8 | 10): number {
  const re = base === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  const n = re.test(value) ? parseInt(value, base) : NaN;
  if (!Number.isFinite(n) || n > 0xffffffff) throw new MountError(`invalid value ${value} for ${key}`);
  return n;
}

/** go-units RAMInBytes: `64m`, `1g`, `512k`, `100` (binary multiples). */
export function parseRamBytes(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?$/i.exec(value.trim());
  if (!m) throw new MountError(`invalid value for size: ${value}`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }[(m[2] ?? '').toLowerCase()] ?? 1;
  return Math.floor(parseFloat(m[1] as string) * mult);
}

function applyField(d: Draft, key: string, value: string): void {
  switch (key) {
    case 'type': {
      const t = value.toLowerCase();
      if (!(TYPES as readonly string[]).includes(t)) throw new MountError(`unsupported mount type "${value}"`);
      d.type = t as MountType;
      return;
    }
    case 'from': d.from = value; return;
    case 'source': case 'src': d.source = value; return;
    case 'target': case 'dst': case 'destination': d.target = value; return;
    case 'readonly': case 'ro': d.readonly = parseBool(key, value); return;
    case 'readwrite': case 'rw': d.readonly = !parseBool(key, value); return;
    case 'required':
      if (d.type !== 'secret' && d.type !== 'ssh') throw new MountError(`unexpected key '${key}' for mount type '${d.type}'`);
      d.required = parseBool(key, value);
      return;
    case 'size':
      if (d.type !== 'tmpfs') throw new MountError(`unexpected key '${key}' for mount type '${d.type}'`);
      d.size = parseRamBytes(value);
      return;
    case 'id': d.id = value; return;
    case 'sharing': {
      const s = value.toLowerCase();
      if (!SHARING.includes(s)) throw new MountError(`unsupported sharing value "${value}"`);
      d.sharing = s as MountSharing;
      return;
    }
    case 'mode': d.mode = parseUint(key, value, 8); return;
    case 'uid': d.uid = parseUint(key, value, 10); return;
    case 'gid': d.gid = parseUint(key, value, 10); return;
    case 'env':
      if (d.type !== 'secret') throw new MountError(`unexpected key '${key}' for mount type '${d.type}'`);
      d.env = value;
      return;
    default:
      throw new MountError(`unexpected key '${key}' in '${key}=${value}' (known keys: ${ALL_KEYS})`);
  }
}

const TYPED_KEYS = new Set(['type', 'readonly', 'ro', 'readwrite', 'rw', 'required', 'size', 'sharing', 'mode', 'uid', 'gid']);

/**
 * Parse one `--mount` value. Without `expand` (at parse time) values holding `$` are left at
 * their defaults; with it (expansion time) every value is expanded first, keys never are.
 */
export function parseMount(spec: string, opts: { expand?: (value: string) => string } = {}): Mount {
  const d: Draft = { type: 'bind', required: false };
  for (const field of parseCsvRecord(spec)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    if (eq < 0) {
      if (key === 'readonly' || key === 'ro') d.readonly = true;
      else if (key === 'readwrite' || key === 'rw') d.readonly = false;
      else if (key === 'required' && (d.type === 'secret' || d.type === 'ssh')) d.required = true;
      else if (key === 'required') throw new MountError(`unexpected key '${key}' for mount type '${d.type}'`);
      else throw new MountError(`invalid field '${field}' must be a key=value pair`);
      continue;
    }
    let value = field.slice(eq + 1);
    if (key === 'from' && /\$./.test(value)) {
      throw new MountError(`'${key}' doesn't support variable expansion, define alias stage instead`);
    }
    if (opts.expand) value = opts.expand(value);
    else if (TYPED_KEYS.has(key) && value.includes('$')) continue;
    applyField(d, key, value);
  }
  return finish(d, spec);
}

function finish(d: Draft, spec: string): Mount {
  if (d.type !== 'secret' && d.type !== 'ssh' && d.type !== 'cache') {
    for (const k of ['mode', 'uid', 'gid'] as const) {
      if (d[k] !== undefined) throw new MountError(`${k} not allowed for "${d.type}" type mounts`);
    }
  }
  if (d.sharing !== undefined && d.type !== 'cache') throw new MountError(`invalid cache sharing set for ${d.type} mount`);
  const ids = { mode: d.mode, uid: d.uid, gid: d.gid };
  const opt = <T extends object>(o: T): T => JSON.parse(JSON.stringify(o)) as T; // drop undefined keys
  switch (d.type) {
    case 'bind':
      return opt({ type: 'bind', spec, target: needTarget(d), source: d.source, from: d.from, readonly: d.readonly ?? true });
    case 'cache':
      return opt({
        type: 'cache', spec, target: needTarget(d), id: d.id || d.target, sharing: d.sharing ?? 'shared',
        from: d.from, source: d.source, readonly: d.readonly ?? false, ...ids,
      });
    case 'tmpfs':
      return opt({ type: 'tmpfs', spec, target: needTarget(d), size: d.size, readonly: d.readonly ?? false });
    case 'secret':
      return opt(secret(d, spec));
    case 'ssh':
      if (d.from) throw new MountError('ssh mount should not have a from');
      return opt({ type: 'ssh', spec, id: d.id || 'default', target: d.target, required: d.required, readonly: d.readonly ?? true, ...ids });
  }
}

function needTarget(d: Draft): string {
  if (!d.target) throw new MountError(`mount type ${d.type} requires a target`);
  return d.target;
}

function secret(d: Draft, spec: string): Mount {
  if (d.from) throw new MountError('secret mount should not have a from');
  if (d.source && d.id) throw new MountError("both source and id can't be set");
  let id = d.id || d.source;
  if (!id) {
    if (!d.target) throw new MountError('invalid secret mount: one of source, target or id required');
    id = d.target.replace(/\/+$/, '').split('/').pop() ?? '';
  }
  const target = d.target || (d.env ? undefined : `/run/secrets/${id.split('/').pop() ?? id}`);
  return { type: 'secret', spec, id, target, env: d.env, required: d.required, readonly: d.readonly ?? true, mode: d.mode, uid: d.uid, gid: d.gid };
}
