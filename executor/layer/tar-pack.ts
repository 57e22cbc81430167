// Produce a tar stream from entries, header by header; bodies are streamed through.
import { Readable } from 'node:stream';
import { KilnError } from '../../shared/errors.ts';
import { encodeHeader, pad, type TarHeader } from './tar-header.ts';

export interface PackEntry {
  header: TarHeader;
  /** Exactly header.size bytes for files; absent for other types. */
  body?: Buffer | Iterable<Buffer> | AsyncIterable<Buffer>;
}

const EOF_BLOCKS = Buffer.alloc(1024);

export async function* packTar(entries: Iterable<PackEntry> | AsyncIterable<PackEntry>): AsyncGenerator<Buffer> {
  for await (const e of entries) {
    yield encodeHeader(e.header);
    if (e.header.type !== 'file') continue;
    let n = 0;
    if (e.body !== undefined) {
      for await (const chunk of Buffer.isBuffer(e.body) ? [e.body] : e.body) {
        n += chunk.length;
        if (n > e.header.size) throw grew(e.header);
        yield chunk;
      }
    }
    if (n !== e.header.size) {
      throw new KilnError('E_IO', `writing layer: "${e.header.name}" has ${n} bytes, its header says ${e.header.size} (changed while being read?)`);
    }
    const p = pad(n);
    if (p > 0) yield Buffer.alloc(p);
  }
  yield EOF_BLOCKS;
}

function grew(h: TarHeader): KilnError {
  return new KilnError('E_IO', `writing layer: "${h.name}" grew beyond ${h.size} bytes while being read`);
}

/** A tar as a Readable (for tests and small synthetic layers). */
export function tarReadable(entries: Iterable<PackEntry> | AsyncIterable<PackEntry>): Readable {
  return Readable.from(packTar(entries), { objectMode: false });
}

/** A header with defaults for the fields a caller rarely cares about. */
export function tarHeader(h: Partial<TarHeader> & Pick<TarHeader, 'name' | 'type'>): TarHeader {
  return { mode: h.type === 'directory' ? 0o755 : 0o644, uid: 0, gid: 0, size: 0, mtime: 0, linkname: '', ...h };
}
