// Platforms: parsing, normalising and matching as containerd's `platforms` package does
// (arm64 variant v8 is the default, amd64 variants are ignored unless asked for).
import { KilnError } from '../errors.ts';
import type { Descriptor, IndexManifest, Platform } from './types.ts';

const ARCH_ALIASES: Record<string, string> = {
  x86_64: 'amd64',
  'x86-64': 'amd64',
  aarch64: 'arm64',
  i386: '386',
  i686: '386',
  armhf: 'arm',
  armel: 'arm',
};
const OS_ALIASES: Record<string, string> = { macos: 'darwin' };

/** Node's process.arch → OCI architecture and variant. */
const NODE_ARCH: Record<string, [string, string?]> = {
  x64: ['amd64'],
  arm64: ['arm64', 'v8'],
  arm: ['arm', 'v7'],
  ia32: ['386'],
  ppc64: ['ppc64le'],
  s390x: ['s390x'],
  riscv64: ['riscv64'],
  loong64: ['loong64'],
  mips64el: ['mips64le'],
};

const PLATFORM_HINT = 'a platform looks like os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8';

/** The platform Kiln runs on (always linux: images are Linux images). `arch` defaults to process.arch. */
export function defaultPlatform(arch: string = process.arch): Platform {
  const [architecture, variant] = NODE_ARCH[arch] ?? [arch];
  return variant === undefined ? { os: 'linux', architecture } : { os: 'linux', architecture, variant };
}

/**
 * Parse `os/arch[/variant]` (`linux/arm64/v8`); os and architecture aliases are normalised
 * (`x86_64` → `amd64`, `aarch64` → `arm64`). A lone `os` takes the host's architecture.
 */
export function parsePlatform(s: string): Platform {
  const parts = s.trim().toLowerCase().split('/');
  if (parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/.test(p))) {
    throw new KilnError('E_USAGE', `parsing platform "${s}": want os/arch[/variant]`, { hint: PLATFORM_HINT });
  }
  const [rawOs = '', rawArch, rawVariant] = parts;
  const os = OS_ALIASES[rawOs] ?? rawOs;
  if (rawArch === undefined) return { ...defaultPlatform(), os };
  const architecture = ARCH_ALIASES[rawArch] ?? rawArch;
  const variant = rawVariant ?? (rawArch === 'armhf' ? 'v7' : rawArch === 'armel' ? 'v6' : undefined);
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

/** `linux/arm64/v8`, `linux/amd64`. */
export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter((x) => x !== undefined && x !== '').join('/');
}

/** containerd's normalised variant, with the defaults made explicit so they compare equal. */
function normalVariant(arch: string, variant: string | undefined): string {
  const v = variant ?? '';
  switch (arch) {
    case 'arm64':
      return ['', '8', 'v8', 'v8.0'].includes(v) ? 'v8' : /^\d/.test(v) ? `v${v}` : v;
    case 'arm':
      return v === '' || v === '7' ? 'v7' : /^\d$/.test(v) ? `v${v}` : v;
    case 'amd64':
      return v === 'v1' ? '' : v;
    default:
      return v;
  }
}

/**
 * Whether an image built for `have` serves a request for `want`. The variant must agree after
 * normalisation, except that a `want` without a variant accepts any amd64 variant (v2, v3 …).
 */
export function platformMatches(want: Platform, have: Platform): boolean {
  const os = (p: Platform) => OS_ALIASES[p.os.toLowerCase()] ?? p.os.toLowerCase();
  const arch = (p: Platform) => ARCH_ALIASES[p.architecture.toLowerCase()] ?? p.architecture.toLowerCase();
  if (os(want) !== os(have) || arch(want) !== arch(have)) return false;
  const a = arch(want);
  if (a === 'amd64' && (want.variant === undefined || want.variant === '')) return true;
  return normalVariant(a, want.variant) === normalVariant(a, have.variant);
}

function isAttestation(d: Descriptor): boolean {
  return d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' || d.platform?.os === 'unknown';
}

/**
 * The manifest of `index` for platform `want`. With several candidates (amd64 v2 and v3) an exact
 * variant match wins, then the first listed. Throws E_PLATFORM listing what exists.
 * `what` names the index for the message: `index.docker.io/library/ubuntu:latest`.
 */
export function selectManifest(index: IndexManifest, want: Platform, what: string): Descriptor {
  const candidates = index.manifests.filter((d) => d.platform !== undefined && !isAttestation(d) && platformMatches(want, d.platform));
  const exact = candidates.find((d) => (d.platform?.variant ?? '') === (want.variant ?? ''));
  const found = exact ?? candidates[0];
  if (found !== undefined) return found;
  const have = index.manifests.filter((d) => d.platform !== undefined && !isAttestation(d)).map((d) => formatPlatform(d.platform as Platform));
  const list = have.length === 0 ? 'it lists no platforms' : `it has ${[...new Set(have)].join(', ')}`;
  throw new KilnError('E_PLATFORM', `choosing the image for ${formatPlatform(want)} in ${what}: no manifest for that platform; ${list}`, {
    hint: have.length === 0 ? undefined : `choose one of them with --custom-platform=${have[0]}`,
  });
}
