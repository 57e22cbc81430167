// Byte-stable JSON for manifests, indexes and configs: known keys in the order of the OCI and
// Docker Go structs, unknown keys after them sorted, and map-like objects (labels, annotations,
// exposed ports, volumes) sorted, as Go's encoding/json writes maps. The same value always gives
// the same bytes, whatever order its keys were set in.
import type { ConfigFile, IndexManifest, Manifest } from './types.ts';

type Shape = { order: readonly string[]; fields?: Record<string, Shape | 'map' | 'list'>; items?: Shape } | 'map';

const PLATFORM: Shape = { order: ['architecture', 'os', 'os.version', 'os.features', 'variant', 'features'] };
const DESCRIPTOR: Shape = {
  order: ['mediaType', 'digest', 'size', 'urls', 'annotations', 'data', 'platform', 'artifactType'],
  fields: { annotations: 'map', platform: PLATFORM },
};
const DESCRIPTORS: Shape = { order: [], items: DESCRIPTOR };
const MANIFEST: Shape = {
  order: ['schemaVersion', 'mediaType', 'artifactType', 'config', 'layers', 'subject', 'annotations'],
  fields: { config: DESCRIPTOR, layers: DESCRIPTORS, subject: DESCRIPTOR, annotations: 'map' },
};
const INDEX: Shape = {
  order: ['schemaVersion', 'mediaType', 'artifactType', 'manifests', 'subject', 'annotations'],
  fields: { manifests: DESCRIPTORS, subject: DESCRIPTOR, annotations: 'map' },
};
const CONTAINER_CONFIG: Shape = {
  order: [
    'Hostname', 'Domainname', 'User', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'ExposedPorts', 'Tty',
    'OpenStdin', 'StdinOnce', 'Env', 'Cmd', 'Healthcheck', 'ArgsEscaped', 'Image', 'Volumes', 'WorkingDir',
    'Entrypoint', 'NetworkDisabled', 'MacAddress', 'OnBuild', 'Labels', 'StopSignal', 'StopTimeout', 'Shell',
  ],
  fields: {
    ExposedPorts: 'map',
    Volumes: 'map',
    Labels: 'map',
    Healthcheck: { order: ['Test', 'Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] },
  },
};
const HISTORY: Shape = { order: ['created', 'created_by', 'author', 'comment', 'empty_layer'] };
const CONFIG: Shape = {
  order: [
    'created', 'author', 'architecture', 'os', 'os.version', 'os.features', 'variant',
    'config', 'rootfs', 'history', 'container', 'container_config', 'docker_version',
  ],
  fields: {
    config: CONTAINER_CONFIG,
    container_config: CONTAINER_CONFIG,
    rootfs: { order: ['type', 'diff_ids'] },
    history: { order: [], items: HISTORY },
  },
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function reorder(value: unknown, shape: Shape | 'map' | 'list' | undefined): unknown {
  if (Array.isArray(value)) {
    const item = shape !== undefined && shape !== 'map' && shape !== 'list' ? shape.items : undefined;
    return value.map((v) => reorder(v, item));
  }
  if (!isPlainObject(value)) return value;
  const order = shape !== undefined && shape !== 'map' && shape !== 'list' ? shape.order : [];
  const fields = shape !== undefined && shape !== 'map' && shape !== 'list' ? (shape.fields ?? {}) : {};
  const known = order.filter((k) => k in value);
  const rest = Object.keys(value).filter((k) => !order.includes(k)).sort();
  const out: Record<string, unknown> = {};
  for (const k of [...known, ...rest]) out[k] = reorder(value[k], shape === 'map' ? 'map' : fields[k]);
  return out;
}

function encode(value: unknown, shape: Shape): Buffer {
  return Buffer.from(JSON.stringify(reorder(value, shape)), 'utf8');
}

/** The canonical bytes of an image manifest. */
export function manifestJson(m: Manifest): Buffer {
  return encode(m, MANIFEST);
}

/** The canonical bytes of an index or manifest list. */
export function indexJson(i: IndexManifest): Buffer {
  return encode(i, INDEX);
}

/** The canonical bytes of an image config. */
export function configJson(c: ConfigFile): Buffer {
  return encode(c, CONFIG);
}
