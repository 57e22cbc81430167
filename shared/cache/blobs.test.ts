import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { blobNames, testdir } from '../../test/helpers/cache-fixtures.ts';
import { sha256, VerifyingStream } from '../digest.ts';
import { layerFromCompressedBlob, MediaTypes } from '../image/index.ts';
import { blobPath, writeBlob, type BlobRef } from './blobs.ts';

/** A source as the registry client and layerFromCompressedBlob hand it over: bytes through a VerifyingStream. */
function verifyingSource(bytes: Buffer, want: BlobRef): VerifyingStream {
  const v = new VerifyingStream({ digest: want.digest, size: want.size, what: 'test blob' });
  // Several chunks, so the corrupt byte is written before the stream ends.
  const chunks = [bytes.subarray(0, bytes.length >> 1), bytes.subarray(bytes.length >> 1)];
  Readable.from(chunks).pipe(v);
  return v;
}

function flipped(bytes: Buffer, at: number): Buffer {
  const b = Buffer.from(bytes);
  b[at] = (b[at] as number) ^ 0xff;
  return b;
}

async function expectNoBlob(dir: string, blob: BlobRef, write: Promise<void>): Promise<void> {
  await expect(write).rejects.toMatchObject({ code: 'E_DIGEST_MISMATCH' });
  expect(existsSync(blobPath(dir, blob.digest))).toBe(false);
  expect(blobNames(dir)).toEqual([]);
}

describe('writeBlob from a source that already verifies', () => {
  const bytes = randomBytes(3 << 20);
  const blob: BlobRef = { digest: sha256(bytes), size: bytes.length };

  it('stores the bytes of a verifying source', async () => {
    const dir = testdir();
    const source = verifyingSource(bytes, blob);
    expect(source.verifies(blob.digest, blob.size)).toBe(true);
    await writeBlob(dir, blob, source);
    expect(readFileSync(blobPath(dir, blob.digest)).equals(bytes)).toBe(true);
  });

  it('stores the bytes of a plain source in many small chunks (queued chunks go out in one writev)', async () => {
    const dir = testdir();
    const chunks = Array.from({ length: bytes.length / 3072 }, (_, i) => bytes.subarray(i * 3072, (i + 1) * 3072));
    await writeBlob(dir, blob, Readable.from(chunks));
    expect(readFileSync(blobPath(dir, blob.digest)).equals(bytes)).toBe(true);
    expect(blobNames(dir)).toHaveLength(1);
  });

  it('renames nothing when the verifying source serves a corrupt byte', async () => {
    const dir = testdir();
    await expectNoBlob(dir, blob, writeBlob(dir, blob, verifyingSource(flipped(bytes, bytes.length - 10), blob)));
  });

  it('renames nothing when a layer stream (layerFromCompressedBlob) is corrupt, short or long', async () => {
    const layer = (served: Buffer) =>
      layerFromCompressedBlob({
        descriptor: { mediaType: MediaTypes.ociLayerGzip, ...blob },
        diffId: blob.digest,
        open: async () => Readable.from([served.subarray(0, 1 << 20), served.subarray(1 << 20)]),
      });
    for (const served of [flipped(bytes, 5), bytes.subarray(0, bytes.length - 1), Buffer.concat([bytes, Buffer.from('x')])]) {
      const dir = testdir();
      const source = await layer(served).compressed();
      expect(source instanceof VerifyingStream && source.verifies(blob.digest, blob.size)).toBe(true);
      await expectNoBlob(dir, blob, writeBlob(dir, blob, source));
    }
  });

  it('verifies itself when the source checks another digest or size, or was already read from', async () => {
    const other = randomBytes(bytes.length); // same size: only the hash tells them apart
    const dir = testdir();
    // The source is honest about its own digest, which is not the blob's.
    const foreign = verifyingSource(other, { digest: sha256(other), size: other.length });
    expect(foreign.verifies(blob.digest, blob.size)).toBe(false);
    await expectNoBlob(dir, blob, writeBlob(dir, blob, foreign));
    const sized = verifyingSource(other, { digest: sha256(other), size: -1 });
    expect(sized.verifies(sha256(other), -1)).toBe(false);
    const started = verifyingSource(bytes, blob);
    await new Promise((resolve) => started.once('readable', resolve));
    started.read(1);
    expect(started.verifies(blob.digest, blob.size)).toBe(false);
    await expectNoBlob(dir, blob, writeBlob(dir, blob, started));
  });
});
