// Tar headers (POSIX ustar + PAX, reading GNU long names), after Go's archive/tar.
// Our own codec rather than tar-stream's: tar-stream 3.2 decodes and encodes PAX records as
// UTF-8 strings, which corrupts binary SCHILY.xattr values such as security.capability, and it
// ignores PAX uid/gid/mtime. Bodies are streamed; only headers are ever held in memory.
import { KilnError } from '../../shared/errors.ts';

export type TarEntryType = 'file' | 'link' | 'symlink' | 'char' | 'block' | 'directory' | 'fifo';

export interface TarHeader {
  name: string;
  type: TarEntryType;
  /** Permission bits incl. setuid/setgid/sticky (07777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch (fractional from PAX). */
  mtime: number;
  linkname: string;
  uname?: string;
  gname?: string;
  devmajor?: number;
  devminor?: number;
  /** SCHILY.xattr.* records: name → raw value. */
  xattrs?: Map<string, Buffer>;
}

export const BLOCK = 512;

const TYPES: Record<string, TarEntryType> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'link', '2': 'symlink',
  '3': 'char', '4': 'block', '5': 'directory', '6': 'fifo',
};
const FLAGS: Record<TarEntryType, string> = {
  file: '0', link: '1', symlink: '2', char: '3', block: '4', directory: '5', fifo: '6',
};

/** A raw header block, before PAX and GNU long-name records are applied. */
export interface RawHeader extends TarHeader {
  flag: string;
}

export function isZeroBlock(b: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

export function parseHeaderBlock(b: Buffer): RawHeader {
  const stored = parseNumber(b, 148, 8, 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const v = i >= 148 && i < 156 ? 32 : (b[i] as number);
    unsigned += v;
    signed += v > 127 ? v - 256 : v;
  }
  if (stored !== unsigned && stored !== signed) {
    throw new KilnError('E_LAYER', 'reading tar: header checksum mismatch (not an uncompressed tar, or corrupt)');
  }
  const flag = String.fromCharCode(b[156] as number);
  const ustar = b.toString('latin1', 257, 262) === 'ustar';
  let name = cstr(b, 0, 100);
  if (ustar && b.toString('latin1', 263, 265) === '00' && b[345] !== 0) name = cstr(b, 345, 155) + '/' + name;
  let type = TYPES[flag] ?? 'file';
  if (flag === '\0' && name.endsWith('/')) type = 'directory';
  return {
    flag, name, type,
    mode: parseNumber(b, 100, 8, 'mode') & 0o7777,
    uid: parseNumber(b, 108, 8, 'uid'),
    gid: parseNumber(b, 116, 8, 'gid'),
    size: parseNumber(b, 124, 12, 'size'),
    mtime: parseNumber(b, 136, 12, 'mtime'),
    linkname: cstr(b, 157, 100),
    uname: ustar ? cstr(b, 265, 32) : '',
    gname: ustar ? cstr(b, 297, 32) : '',
    devmajor: ustar ? parseNumber(b, 329, 8, 'devmajor') : 0,
    devminor: ustar ? parseNumber(b, 337, 8, 'devminor') : 0,
  };
}

export function isKnownFlag(flag: string): boolean {
  return flag in TYPES;
}

function cstr(b: Buffer, off: number, len: number): string {
  const end = b.indexOf(0, off);
  return b.toString('utf8', off, end === -1 || end > off + len ? off + len : end);
}

function parseNumber(b: Buffer, off: number, len: number, field: string): number {
  const first = b[off] as number;
  if (first & 0x80) {
    // base-256 (GNU): big-endian, the first byte's top bit is the marker; negative is refused
    if (first === 0xff) throw new KilnError('E_LAYER', `reading tar: negative ${field}`);
    let v = first & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + (b[off + i] as number);
    if (!Number.isSafeInteger(v)) throw new KilnError('E_LAYER', `reading tar: ${field} too large`);
    return v;
  }
  const s = b.toString('latin1', off, off + len).replace(/[\0 ]+$/, '').replace(/^[ ]+/, '').replace(/\0.*$/, '');
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new KilnError('E_LAYER', `reading tar: bad ${field} field "${s}"`);
  const v = parseInt(s, 8);
  if (!Number.isSafeInteger(v)) throw new KilnError('E_LAYER', `reading tar: ${field} too large`);
  return v;
}

/** PAX extended header records: "<len> <key>=<value>\n", values are raw bytes. */
export function parsePax(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let off = 0;
  while (off < buf.length) {
    if (buf[off] === 0) break; // trailing padding
    const sp = buf.indexOf(0x20, off);
    const len = sp === -1 ? NaN : Number(buf.toString('latin1', off, sp));
    if (!Number.isSafeInteger(len) || len <= sp - off + 1 || off + len > buf.length || buf[off + len - 1] !== 0x0a) {
      throw new KilnError('E_LAYER', 'reading tar: malformed PAX record');
    }
    const rec = buf.subarray(sp + 1, off + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) throw new KilnError('E_LAYER', 'reading tar: malformed PAX record');
    out.set(rec.toString('utf8', 0, eq), Buffer.from(rec.subarray(eq + 1)));
    off += len;
  }
  return out;
}

export function encodePaxRecord(key: string, value: Buffer | string): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), typeof value === 'string' ? Buffer.from(value) : value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

