// `s3://bucket/path/context.tar.gz` (the key defaults to context.tar.gz, as kaniko): one signed
// GetObject streamed into the safe extractor. kaniko's environment: S3_ENDPOINT for another
// endpoint (also AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL), S3_FORCE_PATH_STYLE=true for
// path-style addressing there; AWS_REGION; credentials from aws-credentials.ts.
import { KilnError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/log.ts';
import { awsCredentials, awsRegion } from './aws-credentials.ts';
import { httpGet } from './http-get.ts';
import { signV4, uriEncode } from './sigv4.ts';
import { unpackContext } from './unpack.ts';

export const DEFAULT_OBJECT = 'context.tar.gz';

/** `scheme://bucket/key` → bucket and key (context.tar.gz when the path is empty). */
export function parseBucketUrl(url: string): { bucket: string; key: string } {
  const m = /^[a-z0-9]+:\/\/([^/?#]+)\/?([^?#]*)$/i.exec(url);
  if (m === null || m[1] === undefined) {
    throw new KilnError('E_USAGE', `invalid --context value "${url}": expected ${url.split(':')[0]}://BUCKET/PATH`);
  }
  return { bucket: m[1], key: m[2] === undefined || m[2] === '' ? DEFAULT_OBJECT : m[2] };
}

/**
 * The GetObject URL: virtual-hosted by default, path-style with S3_FORCE_PATH_STYLE=true and an
 * endpoint, or (as the AWS SDKs) for a bucket name that cannot be a host name under TLS.
 */
export function s3ObjectUrl(bucket: string, key: string, o: { env: NodeJS.ProcessEnv; region: string }): URL {
  const e = o.env;
  const endpoint = e.S3_ENDPOINT || e.AWS_ENDPOINT_URL_S3 || e.AWS_ENDPOINT_URL || `https://s3.${o.region}.amazonaws.com`;
  const base = new URL(/^[a-z]+:\/\//i.test(endpoint) ? endpoint : `https://${endpoint}`);
  const prefix = base.pathname.replace(/\/+$/, '');
  const path = `/${uriEncode(key, { keepSlash: true })}`;
  const custom = (e.S3_ENDPOINT || e.AWS_ENDPOINT_URL_S3 || e.AWS_ENDPOINT_URL || '') !== '';
  const forced = custom && (e.S3_FORCE_PATH_STYLE ?? '').toLowerCase() === 'true';
  if (forced || !virtualHostable(bucket, { tls: base.protocol === 'https:' })) return new URL(`${base.protocol}//${base.host}${prefix}/${uriEncode(bucket)}${path}`);
  return new URL(`${base.protocol}//${bucket}.${base.host}${prefix}${path}`);
}

function virtualHostable(bucket: string, o: { tls: boolean }): boolean {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(bucket)) return false;
  return !(o.tls && bucket.includes('.'));
}

export interface S3ContextOptions {
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** The signing time (tests); now by default. */
  now?: () => Date;
}

export async function fetchS3Context(url: string, dir: string, o: S3ContextOptions): Promise<void> {
  const { bucket, key } = parseBucketUrl(url);
  const shown = `s3://${bucket}/${key}`;
  const region = await awsRegion(o.env);
  const credentials = await awsCredentials(o.env, region);
  const target = s3ObjectUrl(bucket, key, { env: o.env, region });
  o.logger.info(`Retrieving the build context ${shown} from ${target.origin}`);
  const headers = signV4({ method: 'GET', url: target }, { credentials, region, service: 's3', date: (o.now ?? (() => new Date()))(), contentSha256Header: true });
  delete headers.host; // undici sends the same value from the URL
  const { body, close } = await httpGet(target.toString(), { env: o.env, headers, redirects: false, what: `the build context ${shown}` });
  try {
    await unpackContext(body, dir, { what: shown, logger: o.logger });
  } finally {
    await close();
  }
}
