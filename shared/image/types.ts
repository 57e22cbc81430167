// The image model (STYLE.md §2, after go-containerregistry's v1): read-only, lazy.
// Every method may do I/O; none mutates. This module imports nothing else from shared/
// except the Digest type.
import type { Readable } from 'node:stream';
import type { Digest } from '../digest.ts';

export const MediaTypes = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  dockerLayerUncompressed: 'application/vnd.docker.image.rootfs.diff.tar',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
} as const;
export type MediaType = string;

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface Descriptor {
  mediaType: MediaType;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
}

export interface Manifest {
  schemaVersion: 2;
  mediaType?: MediaType;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
  subject?: Descriptor;
}

export interface IndexManifest {
  schemaVersion: 2;
  mediaType?: MediaType;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface HealthConfig {
  Test?: string[];
  Interval?: number; // nanoseconds
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** The `config` object of an image config, with Docker's capitalised keys. */
export interface ContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, object>;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[];
  Cmd?: string[] | null;
  Healthcheck?: HealthConfig;
  ArgsEscaped?: boolean;
  Image?: string;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Entrypoint?: string[] | null;
  NetworkDisabled?: boolean;
  OnBuild?: string[] | null;
  Labels?: Record<string, string>;
  StopSignal?: string;
  Shell?: string[];
}

export interface History {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ConfigFile {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
  created?: string;
  author?: string;
  container?: string;
  docker_version?: string;
  config: ContainerConfig;
  rootfs: { type: 'layers'; diff_ids: Digest[] };
  history?: History[];
}

export interface Layer {
  /** sha256 of the compressed bytes. */
  digest(): Promise<Digest>;
  /** sha256 of the uncompressed tar. */
  diffId(): Promise<Digest>;
  /** Compressed size in bytes. */
  size(): Promise<number>;
  mediaType(): MediaType;
  /** A fresh stream of the compressed bytes on every call, verified against digest() and size(). */
  compressed(): Promise<Readable>;
  /** A fresh stream of the uncompressed tar on every call. */
  uncompressed(): Promise<Readable>;
}

export interface Image {
  rawManifest(): Promise<Buffer>;
  manifest(): Promise<Manifest>;
  rawConfig(): Promise<Buffer>;
  config(): Promise<ConfigFile>;
  /** sha256 of rawManifest(). */
  digest(): Promise<Digest>;
  mediaType(): Promise<MediaType>;
  layers(): Promise<Layer[]>;
  layer(digest: Digest): Promise<Layer>;
}

export interface ImageIndex {
  rawManifest(): Promise<Buffer>;
  indexManifest(): Promise<IndexManifest>;
  digest(): Promise<Digest>;
  mediaType(): Promise<MediaType>;
  image(digest: Digest): Promise<Image>;
}

export function isIndexMediaType(mt: string | undefined): boolean {
  return mt === MediaTypes.ociIndex || mt === MediaTypes.dockerManifestList;
}

export function isManifestMediaType(mt: string | undefined): boolean {
  return mt === MediaTypes.ociManifest || mt === MediaTypes.dockerManifest;
}
