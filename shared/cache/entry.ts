// One index.json entry of the store: the manifest descriptor of an image, annotated with the
// reference it was warmed as, its platform and when (DESIGN.md §6).
import { createHash } from 'node:crypto';
import { isDigest, type Digest } from '../digest.ts';
import { MediaTypes, type Descriptor, type Platform } from '../image/types.ts';
import type { Reference } from '../reference/types.ts';

export const Annotations = {
  /** OCI: the name `skopeo inspect oci:DIR:NAME` and `umoci --image DIR:NAME` look up. */
  refName: 'org.opencontainers.image.ref.name',
  /** The full reference the image was warmed as: `index.docker.io/library/busybox:latest`. */
  ref: 'dev.kiln.ref',
  /** `os/arch[/variant]`, as asked for when warming. */
  platform: 'dev.kiln.platform',
  /** RFC 3339 time the entry was written. */
  warmed: 'dev.kiln.warmed',
  /** Digest of the index (manifest list) the platform manifest was chosen from, when there was one. */
  index: 'dev.kiln.index',
  /** On an OCI view of a Docker manifest (oci-view.ts): the digest of the manifest it mirrors. */
  viewOf: 'dev.kiln.view-of',
} as const;

export interface StoreEntry {
  /** The reference as warmed (Reference.toString()). */
  ref: string;
  /** `os/arch[/variant]`. */
  platform: string;
  warmedAt: Date;
  /** The index digest the manifest came from, if the reference named an index. */
  indexDigest?: Digest;
  /** The manifest descriptor, annotations included. */
  descriptor: Descriptor;
}

/**
 * `os/arch[/variant]`, with containerd's default variants made implicit so equal platforms
 * give one key: `linux/arm64/v8` → `linux/arm64`, `linux/arm` → `linux/arm/v7`, amd64 `v1` dropped.
 */
export function platformKey(p: Platform): string {
  const arch = p.architecture;
  let variant = p.variant === '' ? undefined : p.variant;
  if (arch === 'arm64' && (variant === '8' || variant === 'v8' || variant === 'v8.0')) variant = undefined;
  if (arch === 'arm' && (variant === undefined || variant === '7')) variant = 'v7';
  if (arch === 'amd64' && variant === 'v1') variant = undefined;
  return [p.os, arch, variant].filter((s) => s !== undefined && s !== '').join('/');
}

export function platformFromKey(key: string): Platform {
  const [os = '', architecture = '', variant] = key.split('/');
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

// containers/image oci/internal: the grammar skopeo and umoci accept for a ref name.
const COMPONENT = '[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*';
const REF_NAME_RE = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);

/**
 * The `org.opencontainers.image.ref.name` of an entry: the full reference, `+`, and the
 * platform with dashes: `index.docker.io/library/busybox:latest+linux-amd64`. Unique per
 * (reference, platform), so skopeo never picks the wrong platform. A reference whose tag the
 * OCI grammar refuses (`a__b`) gets a stable hashed name instead; dev.kiln.ref keeps the truth.
 */
export function refNameFor(ref: string, platform: string): string {
  const name = `${ref}+${platform.replaceAll('/', '-')}`;
  if (REF_NAME_RE.test(name)) return name;
  return `kiln-${createHash('sha256').update(`${ref}\n${platform}`).digest('hex').slice(0, 32)}`;
}

export interface NewEntry {
  ref: Reference;
  platform: Platform;
  manifest: Descriptor;
  warmedAt: Date;
  indexDigest?: Digest | undefined;
}

/**
 * The index.json descriptor for a new entry. An OCI manifest carries the ref name; a Docker one
 * leaves it to its OCI view (skopeo and umoci would refuse it, and umoci calls a name on two
 * descriptors ambiguous).
 */
export function descriptorFor(e: NewEntry): Descriptor {
  const ref = e.ref.toString();
  const platform = platformKey(e.platform);
  const annotations: Record<string, string> = {
    ...(e.manifest.mediaType === MediaTypes.dockerManifest ? {} : { [Annotations.refName]: refNameFor(ref, platform) }),
    [Annotations.ref]: ref,
    [Annotations.platform]: platform,
    [Annotations.warmed]: e.warmedAt.toISOString(),
  };
  if (e.indexDigest !== undefined) annotations[Annotations.index] = e.indexDigest;
  return {
    mediaType: e.manifest.mediaType,
    digest: e.manifest.digest,
    size: e.manifest.size,
    platform: platformFromKey(platform),
    annotations,
  };
}

/** The Kiln view of an index.json descriptor; undefined for entries Kiln did not write. */
export function entryOf(d: Descriptor): StoreEntry | undefined {
  const a = d.annotations ?? {};
  const ref = a[Annotations.ref];
  const platform = a[Annotations.platform];
  const warmed = a[Annotations.warmed];
  if (ref === undefined || platform === undefined || warmed === undefined) return undefined;
  const warmedAt = new Date(warmed);
  if (Number.isNaN(warmedAt.getTime())) return undefined;
  const index = a[Annotations.index];
  const entry: StoreEntry = { ref, platform, warmedAt, descriptor: d };
  if (index !== undefined && isDigest(index)) entry.indexDigest = index;
  return entry;
}

/** Same (reference, platform) key: the entry a put replaces. */
export function sameKey(d: Descriptor, ref: string, platform: string): boolean {
  const a = d.annotations ?? {};
  return a[Annotations.ref] === ref && a[Annotations.platform] === platform;
}
