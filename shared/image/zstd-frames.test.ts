import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { jsZstdDecompress } from './compression.ts';
import { ZstdFrameSplitter } from './zstd-frames.ts';

type Block = { raw: Buffer } | { rle: number; count: number } | { reserved: true };

interface FrameOptions {
  /** Frame header descriptor bits other than the checksum flag (default: single segment, 4-byte content size). */
  descriptor?: number;
  checksum?: boolean;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

/** A zstd frame built by hand from raw and RLE blocks (RFC 8878 §3.1.1): what a decoder reads. */
function frame(blocks: Block[], options: FrameOptions = {}): Buffer {
  const d = (options.descriptor ?? 0xa0) | (options.checksum === true ? 0x04 : 0);
  const single = (d & 0x20) !== 0;
  const fcs = d >> 6;
  const size = blocks.reduce((n, b) => n + ('raw' in b ? b.raw.length : 'rle' in b ? b.count : 0), 0);
  const fcsBytes = fcs === 0 ? (single ? 1 : 0) : [0, 2, 4, 8][fcs] ?? 0;
  const fcsValue = Buffer.alloc(8);
  fcsValue.writeBigUInt64LE(BigInt(fcs === 1 ? size - 256 : size));
  const parts = [u32(0xfd2fb528), Buffer.from([d]), single ? Buffer.alloc(0) : Buffer.from([0x58]), Buffer.alloc([0, 1, 2, 4][d & 3] ?? 0), fcsValue.subarray(0, fcsBytes)];
  blocks.forEach((b, i) => {
    const last = i === blocks.length - 1 ? 1 : 0;
    const [type, n, body] = 'raw' in b ? [0, b.raw.length, b.raw] : 'rle' in b ? [1, b.count, Buffer.from([b.rle])] : [3, 0, Buffer.alloc(0)];
    const h = (n << 3) | (type << 1) | last;
    parts.push(Buffer.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff]), body);
  });
  if (options.checksum === true) parts.push(Buffer.from([1, 2, 3, 4]));
  return Buffer.concat(parts);
}

const skippable = (data: Buffer, nibble = 0): Buffer => Buffer.concat([u32(0x184d2a50 + nibble), u32(data.length), data]);
const text = (n: number, seed = 0): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => 97 + ((i * 7 + seed) % 26)));

/** Feed `stream` in chunks of the given sizes (the last repeats); the pieces and where each ends in the output. */
function splitAll(stream: Buffer, sizes: number[]): { out: Buffer; ends: number[] } {
  const s = new ZstdFrameSplitter();
  const pieces: Buffer[] = [];
  for (let i = 0, k = 0; i < stream.length; k++) {
    const n = sizes[Math.min(k, sizes.length - 1)] ?? stream.length;
    pieces.push(...s.split(stream.subarray(i, i + n)));
    i += n;
  }
  s.end();
  const ends: number[] = [];
  let at = 0;
  for (const p of pieces) ends.push((at += p.length));
  return { out: Buffer.concat(pieces), ends };
}

async function jsDecode(zst: Buffer): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of Readable.from([zst]).pipe(jsZstdDecompress())) out.push(c as Buffer);
  return Buffer.concat(out);
}

const chunkings = [[1], [2], [3, 1, 5], [7], [1000], [1 << 20]];

