// Content digests: `sha256:<64 hex>` (OCI image spec, descriptor.md).
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { KilnError } from './errors.ts';

export type Digest = `sha256:${string}`;

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function isDigest(s: string): s is Digest {
  return DIGEST_RE.test(s);
}

export function parseDigest(s: string): Digest {
  if (!isDigest(s)) {
    throw new KilnError('E_DIGEST_MISMATCH', `parsing digest "${s}": want sha256:<64 lowercase hex>`);
  }
  return s;
}

export function sha256(data: string | Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function hexOf(d: Digest): string {
  return d.slice('sha256:'.length);
}

/**
 * A pass-through stream that counts and hashes what flows through it.
 * `digest()` and `size` are valid once the stream has ended.
 */
export class HashingStream extends Transform {
  #hash: Hash = createHash('sha256');
  #size = 0;
  #digest: Digest | undefined;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#hash.update(chunk);
    this.#size += chunk.length;
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.#digest = `sha256:${this.#hash.digest('hex')}`;
    cb();
  }

  get size(): number {
    return this.#size;
  }

  digest(): Digest {
    if (this.#digest === undefined) throw new KilnError('E_INTERNAL', 'digest read before the stream ended');
    return this.#digest;
  }
}

export interface VerifyExpectation {
  digest: Digest;
  /** Expected byte count; -1 or undefined when unknown. */
  size?: number;
  /** What is being read, for the error message: `layer sha256:… of registry/repo`. */
  what: string;
}

/**
 * A pass-through stream that fails with E_DIGEST_MISMATCH when the bytes do not match
 * the expected digest or size. Size overflow is caught as soon as it happens.
 */
export class VerifyingStream extends Transform {
  #hash: Hash = createHash('sha256');
  #size = 0;
  readonly #want: VerifyExpectation;

  constructor(want: VerifyExpectation) {
    super();
    this.#want = want;
  }

  /**
   * True when this stream checks exactly `digest` and `size` (a known size) and nothing has
   * flowed through it yet: its consumer then gets verified bytes, and sees an error instead of
   * the end when they do not match, so it need not hash them again.
   */
  verifies(digest: Digest, size: number): boolean {
    return this.#want.digest === digest && size >= 0 && this.#want.size === size && this.#size === 0;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#size += chunk.length;
    const max = this.#want.size;
    if (max !== undefined && max >= 0 && this.#size > max) {
      cb(new KilnError('E_DIGEST_MISMATCH', `reading ${this.#want.what}: more than the ${max} bytes its descriptor declares`));
      return;
    }
    this.#hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    const max = this.#want.size;
    if (max !== undefined && max >= 0 && this.#size !== max) {
      cb(new KilnError('E_DIGEST_MISMATCH', `reading ${this.#want.what}: got ${this.#size} bytes, its descriptor declares ${max}`));
      return;
    }
    const got = `sha256:${this.#hash.digest('hex')}`;
    if (got !== this.#want.digest) {
      cb(new KilnError('E_DIGEST_MISMATCH', `reading ${this.#want.what}: content has digest ${got}, want ${this.#want.digest}`, {
        hint: 'the source served corrupt or tampered bytes; retry, or check the registry or cache',
      }));
      return;
    }
    cb();
  }
}
