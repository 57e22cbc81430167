// Public surface of shared/registry: the client, its options and the credential lookup.
export { createRegistryClient, type RegistryClient, type RegistryClientOptions, type Repository } from './client.ts';
export { defaultRegistryOptions, type RegistryOptions } from './options.ts';
export type { BlobEvent, PushOptions } from './push.ts';
export { isImmutableTagError } from './push.ts';
export type { RawManifest } from './pull.ts';
export type { LayerOrigin } from './remote-image.ts';
export { type Clock, type RetryPolicy, defaultRetryPolicy, systemClock } from './retry.ts';
export { isNotFound } from './http-error.ts';
export { createKeychain, type Keychain } from './keychain.ts';
export type { Credential } from './docker-config.ts';
