import type { Digest } from '../digest.ts';

/** A normalised image reference, as Docker's distribution/reference parses it. */
export interface Reference {
  /** Registry host with optional port: `index.docker.io`, `localhost:5000`. */
  readonly registry: string;
  /** Repository path: `library/ubuntu`. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: Digest;
  /** The canonical string: `index.docker.io/library/ubuntu:latest`, `host/repo@sha256:…`. */
  toString(): string;
}
