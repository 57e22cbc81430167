// A streaming tar reader: headers (ustar, PAX, GNU long names) are parsed here; entry bodies
// are handed out chunk by chunk and never buffered whole. Memory is bounded by MAX_META.
import { KilnError } from '../../shared/errors.ts';
import { BLOCK, isKnownFlag, isZeroBlock, pad, parseHeaderBlock, parsePax, type TarHeader } from './tar-header.ts';

/** Largest PAX or GNU long-name record accepted (tar-stream uses 4 MiB; paths cap at 4 KiB). */
const MAX_META = 1024 * 1024;

export interface TarEntry {
  header: TarHeader;
  /** The body: consume it before asking for the next entry (unread bytes are skipped). */
  body: AsyncIterable<Buffer>;
}

class ByteReader {
  readonly #it: AsyncIterator<Buffer | string>;
  #buf: Buffer = Buffer.alloc(0);
  #off = 0;

  constructor(source: AsyncIterable<Buffer | string>) {
    this.#it = source[Symbol.asyncIterator]();
  }

  async #fill(): Promise<boolean> {
    while (this.#off >= this.#buf.length) {
      const r = await this.#it.next();
      if (r.done) return false;
      this.#buf = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      this.#off = 0;
    }
    return true;
  }

  /** Exactly n bytes; undefined at a clean end of input; an error on a short read. */
  async exact(n: number): Promise<Buffer | undefined> {
    if (!(await this.#fill())) return undefined;
    if (this.#buf.length - this.#off >= n) {
      const out = this.#buf.subarray(this.#off, this.#off + n);
      this.#off += n;
      return out;
    }
    const parts: Buffer[] = [];
    let need = n;
    while (need > 0) {
      if (!(await this.#fill())) throw truncated();
      const take = Math.min(need, this.#buf.length - this.#off);
      parts.push(this.#buf.subarray(this.#off, this.#off + take));
      this.#off += take;
      need -= take;
    }
    return Buffer.concat(parts);
  }

  /** The next chunk of at most n bytes (n > 0). */
  async some(n: number): Promise<Buffer> {
    if (!(await this.#fill())) throw truncated();
    const take = Math.min(n, this.#buf.length - this.#off);
    const out = this.#buf.subarray(this.#off, this.#off + take);
    this.#off += take;
    return out;
  }

  async skip(n: number): Promise<void> {
    let need = n;
    while (need > 0) need -= (await this.some(need)).length;
  }

  /** Stop reading: a stream source is destroyed (an abandoned download must not linger). */
  async close(): Promise<void> {
    await this.#it.return?.();
  }

  /** Read to the end (so hashes over the whole stream complete). */
  async drain(): Promise<void> {
    this.#off = this.#buf.length;
    while (await this.#fill()) this.#off = this.#buf.length;
  }
}

function truncated(): KilnError {
  return new KilnError('E_LAYER', 'reading tar: unexpected end of archive (truncated layer)');
}

interface Pending {
  pax?: Map<string, Buffer>;
  longName?: string;
  longLink?: string;
}

/** Iterate over the entries of an uncompressed tar stream. */
export async function* readTar(source: AsyncIterable<Buffer | string>): AsyncGenerator<TarEntry> {
  const r = new ByteReader(source);
  try {
    yield* entries(r);
  } finally {
    await r.close();
  }
}

async function* entries(r: ByteReader): AsyncGenerator<TarEntry> {
  let global = new Map<string, Buffer>();
  let pending: Pending = {};
  for (;;) {
    const block = await r.exact(BLOCK);
    if (block === undefined || isZeroBlock(block)) {
      await r.drain();
      return;
    }
    const raw = parseHeaderBlock(block);
    if (raw.flag === 'x' || raw.flag === 'g' || raw.flag === 'L' || raw.flag === 'K') {
      const data = await readMeta(r, raw.size, raw.flag);
      if (raw.flag === 'g') global = new Map([...global, ...parsePax(data)]);
      else if (raw.flag === 'x') pending.pax = parsePax(data);
      else if (raw.flag === 'L') pending.longName = cstring(data);
      else pending.longLink = cstring(data);
      continue;
    }
    if (raw.flag === 'S') throw new KilnError('E_LAYER', `reading tar: entry "${raw.name}" is a GNU sparse file, which is not supported`);
    if (!isKnownFlag(raw.flag)) {
      throw new KilnError('E_LAYER', `reading tar: entry "${raw.name}" has unsupported type flag "${printable(raw.flag)}"`);
    }
    const header = applyExtended(raw, new Map([...global, ...(pending.pax ?? [])]), pending);
    pending = {};
    const bodySize = header.type === 'file' ? header.size : 0; // header-only types have no body (Go archive/tar)
    let remaining = bodySize;
    const body = (async function* () {
      while (remaining > 0) {
        const chunk = await r.some(remaining);
        remaining -= chunk.length;
        yield chunk;
      }
    })();
    yield { header, body: header.type === 'file' ? body : emptyBody() };
    await r.skip(remaining); // what the consumer left unread
    await r.skip(pad(bodySize));
  }
}

async function* emptyBody(): AsyncGenerator<Buffer> {}

async function readMeta(r: ByteReader, size: number, flag: string): Promise<Buffer> {
  if (size > MAX_META) {
    throw new KilnError('E_LAYER', `reading tar: a ${flag === 'L' || flag === 'K' ? 'GNU long name' : 'PAX header'} of ${size} bytes exceeds the ${MAX_META}-byte limit`);
  }
  const data = (await r.exact(size)) ?? Buffer.alloc(0);
  if (data.length !== size) throw truncated();
  await r.skip(pad(size));
  return data;
}

function cstring(b: Buffer): string {
  const end = b.indexOf(0);
  return b.toString('utf8', 0, end === -1 ? b.length : end);
}

function printable(flag: string): string {
  return /^[\x20-\x7e]$/.test(flag) ? flag : `\\x${flag.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

function applyExtended(raw: TarHeader & { flag: string }, pax: Map<string, Buffer>, p: Pending): TarHeader {
  const { flag: _flag, ...h } = raw;
  if (p.longName !== undefined) h.name = p.longName;
  if (p.longLink !== undefined) h.linkname = p.longLink;
  const xattrs = new Map<string, Buffer>();
  for (const [k, v] of pax) {
    if (k.startsWith('GNU.sparse.')) throw new KilnError('E_LAYER', `reading tar: entry "${h.name}" is a GNU sparse file, which is not supported`);
    if (k.startsWith('SCHILY.xattr.')) xattrs.set(k.slice('SCHILY.xattr.'.length), v);
    else if (k === 'path' && v.length > 0) h.name = v.toString('utf8');
    else if (k === 'linkpath' && v.length > 0) h.linkname = v.toString('utf8');
    else if (k === 'size') h.size = paxInt(k, v);
    else if (k === 'uid') h.uid = paxInt(k, v);
    else if (k === 'gid') h.gid = paxInt(k, v);
    else if (k === 'uname') h.uname = v.toString('utf8');
    else if (k === 'gname') h.gname = v.toString('utf8');
    else if (k === 'mtime') h.mtime = paxTime(v);
  }
  if (xattrs.size > 0) h.xattrs = xattrs;
  return h;
}

function paxInt(key: string, v: Buffer): number {
  const s = v.toString('latin1');
  const n = Number(s);
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(n)) throw new KilnError('E_LAYER', `reading tar: bad PAX ${key} "${s.slice(0, 40)}"`);
  return n;
}

function paxTime(v: Buffer): number {
  const s = v.toString('latin1');
  const n = Number(s);
  if (!/^-?\d+(\.\d+)?$/.test(s) || !Number.isFinite(n)) throw new KilnError('E_LAYER', `reading tar: bad PAX mtime "${s.slice(0, 40)}"`);
  return n;
}
