import type { Digest } from '../digest.ts';
import type { Image, Platform } from '../image/types.ts';
import type { Reference } from '../reference/types.ts';
import type { StoreEntry } from './entry.ts';

export type LookupResult =
  | { kind: 'hit'; image: Image; entry: StoreEntry }
  /** A tag warmed longer ago than the TTL: not cached (unlike kaniko), but said so. */
  | { kind: 'expired'; warmedAt: Date; entry: StoreEntry }
  /** `reason` is for the log line: 'no store in /cache', 'not in the store'. */
  | { kind: 'miss'; reason: string };

export interface LookupOptions {
  /** How long a tag stays fresh after it was warmed. Digest references ignore it. */
  ttlMs: number;
}

export interface PutOptions {
  /** The index (manifest list) digest the image was chosen from, so `ref@<index digest>` hits. */
  indexDigest?: Digest;
  /** Layers written at once (default 3). */
  concurrency?: number;
}

export interface PutResult {
  entry: StoreEntry;
  /** Blobs written by this put, and blobs that were already there (shared with other images). */
  written: number;
  reused: number;
  bytesWritten: number;
}

export interface StoreProblem {
  kind: 'layout' | 'index' | 'blob' | 'entry';
  /** What it concerns: a blob digest, an entry's reference, a path. */
  subject: string;
  message: string;
}

export interface PruneOptions {
  /** Entries warmed longer ago than this are removed. */
  ttlMs: number;
  /**
   * Unreferenced blobs younger than this are kept: a put may be about to reference them
   * (default 1 h). Temp files are removed when their process is gone (this host) and they are
   * older than min(graceMs, 5 min), or when untouched for 24 h.
   */
  graceMs?: number;
  /**
   * Entries kept whatever their age: what the warmer was just asked for. A digest entry is
   * never refetched (its bytes cannot change), so without this it would be pruned and pulled
   * again on alternate runs.
   */
  keep?: readonly { ref: string; platform: Platform }[];
}

export interface PruneResult {
  removedEntries: StoreEntry[];
  removedBlobs: number;
  freedBytes: number;
  removedTempFiles: number;
}

/** The /cache base-image store (DESIGN.md §6): an OCI image layout many processes share. */
export interface CacheStore {
  readonly dir: string;
  /**
   * What the store holds for `ref` on `platform`. A hit has read and verified the manifest; a
   * corrupt or unreadable manifest or index.json throws (E_DIGEST_MISMATCH, E_CACHE).
   */
  lookup(ref: Reference, platform: Platform, options: LookupOptions): Promise<LookupResult>;
  put(ref: Reference, platform: Platform, image: Image, options?: PutOptions): Promise<PutResult>;
  /** Every Kiln entry in index.json (entries written by other tools are left out). */
  entries(): Promise<StoreEntry[]>;
  /** Every blob matches its digest; every index entry is complete. Empty when all is well. */
  validate(): Promise<StoreProblem[]>;
  prune(options: PruneOptions): Promise<PruneResult>;
}
