// One streamed GET for remote contexts (https tarballs, S3, GCS, Azure Blob): undici with the
// system CA bundle and NODE_EXTRA_CA_CERTS (Node's own store lacks /etc/ssl), HTTP(S)_PROXY,
// redirects followed, the body checked against Content-Length so a cut download fails instead
// of unpacking half a context. URLs in messages lose their user info and query (signed URLs
// carry credentials there).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { rootCertificates } from 'node:tls';
import { Agent, type Dispatcher, EnvHttpProxyAgent, interceptors, request } from 'undici';
import { KilnError, redactUrl } from '../../shared/errors.ts';

const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export interface HttpGetOptions {
  headers?: Record<string, string>;
  env: NodeJS.ProcessEnv;
  /** Follow redirects (default true; signed requests must not carry their headers elsewhere). */
  redirects?: boolean;
  /** For messages: what is being fetched ("the build context s3://b/k"). */
  what: string;
}

export interface HttpBody {
  body: Readable;
  /** Close the connection pool; call once the body is consumed or abandoned. */
  close(): Promise<void>;
}

/** The URL for messages: no user info, no query, no fragment. */
export function displayUrl(url: string): string {
  const q = url.search(/[?#]/);
  return redactUrl(q < 0 ? url : `${url.slice(0, q)}?…`);
}

/** GET `url` and return its body as a stream, or throw E_CONTEXT with the server's reason. */
export async function httpGet(given: string, options: HttpGetOptions): Promise<HttpBody> {
  const { target: url, authorization } = splitCredentials(given);
  const agent = createAgent(url, options.env);
  const close = (): Promise<void> => agent.close().catch(() => undefined);
  const dispatcher: Dispatcher = options.redirects === false ? agent : agent.compose(interceptors.redirect({ maxRedirections: 10 }));
  try {
    const headers = { 'user-agent': 'kiln', ...(authorization !== undefined ? { authorization } : {}), ...options.headers };
    const res = await request(url, { dispatcher, headers }).catch((cause: unknown) => {
      throw new KilnError('E_CONTEXT', `fetching ${options.what}: ${displayUrl(url)}: ${(cause as Error).message}`, { cause, hint: 'check the address and the network' });
    });
    if (res.statusCode < 200 || res.statusCode >= 300) {
      const text = await readSome(res.body, 4096);
      throw new KilnError('E_CONTEXT', `fetching ${options.what}: HTTP status ${res.statusCode}${reason(text)}`, { hint: hintFor(res.statusCode) });
    }
    const length = Number(res.headers['content-length']);
    const body = Number.isFinite(length) && res.headers['content-encoding'] === undefined ? res.body.pipe(lengthCheck(length, options.what)) : res.body;
    if (body !== res.body) res.body.on('error', (e) => body.destroy(e));
    return { body, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * User info in the URL becomes a Basic header, taken out of the URL (as Go's net/http does;
 * undici would drop it). A string that is not a URL comes back as it is.
 */
export function splitCredentials(url: string): { target: string; authorization?: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { target: url };
  }
  if (u.username === '' && u.password === '') return { target: url };
  const pair = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
  u.username = '';
  u.password = '';
  return { target: u.toString(), authorization: `Basic ${Buffer.from(pair).toString('base64')}` };
}

function createAgent(url: string, env: NodeJS.ProcessEnv): Dispatcher {
  const tls = { ca: caBundle(env) };
  const connect = { ...tls, timeout: 30_000 };
  const host = new URL(url).hostname;
  const loopback = host === 'localhost' || host === '[::1]' || /^127\./.test(host);
  const proxied = !loopback && [env.HTTP_PROXY, env.http_proxy, env.HTTPS_PROXY, env.https_proxy].some((v) => v !== undefined && v !== '');
  if (!proxied) return new Agent({ connect });
  return new EnvHttpProxyAgent({
    connect,
    requestTls: tls,
    httpProxy: env.HTTP_PROXY ?? env.http_proxy ?? '',
    httpsProxy: env.HTTPS_PROXY ?? env.https_proxy ?? env.HTTP_PROXY ?? env.http_proxy ?? '',
    noProxy: env.NO_PROXY ?? env.no_proxy ?? '',
  });
}

/** Node's roots, then SSL_CERT_FILE (or the system bundle), SSL_CERT_DIR's files, NODE_EXTRA_CA_CERTS. */
function caBundle(env: NodeJS.ProcessEnv): string[] {
  const out = [...rootCertificates];
  const dirs = (env.SSL_CERT_DIR ?? '').split(':').filter((d) => d !== '');
  const inDirs = dirs.flatMap((d) => listCerts(d));
  for (const file of [env.SSL_CERT_FILE || SYSTEM_CA_BUNDLE, ...inDirs, env.NODE_EXTRA_CA_CERTS]) {
    if (file === undefined || file === '') continue;
    try {
      out.push(readFileSync(file, 'utf8'));
    } catch {
      // a missing bundle only narrows what verifies
    }
  }
  return out;
}

function listCerts(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => /\.(crt|pem)$/.test(n)).map((n) => join(dir, n));
  } catch {
    return [];
  }
}

async function readSome(body: Readable, max: number): Promise<string> {
  let text = '';
  try {
    for await (const chunk of body) {
      text += (chunk as Buffer).toString('utf8');
      if (text.length >= max) break;
    }
  } catch {
    // the reason is best effort
  }
  body.destroy();
  return text.slice(0, max);
}

/** S3/Azure/GCS put a code and message in XML or JSON error bodies; show them, nothing else. */
function reason(text: string): string {
  const code = /<Code>([^<]{1,100})<\/Code>/.exec(text)?.[1];
  const message = /<Message>([^<]{1,300})<\/Message>/.exec(text)?.[1] ?? /"message"\s*:\s*"([^"]{1,300})"/.exec(text)?.[1];
  const parts = [code, message?.split('\n')[0]].filter((p) => p !== undefined);
  return parts.length > 0 ? ` (${parts.join(': ')})` : '';
}

