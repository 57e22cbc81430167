// Reference values: frozen objects sharing one prototype (so toString() stays out of the fields
// and two equal references compare equal). Constructors validate; nothing mutates.
import { isDigest, type Digest } from '../digest.ts';
import { KilnError } from '../errors.ts';
import type { Reference } from './types.ts';

/** Docker Hub's registry host as Kiln writes it (ggcr's choice; Docker prints `docker.io`). */
export const DOCKER_HUB = 'index.docker.io';
/** The other spellings of Docker Hub that normalise to DOCKER_HUB. */
export const DOCKER_HUB_ALIASES: readonly string[] = ['docker.io', 'index.docker.io'];
export const DEFAULT_TAG = 'latest';
const OFFICIAL_PREFIX = 'library/';

/** distribution/reference's tag grammar: `[\w][\w.-]{0,127}`. */
export const TAG_RE = /^[\w][\w.-]{0,127}$/;

export const REFERENCE_HINT = 'a reference looks like [registry[:port]/]repository[:tag][@sha256:<64 hex>]';

const PROTO: object = Object.freeze({
  toString(this: Reference): string {
    return referenceName(this) + (this.tag === undefined ? '' : `:${this.tag}`) + (this.digest === undefined ? '' : `@${this.digest}`);
  },
});

interface Fields {
  registry: string;
  repository: string;
  tag?: string | undefined;
  digest?: Digest | undefined;
}

/** Build a frozen Reference from already validated parts. */
export function makeReference(f: Fields): Reference {
  const out: Record<string, string> = Object.create(PROTO);
  out.registry = f.registry;
  out.repository = f.repository;
  if (f.tag !== undefined) out.tag = f.tag;
  if (f.digest !== undefined) out.digest = f.digest;
  return Object.freeze(out) as unknown as Reference;
}

/** `registry/repository`, without tag or digest: `index.docker.io/library/ubuntu`. */
export function referenceName(ref: Reference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The same reference pinned to a digest; the tag is kept, as Docker's WithDigest does. */
export function withDigest(ref: Reference, digest: string): Reference {
  if (!isDigest(digest)) {
    throw new KilnError('E_REF', `adding digest "${digest}" to "${ref.toString()}": not a sha256 digest`, { hint: REFERENCE_HINT });
  }
  return makeReference({ registry: ref.registry, repository: ref.repository, tag: ref.tag, digest });
}

/** The same reference with another tag; a digest is kept, as Docker's WithTag does. */
export function withTag(ref: Reference, tag: string): Reference {
  if (!TAG_RE.test(tag)) {
    throw new KilnError('E_REF', `adding tag "${tag}" to "${ref.toString()}": invalid tag format`, {
      hint: 'a tag is 1 to 128 letters, digits, "_", "." or "-", and does not start with "." or "-"',
    });
  }
  return makeReference({ registry: ref.registry, repository: ref.repository, tag, digest: ref.digest });
}

/** What Docker prints (FamiliarString): `ubuntu:latest`, `user/app:1`, `host:5000/app@sha256:…`. */
export function familiarString(ref: Reference): string {
  let name = referenceName(ref);
  if (ref.registry === DOCKER_HUB) {
    name = ref.repository;
    const rest = name.startsWith(OFFICIAL_PREFIX) ? name.slice(OFFICIAL_PREFIX.length) : undefined;
    if (rest !== undefined && !rest.includes('/')) name = rest;
  }
  return name + (ref.tag === undefined ? '' : `:${ref.tag}`) + (ref.digest === undefined ? '' : `@${ref.digest}`);
}
