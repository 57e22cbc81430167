import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, type Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compressStream, decompressStream, detectCompression, jsZstdDecompress } from './compression.ts';
import { MediaTypes } from './types.ts';

async function collect(s: NodeJS.ReadableStream): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of s) out.push(Buffer.from(c as Buffer));
  return Buffer.concat(out);
}

/** Feed `data` to `d` in chunks of the given sizes (the last size repeats). */
function feed(d: Duplex, data: Buffer, sizes: number[] = [65536]): Duplex {
  const chunks: Buffer[] = [];
  for (let i = 0, k = 0; i < data.length; k++) {
    const n = sizes[Math.min(k, sizes.length - 1)] ?? 65536;
    chunks.push(data.subarray(i, i + n));
    i += n;
  }
  return Readable.from(chunks).pipe(d);
}

// The content of testdata/content.zst (a skippable frame, then two zstd frames made by the zstd CLI).
function fixtureContent(): Buffer {
  const out = Buffer.alloc(300_000);
  let x = 12345;
  for (let i = 0; i < out.length; i++) {
    if (i % 1000 < 500) {
      out[i] = 97 + (i % 26);
      continue;
    }
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const hasNativeZstd = typeof (zlib as unknown as Record<string, unknown>).createZstdCompress === 'function';

describe('detectCompression', () => {
  it.each([
    ['gzip', Buffer.from([0x1f, 0x8b, 8, 0])],
    ['zstd', Buffer.from([0x28, 0xb5, 0x2f, 0xfd])],
    ['zstd', Buffer.from([0x5e, 0x2a, 0x4d, 0x18])],
    ['none', Buffer.from('./etc/passwd')],
    ['none', Buffer.from([0x1f])],
    ['none', Buffer.alloc(0)],
  ])('%s for %s', (want, bytes) => {
    expect(detectCompression(bytes)).toBe(want);
  });
});

describe('decompressStream', () => {
  it('round-trips gzip, including input split into 1-byte chunks at the start', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const gz = await collect(Readable.from([data]).pipe(compressStream('gzip', 1)));
    expect(detectCompression(gz)).toBe('gzip');
    expect((await collect(feed(decompressStream(MediaTypes.dockerLayer), gz))).equals(data)).toBe(true);
    expect((await collect(feed(decompressStream(MediaTypes.ociLayerGzip), gz, [1, 1, 1, 1, 1, 4096]))).equals(data)).toBe(true);
  });

  it('passes plain tar through, even tiny or empty input', async () => {
    const data = randomBytes(100_000);
    expect((await collect(feed(decompressStream(MediaTypes.ociLayer), data, [2, 1, 7]))).equals(data)).toBe(true);
    expect((await collect(feed(decompressStream(), Buffer.from('ab'))))).toEqual(Buffer.from('ab'));
    expect(await collect(Readable.from([]).pipe(decompressStream()))).toEqual(Buffer.alloc(0));
  });

  it('trusts the bytes over a media type that misstates the compression', async () => {
    const data = randomBytes(10_000);
    const gz = zlib.gzipSync(data);
    expect((await collect(feed(decompressStream(MediaTypes.ociLayer), gz))).equals(data)).toBe(true);
  });

  it('decompresses zstd with skippable and several frames', async () => {
    const zst = readFileSync(join(import.meta.dirname, 'testdata', 'content.zst'));
    const want = fixtureContent();
    expect(createHash('sha256').update(want).digest('hex')).toBe('2580849d3cc1c9e24b070292e7a88028a520e97ce4cfb191cdbdad4944e0607e');
    const got = await collect(feed(decompressStream(MediaTypes.ociLayerZstd), zst, [3, 1, 1000]));
    expect(got.equals(want)).toBe(true);
  });

  it('decodes zstd with the pure-JS decoder too (the Node < 22.15 path)', async () => {
    const zst = readFileSync(join(import.meta.dirname, 'testdata', 'content.zst'));
    expect((await collect(Readable.from([zst.subarray(0, 5000), zst.subarray(5000)]).pipe(jsZstdDecompress()))).equals(fixtureContent())).toBe(true);
    await expect(collect(Readable.from([zst.subarray(0, 3000)]).pipe(jsZstdDecompress()))).rejects.toMatchObject({ code: 'E_LAYER' });
  });

  it('fails on corrupt gzip and corrupt zstd', async () => {
    const gz = zlib.gzipSync(randomBytes(50_000));
    gz[gz.length - 6] = (gz[gz.length - 6] ?? 0) ^ 0xff; // breaks the CRC
    await expect(collect(feed(decompressStream(MediaTypes.dockerLayer), gz))).rejects.toThrow();
    const zst = Buffer.from(readFileSync(join(import.meta.dirname, 'testdata', 'content.zst')));
    // (fzstd does not check frame checksums: flipped bytes are caught by the layer digests instead.)
    await expect(collect(feed(decompressStream(MediaTypes.ociLayerZstd), zst.subarray(0, zst.length - 100)))).rejects.toThrow();
  });

  it('refuses a media type that is not a layer', () => {
    expect(() => decompressStream(MediaTypes.ociConfig)).toThrow(/not a layer media type/);
  });

  it('holds back a highly compressed stream until the reader asks (no buffering whole layers)', async () => {
    const size = 64 * 1024 * 1024;
    const gz = zlib.gzipSync(Buffer.alloc(size));
    const d = feed(decompressStream(MediaTypes.dockerLayer), gz);
    d.pause();
    d.read(0); // start the flow, then leave it unread
    await sleep(200);
    expect(d.readableLength).toBeLessThan(1024 * 1024);
    let total = 0;
    for await (const c of d) total += (c as Buffer).length;
    expect(total).toBe(size);
  });
});

describe('compressStream', () => {
  it('gzip at a given level round-trips through zlib', async () => {
    const data = randomBytes(200_000);
    const gz = await collect(Readable.from([data]).pipe(compressStream('gzip', 9)));
    expect(zlib.gunzipSync(gz).equals(data)).toBe(true);
  });

  it('none passes bytes through', async () => {
    const data = randomBytes(1000);
    expect((await collect(Readable.from([data]).pipe(compressStream('none')))).equals(data)).toBe(true);
  });

  it(hasNativeZstd ? 'zstd round-trips on this Node' : 'zstd needs Node 22.15: E_NOT_IMPLEMENTED here', async () => {
    if (!hasNativeZstd) {
      expect(() => compressStream('zstd', 3)).toThrow(expect.objectContaining({ code: 'E_NOT_IMPLEMENTED', hint: expect.stringContaining('--compression=gzip') }));
      return;
    }
    const data = randomBytes(500_000);
    const zst = await collect(Readable.from([data]).pipe(compressStream('zstd', 3)));
    expect(detectCompression(zst)).toBe('zstd');
    expect((await collect(feed(decompressStream(MediaTypes.ociLayerZstd), zst))).equals(data)).toBe(true);
  });
});