describe('ZstdFrameSplitter', () => {
  it('cuts at every frame end and leaves skippable frames out, however the input is chunked', async () => {
    const f1 = frame([{ raw: text(300) }, { rle: 0x7a, count: 50 }, { raw: text(20, 3) }]);
    const f2 = frame([{ raw: text(10, 5) }, { raw: Buffer.alloc(0) }], { descriptor: 0x00, checksum: true }); // window descriptor, no content size
    const f3 = frame([{ rle: 0x41, count: 7 }], { descriptor: 0x20 }); // single segment, 1-byte content size
    const stream = Buffer.concat([skippable(Buffer.from('toc')), f1, skippable(Buffer.alloc(0), 15), f2, f3, skippable(text(40))]);
    const frameEnds = [f1.length, f1.length + f2.length, f1.length + f2.length + f3.length];
    for (const sizes of chunkings) {
      const { out, ends } = splitAll(stream, sizes);
      expect(out.equals(Buffer.concat([f1, f2, f3])), `chunks of ${sizes.join(',')}`).toBe(true);
      expect(ends, `chunks of ${sizes.join(',')}`).toEqual(expect.arrayContaining(frameEnds));
    }
    // The hand-made frames are what a real decoder reads.
    expect((await jsDecode(f1)).equals(Buffer.concat([text(300), Buffer.alloc(50, 0x7a), text(20, 3)]))).toBe(true);
    expect((await jsDecode(f3)).equals(Buffer.alloc(7, 0x41))).toBe(true);
  });

  it('reads every frame header layout: dictionary ids and 1 to 8 byte content sizes', () => {
    const frames = [0x01, 0x02, 0x03, 0x40 | 0x20, 0x80, 0xc0 | 0x20, 0xc0 | 0x03].map((descriptor, i) => frame([{ raw: text(300 + i) }], { descriptor }));
    const stream = Buffer.concat(frames);
    const frameEnds = frames.map((_, i) => Buffer.concat(frames.slice(0, i + 1)).length);
    for (const sizes of chunkings) {
      const { out, ends } = splitAll(stream, sizes);
      expect(out.equals(stream)).toBe(true);
      expect(ends).toEqual(expect.arrayContaining(frameEnds));
    }
  });

  it('passes a real zstd CLI stream (a skippable frame, then two frames) through without the skippable frame', async () => {
    const zst = readFileSync(join(import.meta.dirname, 'testdata', 'content.zst'));
    for (const sizes of chunkings) expect(splitAll(zst, sizes).out.equals(zst.subarray(12))).toBe(true);
    expect((await jsDecode(splitAll(zst, [3, 1, 1000]).out)).length).toBe(300_000);
  });

  it('refuses a stream that ends inside a frame, wherever it is cut', () => {
    const f = frame([{ raw: text(100) }], { checksum: true });
    const zst = readFileSync(join(import.meta.dirname, 'testdata', 'content.zst'));
    for (const cut of [2, 4, 5, 9, 12, 50, f.length - 4, f.length - 1]) {
      expect(() => splitAll(f.subarray(0, cut), [1]), `cut at ${cut}`).toThrow(expect.objectContaining({ code: 'E_LAYER', message: expect.stringContaining('truncated') }));
    }
    expect(() => splitAll(zst.subarray(0, 3000), [1000])).toThrow(expect.objectContaining({ code: 'E_LAYER' }));
    expect(() => splitAll(skippable(text(10)).subarray(0, 15), [4])).toThrow(expect.objectContaining({ code: 'E_LAYER' }));
    expect(splitAll(Buffer.alloc(0), [1]).out.length).toBe(0);
  });

  it('refuses what is not zstd: data after the frames, a reserved block type, a reserved header bit', () => {
    const f = frame([{ raw: text(10) }]);
    expect(() => splitAll(Buffer.concat([f, Buffer.from('garbage!')]), [1000])).toThrow(
      expect.objectContaining({ code: 'E_LAYER', message: `decompressing zstd: no zstd frame at byte ${f.length} (magic 0x62726167)` }),
    );
    expect(() => splitAll(frame([{ reserved: true }]), [1000])).toThrow(expect.objectContaining({ code: 'E_LAYER', message: expect.stringContaining('reserved block type') }));
    expect(() => splitAll(frame([{ raw: text(10) }], { descriptor: 0xa8 }), [1000])).toThrow(expect.objectContaining({ code: 'E_LAYER', message: expect.stringContaining('reserved bit') }));
  });
});
