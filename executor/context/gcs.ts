// `gs://bucket/path/context.tar.gz` (and kaniko's --bucket): one JSON API object download
// (alt=media) streamed into the safe extractor. STORAGE_EMULATOR_HOST points at an emulator
// (as Google's clients: no credentials needed there, used when given); elsewhere a token from
// gcs-auth.ts is required.
import { KilnError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/log.ts';
import { gcsAccessToken } from './gcs-auth.ts';
import { httpGet } from './http-get.ts';
import { parseBucketUrl } from './s3.ts';
import { unpackContext } from './unpack.ts';

/** The object's media URL on storage.googleapis.com or the emulator. */
export function gcsObjectUrl(bucket: string, object: string, env: NodeJS.ProcessEnv): string {
  const emulator = env.STORAGE_EMULATOR_HOST ?? '';
  const base = emulator === '' ? 'https://storage.googleapis.com' : /^https?:\/\//.test(emulator) ? emulator.replace(/\/+$/, '') : `http://${emulator}`;
  return `${base}/storage/v1/b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(object)}?alt=media`;
}

export interface GcsContextOptions {
  env: NodeJS.ProcessEnv;
  logger: Logger;
}

export async function fetchGcsContext(url: string, dir: string, o: GcsContextOptions): Promise<void> {
  const { bucket, key } = parseBucketUrl(url);
  const shown = `gs://${bucket}/${key}`;
  const token = await gcsAccessToken(o.env);
  const emulator = (o.env.STORAGE_EMULATOR_HOST ?? '') !== '';
  if (token === undefined && !emulator) {
    throw new KilnError('E_CONTEXT', `fetching the build context ${shown}: no Google Cloud credentials given`, {
      hint: 'set GOOGLE_APPLICATION_CREDENTIALS to a service account key file (or GOOGLE_OAUTH_ACCESS_TOKEN); to use the metadata server, set GCE_METADATA_HOST',
    });
  }
  o.logger.info(`Retrieving the build context ${shown}${emulator ? ` from ${o.env.STORAGE_EMULATOR_HOST}` : ''}`);
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  const { body, close } = await httpGet(gcsObjectUrl(bucket, key, o.env), { env: o.env, headers, redirects: token === undefined, what: `the build context ${shown}` });
  try {
    await unpackContext(body, dir, { what: shown, logger: o.logger });
  } finally {
    await close();
  }
}
