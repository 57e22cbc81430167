// parseReference: Docker's ParseNormalizedNamed (github.com/distribution/reference), with
// Docker Hub written as index.docker.io and `:latest` added when neither tag nor digest is given.
import type { Digest } from '../digest.ts';
import { KilnError } from '../errors.ts';
import { DEFAULT_TAG, DOCKER_HUB, DOCKER_HUB_ALIASES, REFERENCE_HINT, makeReference } from './reference.ts';
import type { Reference } from './types.ts';

// The grammar of distribution/reference regexp.go, rebuilt as JS regular expressions.
const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN_AND_PORT = `(?:${DOMAIN_NAME}|${IPV6})(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE_RE = new RegExp(`^(?:(${DOMAIN_AND_PORT})/)?(${REMOTE_NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;
const NAME_MAX = 255;
const DOCKER_DOMAIN = 'docker.io';
const OFFICIAL_PREFIX = 'library/';
const DIGEST_LENGTHS: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/** `scratch`, the empty base image of `FROM scratch` (matched exactly, as Docker does). */
export function isScratch(s: string): boolean {
  return s === 'scratch';
}

/**
 * Parse and normalise an image reference exactly as Docker does:
 * `ubuntu` → `index.docker.io/library/ubuntu:latest`, `localhost:5000/a`, `host/a/b:tag@sha256:…`
 * (tag and digest both kept). Throws KilnError E_REF naming the input and the reason.
 */
export function parseReference(s: string): Reference {
  const fail = (why: string, hint = REFERENCE_HINT): never => {
    throw new KilnError('E_REF', `parsing reference "${s}": ${why}`, { hint });
  };
  if (s === '') fail('the reference is empty');
  if (s.includes('://')) fail('invalid reference format: a reference has no scheme', 'drop the scheme, e.g. host:5000/repo:tag instead of https://host:5000/repo:tag');
  if (IDENTIFIER_RE.test(s)) fail('cannot specify 64-byte hexadecimal strings', 'to pin an image, write name@sha256:<64 hex>');
  const [domain, remainder] = splitDockerDomain(s);
  const colon = remainder.indexOf(':');
  const remote = colon === -1 ? remainder : remainder.slice(0, colon);
  if (remote.toLowerCase() !== remote) {
    fail(`repository name (${remote}) must be lowercase`, 'write the repository in lowercase letters');
  }
  const m = REFERENCE_RE.exec(`${domain}/${remainder}`);
  if (m === null) return fail('invalid reference format');
  const [, registry = '', repository = '', tag, digest] = m;
  // The regexp can match the whole input as a path when the registry part is malformed
  // (`my_host.com/a`); Docker then returns a name without a domain. Kiln needs a registry.
  if (registry === '') fail(`"${domain}" is not a valid registry host`);
  if (`${registry}/${repository}`.length > NAME_MAX) fail(`repository name must not be more than ${NAME_MAX} characters`);
  return makeReference({
    registry: DOCKER_HUB_ALIASES.includes(registry) ? DOCKER_HUB : registry,
    repository,
    tag: tag ?? (digest === undefined ? DEFAULT_TAG : undefined),
    digest: digest === undefined ? undefined : checkDigest(digest, fail),
  });
}

/** distribution/reference splitDockerDomain: a first component is a registry only if it looks like one. */
function splitDockerDomain(name: string): [string, string] {
  const slash = name.indexOf('/');
  if (slash === -1) return [DOCKER_DOMAIN, OFFICIAL_PREFIX + name];
  const first = name.slice(0, slash);
  const rest = name.slice(slash + 1);
  let domain = DOCKER_DOMAIN;
  let remote = name;
  if (first === 'localhost' || /[.:]/.test(first) || first.toLowerCase() !== first) {
    domain = DOCKER_HUB_ALIASES.includes(first) ? DOCKER_DOMAIN : first;
    remote = rest;
  }
  if (domain === DOCKER_DOMAIN && !remote.includes('/')) remote = OFFICIAL_PREFIX + remote;
  return [domain, remote];
}

/** go-digest's Validate, narrowed to sha256 (the only algorithm Kiln's Digest type carries). */
function checkDigest(d: string, fail: (why: string, hint?: string) => never): Digest {
  const sep = d.indexOf(':');
  const algorithm = d.slice(0, sep);
  const hex = d.slice(sep + 1);
  const want = DIGEST_LENGTHS[algorithm];
  if (want === undefined) return fail(`unsupported digest algorithm "${algorithm}"`);
  if (hex.length !== want) return fail(`invalid ${algorithm} digest length: ${hex.length} hex characters, want ${want}`);
  if (!/^[a-f0-9]+$/.test(hex)) return fail('invalid checksum digest format: the hex must be lowercase');
  if (algorithm !== 'sha256') return fail(`${algorithm} digests are not supported, only sha256`, 'refer to the image by its sha256 digest or by tag');
  return d as Digest;
}
