// Every kaniko executor flag, with kaniko's names, short forms and defaults (cmd/executor/cmd/root.go),
// plus Kiln's own (--root-dir, --secret, --cache-mount-dir). Parsed by executor/options.ts.
import type { FlagSpec } from '../shared/cli/index.ts';
import { logFlagSpecs, registryFlagSpecs } from '../shared/cli/index.ts';

const BUILD = 'Build:';
const SNAP = 'Snapshots and layers:';
const CACHE = 'Cache:';
const OUT = 'Output:';
const KILN = 'Kiln:';

const build: readonly FlagSpec[] = [
  { name: 'dockerfile', short: 'f', kind: 'string', default: 'Dockerfile', group: BUILD, describe: 'Path to the Dockerfile to be built' },
  { name: 'context', short: 'c', kind: 'string', default: '/workspace', group: BUILD, describe: 'Build context: a directory, or dir://, tar://, git://, s3://, gs://, https://' },
  { name: 'context-sub-path', kind: 'string', group: BUILD, describe: 'Sub path within the given context' },
  { name: 'bucket', short: 'b', kind: 'string', hidden: true, group: BUILD, describe: 'GCS bucket holding the build context as a tarball (use --context gs://…)' },
  { name: 'build-arg', kind: 'list', group: BUILD, describe: 'ARG value: KEY=VALUE, or KEY to take it from the environment (repeatable)' },
  { name: 'target', kind: 'string', group: BUILD, describe: 'Set the target build stage to build' },
  { name: 'custom-platform', kind: 'string', group: BUILD, describe: 'Build for this platform (os/arch[/variant]) instead of the host one' },
  { name: 'skip-unused-stages', kind: 'boolean', group: BUILD, describe: 'Build only the stages the target needs' },
  { name: 'git', kind: 'list', group: BUILD, describe: 'Git context options: branch=…,single-branch=…,recurse-submodules=…,insecure-skip-tls=…' },
  { name: 'label', kind: 'list', group: BUILD, describe: 'Set an image label: KEY=VALUE (repeatable)' },
  { name: 'annotation', kind: 'list', group: BUILD, describe: 'Set a manifest annotation: KEY=VALUE (repeatable)' },
  { name: 'reproducible', kind: 'boolean', group: BUILD, describe: 'Strip timestamps out of the image to make it reproducible' },
  { name: 'force', kind: 'boolean', group: BUILD, describe: 'Build even outside a container (with / as the build root)' },
  { name: 'kaniko-dir', kind: 'string', default: '/kaniko', group: BUILD, describe: "Path to Kiln's own directory, never snapshotted (env KANIKO_DIR)" },
  { name: 'cleanup', kind: 'boolean', group: BUILD, describe: 'Clean the filesystem at the end of the build' },
  { name: 'materialize', kind: 'boolean', group: BUILD, describe: 'Leave the filesystem in the state of the built image, even on full cache hits' },
  { name: 'preserve-context', kind: 'boolean', group: BUILD, describe: 'Keep the build context across stages (Kiln always does)' },
  { name: 'use-new-run', kind: 'boolean', group: BUILD, describe: 'kaniko experimental run implementation (no effect in Kiln)' },
  { name: 'force-build-metadata', kind: 'boolean', group: BUILD, describe: 'Add metadata layers to the image (no effect in Kiln)' },
  { name: 'customPlatform', kind: 'string', hidden: true, group: BUILD, describe: 'Deprecated: use --custom-platform' },
];

