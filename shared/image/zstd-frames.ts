// Where zstd frames end (RFC 8878 §3.1), read from the frame and block headers alone.
// node:zlib's zstd decoder (Node 22.15+) stops at the first frame end inside one write and drops
// the rest of that write, and it ends a truncated stream without an error (nodejs/node#64741):
// a layer made of several frames (zstd:chunked, multi-threaded zstd) lost files without a word.
// Writing it one frame per write, without the skippable frames, and checking that the last
// frame is whole avoids both.
import { KilnError } from '../errors.ts';

const ZSTD_MAGIC = 0xfd2fb528;
const SKIPPABLE_MAGIC = 0x184d2a50; // to 0x184d2a5f
const DICT_ID_BYTES = [0, 1, 2, 4];
const CONTENT_SIZE_BYTES = [0, 2, 4, 8]; // flag 0 means 1 byte in a single-segment frame

type Step = 'magic' | 'skippable-size' | 'frame-descriptor' | 'frame-header' | 'block-header';
/** What follows when the bytes being passed over (a block, a checksum, skipped data) end. */
type AfterRun = 'next-block' | 'checksum' | 'frame-end';

function corrupt(why: string): KilnError {
  return new KilnError('E_LAYER', `decompressing zstd: ${why}`);
}

/** Cuts a zstd stream into the pieces to write to a decoder: none crosses a frame end; skippable frames are left out. */
export class ZstdFrameSplitter {
  #header: number[] = [];
  #want = 4;
  #step: Step = 'magic';
  /** Bytes still to pass over before the next header. */
  #run = 0;
  #after: AfterRun = 'frame-end';
  #inZstdFrame = false;
  #checksum = false;
  #offset = 0;

  split(chunk: Buffer): Buffer[] {
    const pieces: Buffer[] = [];
    let from = 0;
    let i = 0;
    while (i < chunk.length) {
      let frameEnd = false;
      if (this.#run > 0) {
        const n = Math.min(this.#run, chunk.length - i);
        i += n;
        this.#run -= n;
        if (this.#run === 0) frameEnd = this.#endRun();
      } else {
        const n = Math.min(this.#want - this.#header.length, chunk.length - i);
        for (let k = 0; k < n; k++) this.#header.push(chunk[i + k] ?? 0);
        i += n;
        if (this.#header.length === this.#want) {
          const magic = this.#step === 'magic';
          frameEnd = this.#parse(this.#offset + i - this.#want);
          // A frame's magic is written with it; one split over two chunks is written on its own.
          if (magic && this.#inZstdFrame && n < 4) pieces.push(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]));
          if (magic) from = this.#inZstdFrame && n === 4 ? i - 4 : i;
        }
      }
      if (frameEnd && this.#inZstdFrame && i > from) pieces.push(chunk.subarray(from, i));
      if (frameEnd) this.#inZstdFrame = false;
      if (frameEnd || !this.#inZstdFrame || this.#step === 'magic') from = i;
    }
    if (this.#inZstdFrame && from < chunk.length) pieces.push(chunk.subarray(from));
    this.#offset += chunk.length;
    return pieces;
  }

  /** Throws E_LAYER when the stream ended inside a frame. */
  end(): void {
    if (this.#step !== 'magic' || this.#header.length > 0 || this.#run > 0) {
      throw corrupt(`the stream ends inside a frame (${this.#offset} bytes): truncated`);
    }
  }

  /** Parses the complete header in #header; true when that ends a frame. */
  #parse(at: number): boolean {
    const h = this.#header;
    this.#header = [];
    switch (this.#step) {
      case 'magic': {
        const magic = ((h[0] ?? 0) | ((h[1] ?? 0) << 8) | ((h[2] ?? 0) << 16) | ((h[3] ?? 0) << 24)) >>> 0;
        if (magic === ZSTD_MAGIC) {
          this.#inZstdFrame = true;
          return this.#expect('frame-descriptor', 1);
        }
        if ((magic & 0xfffffff0) >>> 0 === SKIPPABLE_MAGIC) return this.#expect('skippable-size', 4);
        throw corrupt(`no zstd frame at byte ${at} (magic 0x${magic.toString(16).padStart(8, '0')})`);
      }
      case 'skippable-size':
        return this.#passOver(((h[0] ?? 0) | ((h[1] ?? 0) << 8) | ((h[2] ?? 0) << 16) | ((h[3] ?? 0) << 24)) >>> 0, 'frame-end');
      case 'frame-descriptor': {
        const d = h[0] ?? 0;
        if ((d & 0x08) !== 0) throw corrupt(`reserved bit set in the frame header at byte ${at}`);
        const singleSegment = (d & 0x20) !== 0;
        this.#checksum = (d & 0x04) !== 0;
        const fcs = d >> 6;
        const rest = (singleSegment ? 0 : 1) + (DICT_ID_BYTES[d & 3] ?? 0) + (fcs === 0 && singleSegment ? 1 : (CONTENT_SIZE_BYTES[fcs] ?? 0));
        return rest === 0 ? this.#expect('block-header', 3) : this.#expect('frame-header', rest);
      }
      case 'frame-header':
        return this.#expect('block-header', 3);
      case 'block-header': {
        const b = (h[0] ?? 0) | ((h[1] ?? 0) << 8) | ((h[2] ?? 0) << 16);
        const type = (b >> 1) & 3;
        if (type === 3) throw corrupt(`reserved block type at byte ${at}`);
        const last = (b & 1) === 1;
        return this.#passOver(type === 1 ? 1 : b >>> 3, !last ? 'next-block' : this.#checksum ? 'checksum' : 'frame-end');
      }
    }
  }

  #expect(step: Step, bytes: number): false {
    this.#step = step;
    this.#want = bytes;
    return false;
  }

  #passOver(bytes: number, after: AfterRun): boolean {
    this.#run = bytes;
    this.#after = after;
    return bytes === 0 ? this.#endRun() : false;
  }

  /** The bytes passed over ended; true when that ends a frame. */
  #endRun(): boolean {
    if (this.#after === 'next-block') return this.#expect('block-header', 3);
    if (this.#after === 'checksum') return this.#passOver(4, 'frame-end');
    this.#expect('magic', 4);
    return true;
  }
}
