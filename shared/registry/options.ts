// The slice of options every registry user needs (executor and warmer share it, as kaniko's
// RegistryOptions). Built once from flags by each binary's options.ts, then frozen.

export interface RegistryOptions {
  /** --insecure: allow plain HTTP for pushes to the destination registries. */
  insecure: boolean;
  /** --insecure-pull: allow plain HTTP for pulls. */
  insecurePull: boolean;
  /** --insecure-registry (repeatable): hosts reached over plain HTTP for pull and push. */
  insecureRegistries: readonly string[];
  /** --skip-tls-verify: do not verify TLS for pushes. */
  skipTlsVerify: boolean;
  /** --skip-tls-verify-pull: do not verify TLS for pulls. */
  skipTlsVerifyPull: boolean;
  /** --skip-tls-verify-registry (repeatable): hosts whose TLS is not verified. */
  skipTlsVerifyRegistries: readonly string[];
  /** --registry-certificate host=path (repeatable): extra CA bundle per host. */
  registryCertificates: Readonly<Record<string, string>>;
  /** --registry-client-cert host=cert.pem,key.pem (repeatable): mutual TLS per host. */
  registryClientCerts: Readonly<Record<string, { cert: string; key: string }>>;
  /** --registry-mirror (repeatable) and KANIKO_REGISTRY_MIRROR: mirrors of Docker Hub, or `host=mirror`. */
  registryMirrors: readonly string[];
  /** --registry-map orig=mirror;mirror2 (repeatable) and KANIKO_REGISTRY_MAP. */
  registryMaps: Readonly<Record<string, readonly string[]>>;
  /** --skip-default-registry-fallback: fail when no mirror has the image. */
  skipDefaultRegistryFallback: boolean;
  /** --image-download-retry: extra attempts for a pull. */
  imageDownloadRetry: number;
  /** --push-retry: extra attempts for a push. */
  pushRetry: number;
  /** --push-ignore-immutable-tag-errors: a refused overwrite of an immutable tag is a warning. */
  pushIgnoreImmutableTagErrors?: boolean;
  /** --credential-helpers: helpers to try when config.json has none for a host ('' disables). */
  credentialHelpers: readonly string[];
}

export const defaultRegistryOptions: RegistryOptions = Object.freeze({
  insecure: false,
  insecurePull: false,
  insecureRegistries: [],
  skipTlsVerify: false,
  skipTlsVerifyPull: false,
  skipTlsVerifyRegistries: [],
  registryCertificates: {},
  registryClientCerts: {},
  registryMirrors: [],
  registryMaps: {},
  skipDefaultRegistryFallback: false,
  imageDownloadRetry: 0,
  pushRetry: 0,
  credentialHelpers: [],
});
