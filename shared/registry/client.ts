// createRegistryClient: the one object both binaries use to talk to registries. It owns the
// connections, the ping and token caches, the layer-origin map and the push ledger; close()
// releases the sockets.
import type { Readable } from 'node:stream';
import type { Digest } from '../digest.ts';
import type { Descriptor, Image, ImageIndex, Layer, Platform } from '../image/types.ts';
import type { Logger } from '../log.ts';
import type { Reference } from '../reference/index.ts';
import type { ClientContext } from './context.ts';
import { createKeychain } from './keychain.ts';
import type { RegistryOptions } from './options.ts';
import { checkPushPermission } from './permission.ts';
import { blobStream, getManifest, headManifest, type RawManifest } from './pull.ts';
import { createPushState, pushImage, pushIndex, type PushOptions } from './push.ts';
import { type LayerOrigin, remoteImage, remoteIndex } from './remote-image.ts';
import { type Clock, defaultRetryPolicy, type RetryPolicy, systemClock } from './retry.ts';
import { createSession } from './session.ts';
import { createTransport } from './transport.ts';

export interface RegistryClientOptions {
  options: RegistryOptions;
  logger: Logger;
  /** Environment for DOCKER_CONFIG, REGISTRY_AUTH_FILE, HOME, PATH (helpers). Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Directory of config.json; overrides DOCKER_CONFIG. */
  dockerConfigDir?: string;
  retry?: Partial<RetryPolicy>;
  clock?: Clock;
  userAgent?: string;
  /** Sockets per registry (default 8): bounds parallel layer fetches. */
  connectionsPerOrigin?: number;
  /** The system CA bundle (default /etc/ssl/certs/ca-certificates.crt). */
  systemCaBundle?: string;
  /** Proxy loopback registries too when HTTP(S)_PROXY is set (default: never, as Go). */
  proxyLoopback?: boolean;
  /** Jitter source, for tests. */
  random?: () => number;
}

export interface Repository {
  registry: string;
  repository: string;
}

export interface RegistryClient {
  /** The image for `platform` (an index is resolved with selectManifest). Memoised per client:
   * every stage of one build sees the same image for a tag. */
  image(ref: Reference, options: { platform: Platform }): Promise<Image>;
  /** The index at ref (E_MANIFEST when ref is a single image). */
  index(ref: Reference): Promise<ImageIndex>;
  /** The manifest's descriptor, from a HEAD request. */
  head(ref: Reference): Promise<Descriptor>;
  /** The raw manifest or index bytes, verified. */
  manifest(ref: Reference): Promise<RawManifest>;
  /** A blob's bytes, verified against the descriptor while streaming. */
  blob(repo: Repository, descriptor: Descriptor): Readable;
  /** Where a layer this client pulled came from (for cross-repository mounts). */
  layerOrigin(layer: Layer): LayerOrigin | undefined;
  push(image: Image, ref: Reference, options?: PushOptions): Promise<Digest>;
  pushIndex(index: ImageIndex, ref: Reference, options?: PushOptions): Promise<Digest>;
  /** Fails with E_REGISTRY_AUTH unless the credentials may push to ref's repository. */
  checkPushPermission(ref: Reference): Promise<void>;
  close(): Promise<void>;
}

export function createRegistryClient(o: RegistryClientOptions): RegistryClient {
  const env = o.env ?? process.env;
  const clock = o.clock ?? systemClock;
  const transport = createTransport({
    options: o.options,
    env,
    ...(o.connectionsPerOrigin !== undefined ? { connectionsPerOrigin: o.connectionsPerOrigin } : {}),
    ...(o.systemCaBundle !== undefined ? { systemCaBundle: o.systemCaBundle } : {}),
    ...(o.proxyLoopback !== undefined ? { proxyLoopback: o.proxyLoopback } : {}),
  });
  const keychain = createKeychain({
    env,
    ...(o.dockerConfigDir !== undefined ? { dockerConfigDir: o.dockerConfigDir } : {}),
    credentialHelpers: o.options.credentialHelpers,
    logger: o.logger,
  });
  const session = createSession({ transport, keychain, logger: o.logger, clock, userAgent: o.userAgent ?? 'kiln' });
  const ctx: ClientContext = {
    session,
    options: o.options,
    policy: { ...defaultRetryPolicy, ...o.retry },
    clock,
    logger: o.logger,
    ...(o.random ? { random: o.random } : {}),
  };
  const origins = new WeakMap<Layer, LayerOrigin>();
  const pushState = createPushState(origins);
  const images = new Map<string, Promise<Image>>();
  const image = (ref: Reference, platform: Platform): Promise<Image> => {
    const key = `${ref.toString()}|${platform.os}/${platform.architecture}/${platform.variant ?? ''}`;
    let hit = images.get(key);
    if (hit === undefined) {
      hit = remoteImage(ctx, ref, { platform, origins });
      hit.catch(() => images.delete(key));
      images.set(key, hit);
    }
    return hit;
  };
  const pushDefaults = (p: PushOptions | undefined): PushOptions => ({
    ignoreImmutableTagErrors: o.options.pushIgnoreImmutableTagErrors === true,
    ...p,
  });
  return {
    image: (ref, { platform }) => image(ref, platform),
    index: (ref) => remoteIndex(ctx, ref, origins),
    head: (ref) => headManifest(ctx, ref),
    manifest: (ref) => getManifest(ctx, ref),
    blob: (repo, descriptor) => blobStream(ctx, { registry: repo.registry, repository: repo.repository, descriptor }),
    layerOrigin: (layer) => origins.get(layer),
    push: (image, ref, p) => pushImage(ctx, pushState, image, ref, pushDefaults(p)),
    pushIndex: (index, ref, p) => pushIndex(ctx, pushState, index, ref, pushDefaults(p)),
    checkPushPermission: (ref) => checkPushPermission(ctx, ref),
    close: () => transport.close(),
  };
}
