// ADD of a remote URL: downloaded with undici (redirects followed) into a private temporary
// file (through HTTP(S)_PROXY when set), hashed on the way for --checksum, never extracted (Docker extracts only local
// archives). The file is named after Content-Disposition or the URL path, has mode 0600 and
// the Last-Modified time (the Unix epoch without one), as BuildKit's HTTP source (source/http) does.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, utimes } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EnvHttpProxyAgent, interceptors, request } from 'undici';
import { KilnError } from '../../shared/errors.ts';
import { displayUrl, splitCredentials } from '../context/http-get.ts';
import { inTempDir } from './temp-dir.ts';

export interface Download {
  /** Host path of the downloaded file (in a private temporary directory). */
  host: string;
  /** The file name for a directory destination. */
  name: string;
  dispose(): Promise<void>;
}

export function isRemoteUrl(src: string): boolean {
  return /^https?:\/\//i.test(src);
}

export async function download(url: string, options: { checksum?: string; what: string }): Promise<Download> {
  const expected = options.checksum !== undefined ? parseChecksum(options.checksum, options.what) : undefined;
  const shown = displayUrl(url);
  return inTempDir('kiln-add-', async (dir) => {
    const agent = new EnvHttpProxyAgent({ connect: { timeout: 30_000 } }); // HTTP(S)_PROXY, NO_PROXY as kaniko users expect
    try {
      const { target, authorization } = splitCredentials(url);
      const res = await request(target, {
        dispatcher: agent.compose(interceptors.redirect({ maxRedirections: 10 })),
        headers: { 'user-agent': 'kiln', ...(authorization !== undefined ? { authorization } : {}) },
      }).catch((e: unknown) => {
        throw new KilnError('E_STEP', `${options.what}: downloading ${shown}: ${(e as Error).message}`, { cause: e });
      });
      if (res.statusCode < 200 || res.statusCode >= 300) {
        await res.body.dump().catch(() => undefined);
        throw new KilnError('E_STEP', `${options.what}: downloading ${shown}: HTTP status ${res.statusCode}`, { hint: 'check the URL; ADD fails on any HTTP error' });
      }
      const name = fileName(url, header(res.headers['content-disposition']));
      const host = join(dir, 'file');
      const hash = createHash(expected?.algorithm ?? 'sha256');
      const tap = new Transform({ transform: (c: Buffer, _e, cb) => { hash.update(c); cb(null, c); } });
      await pipeline(res.body, tap, createWriteStream(host, { mode: 0o600 }));
      const actual = hash.digest('hex');
      if (expected !== undefined && actual !== expected.hex) {
        throw new KilnError('E_DIGEST_MISMATCH', `${options.what}: checksum of ${shown} does not match: expected ${expected.algorithm}:${expected.hex}, got ${expected.algorithm}:${actual}`, {
          hint: 'the file changed on the server, or --checksum is wrong',
        });
      }
      await chmod(host, 0o600);
      const modified = Date.parse(header(res.headers['last-modified']) ?? '');
      const mtime = Number.isNaN(modified) ? new Date(0) : new Date(modified);
      await utimes(host, mtime, mtime);
      return { host, name };
    } finally {
      await agent.close().catch(() => undefined);
    }
  });
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export function parseChecksum(value: string, what: string): { algorithm: 'sha256' | 'sha384' | 'sha512'; hex: string } {
  const m = /^(sha256|sha384|sha512):([0-9a-f]+)$/.exec(value.trim());
  const lengths = { sha256: 64, sha384: 96, sha512: 128 };
  if (m === null || m[2]!.length !== lengths[m[1] as keyof typeof lengths]) {
    throw new KilnError('E_DOCKERFILE', `${what}: invalid --checksum "${value}"`, { hint: 'use --checksum=sha256:<64 hex digits>' });
  }
  return { algorithm: m[1] as 'sha256' | 'sha384' | 'sha512', hex: m[2] as string };
}

/** Content-Disposition's filename, else the last URL path component, else "download" (BuildKit's getFileName). */
export function fileName(url: string, disposition: string | undefined): string {
  const d = disposition !== undefined ? /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition) : null;
  const fromHeader = d?.[1] !== undefined && !d[1].endsWith('/') ? posix.basename(decode(d[1])) : '';
  if (fromHeader !== '' && fromHeader !== '.' && fromHeader !== '..') return fromHeader;
  let path = '';
  try {
    path = new URL(url).pathname;
  } catch {
    path = '';
  }
  const base = posix.basename(path);
  const name = posix.basename(decode(base));
  return name === '' || name === '.' || name === '..' ? 'download' : name;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
