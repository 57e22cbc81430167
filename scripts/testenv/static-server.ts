// A read-only static file server on 127.0.0.1 (node:http), hosted by the process that starts it:
// it serves the test environment's local apt repository. GET and HEAD only; paths are resolved
// (dot segments removed) and must stay inside the root; one line per request goes to logFile.
import { appendFileSync, createReadStream, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, sep } from 'node:path';

export interface StaticServer {
  /** `http://127.0.0.1:PORT/` */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface StaticServerOptions {
  /** Directory served at `/`. */
  root: string;
  /** Access log: `METHOD PATH STATUS` per line (default: none). */
  logFile?: string;
}

const TYPES: Record<string, string> = {
  '.gz': 'application/gzip',
  '.deb': 'application/vnd.debian.binary-package',
  '.gpg': 'application/pgp-keys',
};

function contentType(path: string): string {
  const ext = path.slice(path.lastIndexOf('.'));
  return TYPES[ext] ?? 'text/plain; charset=utf-8';
}

/** The file under root that urlPath names, or undefined when it escapes root or is no regular file. */
export function resolveUnder(root: string, urlPath: string): string | undefined {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(urlPath, 'http://127.0.0.1').pathname);
  } catch {
    return undefined;
  }
  if (pathname.includes('\0')) return undefined;
  const file = join(root, pathname);
  try {
    const realRoot = realpathSync(root);
    const real = realpathSync(file); // links are followed only to a file inside the root
    if (!real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep)) return undefined;
    return statSync(real).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}

function handle(opts: StaticServerOptions, req: IncomingMessage, res: ServerResponse): void {
  const method = req.method ?? 'GET';
  const file = method === 'GET' || method === 'HEAD' ? resolveUnder(opts.root, req.url ?? '/') : undefined;
  const status = method !== 'GET' && method !== 'HEAD' ? 405 : file === undefined ? 404 : 200;
  if (opts.logFile) appendFileSync(opts.logFile, `${method} ${req.url ?? ''} ${status}\n`);
  if (file === undefined) {
    res.writeHead(status, { 'content-type': 'text/plain', ...(status === 405 ? { allow: 'GET, HEAD' } : {}) });
    res.end(status === 405 ? 'method not allowed\n' : 'not found\n');
    return;
  }
  const st = statSync(file);
  res.writeHead(200, { 'content-type': contentType(file), 'content-length': st.size, 'last-modified': st.mtime.toUTCString() });
  if (method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

/** Serve opts.root on a free loopback port until stop(). */
export async function startStaticServer(opts: StaticServerOptions): Promise<StaticServer> {
  const server = createServer((req, res) => {
    try {
      handle(opts, req, res);
    } catch {
      res.destroy();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