function fitsOctal(v: number, len: number): boolean {
  return Number.isInteger(v) && v >= 0 && v < 8 ** (len - 1);
}

function writeOctal(b: Buffer, off: number, len: number, v: number): void {
  b.write(v.toString(8).padStart(len - 1, '0') + '\0', off, len, 'latin1');
}

function isAsciiFit(s: string, len: number): boolean {
  return s.length <= len && /^[\x01-\x7f]*$/.test(s);
}

/** Split a long name into ustar prefix/name, or undefined when it does not fit. */
function splitUstar(name: string): [string, string] | undefined {
  if (isAsciiFit(name, 100)) return ['', name];
  if (!isAsciiFit(name, 256)) return undefined;
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    if (i <= 155 && name.length - i - 1 <= 100 && name.length - i - 1 > 0) return [name.slice(0, i), name.slice(i + 1)];
  }
  return undefined;
}

/** Encode one entry: an optional PAX header block + records, then the ustar block. */
export function encodeHeader(h: TarHeader): Buffer {
  const pax: Buffer[] = [];
  const name = h.type === 'directory' && !h.name.endsWith('/') ? h.name + '/' : h.name;
  const split = splitUstar(name);
  if (split === undefined) pax.push(encodePaxRecord('path', name));
  if (!isAsciiFit(h.linkname, 100)) pax.push(encodePaxRecord('linkpath', h.linkname));
  const mtime = Math.floor(h.mtime);
  const numbers: [string, number, number][] = [['uid', h.uid, 8], ['gid', h.gid, 8], ['size', h.size, 12], ['mtime', mtime, 12]];
  for (const [key, v, len] of numbers) if (!fitsOctal(v, len)) pax.push(encodePaxRecord(key, String(v)));
  for (const [k, v] of [...(h.xattrs ?? [])].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    pax.push(encodePaxRecord(`SCHILY.xattr.${k}`, v));
  }
  const ustar = ustarBlock(h, split ?? ['', asciiTail(name)], mtime);
  if (pax.length === 0) return ustar;
  const records = Buffer.concat(pax);
  const paxHead = ustarBlock({ ...h, type: 'file', size: records.length, uid: 0, gid: 0, mode: 0o644, linkname: '', uname: '', gname: '' }, ['', asciiTail(`PaxHeaders.0/${name}`)], mtime, 'x');
  return Buffer.concat([paxHead, records, Buffer.alloc(pad(records.length)), ustar]);
}

function asciiTail(s: string): string {
  return s.replace(/[^\x01-\x7f]/g, '_').slice(-100);
}

function ustarBlock(h: TarHeader, [prefix, name]: [string, string], mtime: number, flag?: string): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(name, 0, 100, 'latin1');
  writeOctal(b, 100, 8, h.mode & 0o7777);
  writeOctal(b, 108, 8, fitsOctal(h.uid, 8) ? h.uid : 0);
  writeOctal(b, 116, 8, fitsOctal(h.gid, 8) ? h.gid : 0);
  writeOctal(b, 124, 12, h.type === 'file' || flag === 'x' ? (fitsOctal(h.size, 12) ? h.size : 0) : 0);
  writeOctal(b, 136, 12, fitsOctal(mtime, 12) && mtime >= 0 ? mtime : 0);
  b.write(flag ?? FLAGS[h.type], 156, 1, 'latin1');
  if (isAsciiFit(h.linkname, 100)) b.write(h.linkname, 157, 100, 'latin1');
  b.write('ustar\x0000', 257, 8, 'latin1');
  b.write((h.uname ?? '').slice(0, 31), 265, 32, 'utf8');
  b.write((h.gname ?? '').slice(0, 31), 297, 32, 'utf8');
  writeOctal(b, 329, 8, h.devmajor ?? 0);
  writeOctal(b, 337, 8, h.devminor ?? 0);
  if (prefix) b.write(prefix, 345, 155, 'latin1');
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i] as number;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return b;
}

export function pad(size: number): number {
  const r = size % BLOCK;
  return r === 0 ? 0 : BLOCK - r;
}
