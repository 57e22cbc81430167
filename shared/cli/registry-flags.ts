// The registry flags both binaries take (kaniko's names and meanings) → RegistryOptions.
import type { RegistryOptions } from '../registry/options.ts';
import type { FlagSpec, ParsedFlags } from './flags.ts';
import { badValue, readInt, readKeyValues, splitKeyValue } from './values.ts';

const G = 'Registry:';

const COMMON: readonly FlagSpec[] = [
  { name: 'insecure', kind: 'boolean', group: G, describe: 'Push to insecure registry using plain HTTP' },
  { name: 'insecure-pull', kind: 'boolean', group: G, describe: 'Pull from insecure registry using plain HTTP' },
  { name: 'insecure-registry', kind: 'list', group: G, describe: 'Registry reached over plain HTTP for push and pull (repeatable)' },
  { name: 'skip-tls-verify', kind: 'boolean', group: G, describe: 'Push to a registry without verifying its TLS certificate' },
  { name: 'skip-tls-verify-pull', kind: 'boolean', group: G, describe: 'Pull from a registry without verifying its TLS certificate' },
  { name: 'skip-tls-verify-registry', kind: 'list', group: G, describe: 'Registry whose TLS certificate is not verified, for push and pull (repeatable)' },
  { name: 'registry-certificate', kind: 'list', group: G, describe: 'CA certificate for a registry: my.registry.url=/path/to/cert (repeatable)' },
  { name: 'registry-client-cert', kind: 'list', group: G, describe: 'Client certificate for mutual TLS: my.registry.url=/path/to/cert,/path/to/key (repeatable)' },
  { name: 'registry-mirror', kind: 'list', group: G, describe: 'Mirror used instead of docker.io, tried in order (repeatable; env KANIKO_REGISTRY_MIRROR)' },
  { name: 'registry-map', kind: 'list', group: G, describe: 'Remap registries: original.registry=new.registry;other=remap (repeatable; env KANIKO_REGISTRY_MAP)' },
  { name: 'skip-default-registry-fallback', kind: 'boolean', group: G, describe: 'Fail when no mirror has the image instead of falling back to the original registry' },
  { name: 'image-download-retry', kind: 'string', default: '0', group: G, describe: 'Number of retries for downloading a remote image' },
  { name: 'credential-helpers', kind: 'list', group: G, describe: 'docker-credential-<name> helpers to try for registries config.json does not cover (repeatable; "" for none)' },
];

const PUSH: readonly FlagSpec[] = [
  { name: 'push-retry', kind: 'string', default: '0', group: G, describe: 'Number of retries for the push operation' },
];

export function registryFlagSpecs(options: { push: boolean }): readonly FlagSpec[] {
  return options.push ? [...COMMON, ...PUSH] : COMMON;
}

/** RegistryOptions from the parsed flags, with kaniko's environment fallbacks appended. */
export function registryOptionsFromFlags(
  flags: ParsedFlags,
  env: NodeJS.ProcessEnv,
  options: { push: boolean },
): RegistryOptions {
  const envMirrors = (env.KANIKO_REGISTRY_MIRROR ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const maps = [...flags.list('registry-map'), ...(env.KANIKO_REGISTRY_MAP !== undefined ? [env.KANIKO_REGISTRY_MAP] : [])];
  return {
    insecure: flags.boolean('insecure'),
    insecurePull: flags.boolean('insecure-pull'),
    insecureRegistries: flags.list('insecure-registry'),
    skipTlsVerify: flags.boolean('skip-tls-verify'),
    skipTlsVerifyPull: flags.boolean('skip-tls-verify-pull'),
    skipTlsVerifyRegistries: flags.list('skip-tls-verify-registry'),
    registryCertificates: readKeyValues(flags, 'registry-certificate', 'REGISTRY=/path/to/cert'),
    registryClientCerts: readClientCerts(flags),
    registryMirrors: [...flags.list('registry-mirror'), ...envMirrors],
    registryMaps: parseRegistryMaps(maps),
    skipDefaultRegistryFallback: flags.boolean('skip-default-registry-fallback'),
    imageDownloadRetry: readInt(flags, 'image-download-retry', { min: 0 }) ?? 0,
    pushRetry: options.push ? (readInt(flags, 'push-retry', { min: 0 }) ?? 0) : 0,
    credentialHelpers: flags.list('credential-helpers').flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== ''),
  };
}

function readClientCerts(flags: ParsedFlags): Record<string, { cert: string; key: string }> {
  const out: [string, { cert: string; key: string }][] = [];
  for (const item of flags.list('registry-client-cert')) {
    const kv = splitKeyValue(item);
    const [cert, key, extra] = (kv?.[1] ?? '').split(',');
    if (kv === undefined || !cert || !key || extra !== undefined) {
      throw badValue('registry-client-cert', item, 'REGISTRY=/path/to/cert,/path/to/key');
    }
    out.push([kv[0], { cert, key }]);
  }
  return Object.fromEntries(out);
}

/** `orig=mirror1;orig=mirror2;other=remap` (kaniko's multiKeyMultiValueArg): values append per key. */
export function parseRegistryMaps(items: readonly string[]): Record<string, string[]> {
  const out = new Map<string, string[]>();
  for (const item of items) {
    for (const part of item.split(';').map((s) => s.trim())) {
      if (part === '') continue;
      const kv = splitKeyValue(part);
      if (kv === undefined || kv[1] === '') throw badValue('registry-map', item, 'ORIGINAL=MIRROR[;ORIGINAL=MIRROR…]');
      out.set(kv[0], [...(out.get(kv[0]) ?? []), kv[1]]);
    }
  }
  return Object.fromEntries(out);
}
