// AWS Signature Version 4 for a request without a body (S3 GetObject, STS), by the published
// algorithm: canonical request → string to sign → HMAC-SHA256 chain from the secret key.
// Checked against AWS's own examples and the official signer in sigv4.test.ts.
import { createHash, createHmac } from 'node:crypto';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface SignRequest {
  method: string;
  /** The full URL; its path must already be URI-encoded the way it is sent. */
  url: URL;
  /** Extra headers to sign and send (lowercase names). */
  headers?: Record<string, string>;
  /** Hex SHA-256 of the body, or UNSIGNED-PAYLOAD; sent as x-amz-content-sha256 when `s3`. */
  payloadHash?: string;
}

export interface SignOptions {
  credentials: AwsCredentials;
  region: string;
  service: string;
  date: Date;
  /** Add x-amz-content-sha256 (S3 requires it). */
  contentSha256Header?: boolean;
}

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** The headers to send: the given ones, host, x-amz-date, the token, and authorization. */
export function signV4(req: SignRequest, o: SignOptions): Record<string, string> {
  const amzDate = o.date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const payloadHash = req.payloadHash ?? EMPTY_SHA256;
  const headers: Record<string, string> = { ...req.headers, host: req.url.host, 'x-amz-date': amzDate };
  if (o.contentSha256Header === true) headers['x-amz-content-sha256'] = payloadHash;
  if (o.credentials.sessionToken !== undefined && o.credentials.sessionToken !== '') headers['x-amz-security-token'] = o.credentials.sessionToken;
  const names = Object.keys(headers).map((k) => k.toLowerCase()).sort();
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const canonicalHeaders = names.map((n) => `${n}:${String(lower[n]).trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = [req.method, req.url.pathname || '/', canonicalQuery(req.url), canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${day}/${o.region}/${o.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = [day, o.region, o.service, 'aws4_request'].reduce<Buffer>((k, part) => hmac(k, part), Buffer.from(`AWS4${o.credentials.secretAccessKey}`));
  const signature = hmac(key, stringToSign).toString('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${o.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}

/** RFC 3986 encoding as SigV4 wants it: only A-Z a-z 0-9 - _ . ~ stay as they are. */
export function uriEncode(s: string, { keepSlash = false }: { keepSlash?: boolean } = {}): string {
  const out = encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return keepSlash ? out.replace(/%2F/g, '/') : out;
}

function canonicalQuery(url: URL): string {
  const pairs = [...url.searchParams.entries()].map(([k, v]) => [uriEncode(k), uriEncode(v)] as const);
  pairs.sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}
