// Public surface of shared/registry: the client, its options, and the error predicates callers
// need. Everything else (transport, auth, keychain, uploads) stays internal.
export { createRegistryClient, type RegistryClient, type RegistryClientOptions, type Repository } from './client.ts';
export { defaultRegistryOptions, type RegistryOptions } from './options.ts';
export { isImmutableTagError, type BlobEvent, type PushOptions } from './push.ts';
export type { RawManifest } from './pull.ts';
export type { LayerOrigin } from './remote-image.ts';
export type { Clock, RetryPolicy } from './retry.ts';
export { isNotFound } from './http-error.ts';