const snapshot: readonly FlagSpec[] = [
  { name: 'snapshot-mode', kind: 'string', default: 'full', choices: ['full', 'redo', 'time'], group: SNAP, describe: 'File attributes compared when snapshotting' },
  { name: 'single-snapshot', kind: 'boolean', group: SNAP, describe: 'Take a single snapshot at the end of the build' },
  { name: 'ignore-path', kind: 'list', group: SNAP, describe: 'Ignore this path when taking a snapshot (repeatable)' },
  { name: 'ignore-var-run', kind: 'boolean', default: true, group: SNAP, describe: 'Ignore /var/run when taking a snapshot' },
  { name: 'image-fs-extract-retry', kind: 'string', default: '0', group: SNAP, describe: 'Number of retries for extracting the base image filesystem' },
  { name: 'compression', kind: 'string', default: 'gzip', choices: ['gzip', 'zstd'], group: SNAP, describe: 'Layer compression' },
  { name: 'compression-level', kind: 'string', default: '-1', group: SNAP, describe: 'Compression level (-1: the default of the algorithm)' },
  { name: 'snapshotMode', kind: 'string', hidden: true, group: SNAP, describe: 'Deprecated: use --snapshot-mode' },
  { name: 'whitelist-var-run', kind: 'boolean', default: true, hidden: true, group: SNAP, describe: 'Deprecated: use --ignore-var-run' },
];

const cache: readonly FlagSpec[] = [
  { name: 'cache', kind: 'boolean', group: CACHE, describe: 'Use the layer cache' },
  { name: 'cache-dir', kind: 'string', default: '/cache', group: CACHE, describe: 'Base-image store filled by the warmer (read first when present)' },
  { name: 'cache-repo', kind: 'string', group: CACHE, describe: "Repository for cached layers ('oci:/path' for an OCI layout)" },
  { name: 'cache-copy-layers', kind: 'boolean', group: CACHE, describe: 'Cache COPY layers' },
  { name: 'cache-run-layers', kind: 'boolean', default: true, group: CACHE, describe: 'Cache RUN layers' },
  { name: 'cache-ttl', kind: 'string', default: '336h', group: CACHE, describe: 'Cache timeout, a duration such as 6h' },
  { name: 'compressed-caching', kind: 'boolean', default: true, group: CACHE, describe: 'Compress the cached layers' },
  { name: 'no-push-cache', kind: 'boolean', group: CACHE, describe: 'Do not push cache layers to the registry' },
];

const output: readonly FlagSpec[] = [
  { name: 'destination', short: 'd', kind: 'list', group: OUT, describe: 'Image to push the result to (repeatable)' },
  { name: 'no-push', kind: 'boolean', group: OUT, describe: 'Do not push the image to the registry (env KANIKO_NO_PUSH)' },
  { name: 'tar-path', kind: 'string', group: OUT, describe: 'Save the image as a docker-archive tarball at this path' },
  { name: 'oci-layout-path', kind: 'string', group: OUT, describe: 'Save the image as an OCI image layout at this path' },
  { name: 'digest-file', kind: 'string', group: OUT, describe: 'Write the digest of the built image to this file' },
  { name: 'image-name-with-digest-file', kind: 'string', group: OUT, describe: 'Write image name@digest to this file' },
  { name: 'image-name-tag-with-digest-file', kind: 'string', group: OUT, describe: 'Write image name:tag@digest to this file' },
  { name: 'push-ignore-immutable-tag-errors', kind: 'boolean', group: OUT, describe: 'Treat a refused push to an immutable tag as success' },
  { name: 'skip-push-permission-check', kind: 'boolean', group: OUT, describe: 'Skip the push permission check before the build' },
  { name: 'tarPath', kind: 'string', hidden: true, group: OUT, describe: 'Deprecated: use --tar-path' },
];

const kiln: readonly FlagSpec[] = [
  { name: 'root-dir', kind: 'string', default: '/', group: KILN, describe: 'Build into this directory instead of / (RUN steps chroot into it)' },
  { name: 'secret', kind: 'list', group: KILN, describe: 'Secret for RUN --mount=type=secret: id=ID,src=PATH or id=ID,env=VAR (repeatable)' },
  { name: 'cache-mount-dir', kind: 'string', group: KILN, describe: 'Where RUN --mount=type=cache directories persist (default <cache-dir>/mounts)' },
];

export const executorFlagSpecs: readonly FlagSpec[] = [
  ...build,
  ...snapshot,
  ...cache,
  ...output,
  ...registryFlagSpecs({ push: true }),
  ...logFlagSpecs,
  ...kiln,
];