function hintFor(status: number): string {
  if (status === 401 || status === 403) return 'check the credentials given in the environment and their permissions';
  if (status === 404) return 'check the bucket or container and the object path';
  return 'check the address; the server refused it';
}

function lengthCheck(expected: number, what: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      seen += chunk.length;
      cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      if (seen === expected) cb();
      else cb(new KilnError('E_CONTEXT', `fetching ${what}: the download ended after ${seen} of ${expected} bytes`, { hint: 'try again; the connection was cut' }));
    },
  });
}


export interface HttpJsonOptions {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** A form body (application/x-www-form-urlencoded). */
  form?: Record<string, string>;
  env: NodeJS.ProcessEnv;
  what: string;
}

/** A small JSON exchange (token endpoints, metadata): the parsed body of a 2xx answer. */
export async function httpJson(url: string, o: HttpJsonOptions): Promise<unknown> {
  const text = await httpText(url, { ...o, headers: { accept: 'application/json', ...o.headers } });
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new KilnError('E_CONTEXT', `${o.what}: the answer is not JSON`, { cause });
  }
}

/** A small exchange whose answer is read whole (at most 64 KiB): the body of a 2xx answer. */
export async function httpText(url: string, o: HttpJsonOptions): Promise<string> {
  const agent = createAgent(url, o.env);
  try {
    const body = o.form === undefined ? undefined : new URLSearchParams(o.form).toString();
    const headers = { 'user-agent': 'kiln', ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...o.headers };
    const res = await request(url, { dispatcher: agent, method: o.method, headers, ...(body !== undefined ? { body } : {}) }).catch((cause: unknown) => {
      throw new KilnError('E_CONTEXT', `${o.what}: ${displayUrl(url)}: ${(cause as Error).message}`, { cause });
    });
    const text = await readSome(res.body, 64 * 1024);
    if (res.statusCode < 200 || res.statusCode >= 300) {
      const oauth = /"error"\s*:\s*"([^"]{1,100})"/.exec(text)?.[1];
      throw new KilnError('E_CONTEXT', `${o.what}: HTTP status ${res.statusCode}${oauth !== undefined ? ` (${oauth})` : reason(text)}`, { hint: hintFor(res.statusCode) });
    }
    return text;
  } finally {
    await agent.close().catch(() => undefined);
  }
}
