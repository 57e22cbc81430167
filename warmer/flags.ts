// kaniko's warmer flags (cmd/warmer/cmd/root.go), the shared registry and log flags, and Kiln's --prune.
import type { FlagSpec } from '../shared/cli/index.ts';
import { logFlagSpecs, registryFlagSpecs } from '../shared/cli/index.ts';

const W = 'Warmer:';

export const warmerFlagSpecs: readonly FlagSpec[] = [
  { name: 'image', short: 'i', kind: 'list', group: W, describe: 'Image to cache (repeatable)' },
  { name: 'dockerfile', short: 'd', kind: 'string', group: W, describe: 'Dockerfile whose base images (FROM lines) are cached' },
  { name: 'build-arg', kind: 'list', group: W, describe: 'ARG value for the Dockerfile: KEY=VALUE, or KEY from the environment (repeatable)' },
  { name: 'cache-dir', short: 'c', kind: 'string', default: '/cache', group: W, describe: 'Directory of the cache (an OCI image layout)' },
  { name: 'cache-ttl', kind: 'string', default: '336h', group: W, describe: 'Cache timeout, a duration such as 6h: older entries are fetched again' },
  { name: 'force', short: 'f', kind: 'boolean', group: W, describe: 'Fetch the images again even when they are cached' },
  { name: 'custom-platform', kind: 'string', group: W, describe: 'Cache this platform (os/arch[/variant]) instead of the host one' },
  { name: 'customPlatform', kind: 'string', hidden: true, group: W, describe: "kaniko's spelling of --custom-platform" },
  { name: 'prune', kind: 'boolean', group: W, describe: 'Remove entries older than --cache-ttl and blobs no entry uses' },
  ...registryFlagSpecs({ push: false }),
  ...logFlagSpecs,
];
