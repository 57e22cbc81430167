// Loopback servers for the build-context tests: git smart HTTP (`git http-backend` behind a
// node:http CGI bridge, optional Basic auth), a plain node:http file server, s3rver (S3),
// azurite (Azure Blob), and a small fake GCS that implements ONLY the JSON API object GET
// (`/storage/v1/b/<bucket>/o/<object>?alt=media`), the OAuth2 JWT-bearer token endpoint and the
// metadata server's token path: no GCS emulator installs here. Everything listens on 127.0.0.1 and is closed by the returned stop().
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createPublicKey, createVerify } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { repoRoot } from './build-support.ts';

export interface Server {
  url: string;
  port: number;
  /** Requests seen, as "METHOD path" (query included), and their headers. */
  requests: { line: string; headers: http.IncomingHttpHeaders }[];
  stop(): Promise<void>;
}

export async function listen(handler: http.RequestListener, tls?: { cert: string; key: string }): Promise<Server> {
  const requests: Server['requests'] = [];
  const seen: http.RequestListener = (req, res) => {
    requests.push({ line: `${req.method} ${req.url}`, headers: req.headers });
    handler(req, res);
  };
  const server = tls === undefined ? http.createServer(seen) : https.createServer({ cert: tls.cert, key: tls.key }, seen);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`, port, requests,
    stop: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

export function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'init.defaultBranch=main', '-c', 'protocol.file.allow=always', ...args], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** Smart HTTP for every bare repository under `root`; with `auth`, Basic credentials are required. */
/** `v0`: answer in protocol v0, where only advertised tips may be fetched by id (older servers). */
export async function startGitHttp(root: string, auth?: { username: string; password: string }, tls?: { cert: string; key: string }, o: { v0?: boolean } = {}): Promise<Server> {
  const expected = auth === undefined ? undefined : `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  return await listen((req, res) => {
    if (expected !== undefined && req.headers.authorization !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' });
      res.end('unauthorized');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const child = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH, GIT_PROJECT_ROOT: root, GIT_HTTP_EXPORT_ALL: '1', PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1), REQUEST_METHOD: req.method, CONTENT_TYPE: req.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '', GIT_PROTOCOL: o.v0 === true ? '' : String(req.headers['git-protocol'] ?? ''),
        REMOTE_USER: auth?.username ?? '', REMOTE_ADDR: '127.0.0.1',
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    req.pipe(child.stdin);
    cgiResponse(child, res);
  }, tls);
}

function cgiResponse(child: ChildProcess, res: http.ServerResponse): void {
  let head = Buffer.alloc(0);
  let started = false;
  child.stdout?.on('data', (c: Buffer) => {
    if (started) return void res.write(c);
    head = Buffer.concat([head, c]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    started = true;
    let status = 200;
    for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
      const i = line.indexOf(':');
      const [k, v] = [line.slice(0, i).trim(), line.slice(i + 1).trim()];
      if (k.toLowerCase() === 'status') status = parseInt(v, 10);
      else res.setHeader(k, v);
    }
    res.writeHead(status);
    res.write(head.subarray(end + 4));
  });
  child.on('close', () => res.end());
}

async function waitForPort(port: number, proc: ChildProcess, name: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}`);
    const up = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('connect', () => { s.destroy(); r(true); }).on('error', () => r(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not start on port ${port}`);
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return Promise.resolve();
  return new Promise((r) => {
    proc.once('exit', () => r());
    proc.kill('SIGTERM');
  });
}

/** s3rver on loopback (its fixed credentials: S3RVER / S3RVER), with the bucket created. */
export async function startS3(dir: string, bucket: string): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const port = await freePort();
  const script = `import S3rver from 's3rver';
const s = new S3rver({ address: '127.0.0.1', port: ${port}, silent: true, directory: ${JSON.stringify(dir)}, configureBuckets: [{ name: ${JSON.stringify(bucket)} }] });
await s.run(); process.on('SIGTERM', async () => { await s.close(); process.exit(0); });`;
  const proc = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  await waitForPort(port, proc, 's3rver');
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => stopProcess(proc) };
}

/** azurite's blob service on loopback, its data in `dir`, telemetry off. */
export async function startAzurite(dir: string): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const port = await freePort();
  const bin = path.join(repoRoot, 'node_modules/.bin/azurite-blob');
  const proc = spawn(bin, ['--blobHost', '127.0.0.1', '--blobPort', String(port), '--disableTelemetry', '--skipApiVersionCheck', '--location', dir, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitForPort(port, proc, 'azurite');
  return { endpoint: `http://127.0.0.1:${port}/devstoreaccount1`, stop: () => stopProcess(proc) };
}

/** Azurite's well-known development account (public, documented by Microsoft). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface FakeGcs extends Server {
  /** Tokens the token endpoint handed out. */
  tokens: string[];
}

/**
 * A fake of the GCS calls Kiln makes (nothing else is implemented): the JSON API object GET
 * with alt=media, the OAuth2 JWT-bearer token exchange, whose RS256 assertion is verified with
 * `publicKeyPem`, and the metadata token path. With `requireToken`, object GETs need a token it issued.
 */
export async function startFakeGcs(objects: Map<string, Buffer>, o: { publicKeyPem?: string; requireToken?: boolean } = {}): Promise<FakeGcs> {
  const tokens: string[] = [];
  const server = await listen((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'POST' && url.pathname === '/token') return void tokenExchange(req, res, { publicKeyPem: o.publicKeyPem, tokens });
    if (url.pathname === '/computeMetadata/v1/instance/service-accounts/default/token' && req.headers['metadata-flavor'] === 'Google') {
      const token = `meta-${tokens.length + 1}`;
      tokens.push(token);
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ access_token: token, expires_in: 3599, token_type: 'Bearer' }));
    }
    const m = /^\/(?:download\/)?storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(url.pathname);
    if (req.method !== 'GET' || m === null || url.searchParams.get('alt') !== 'media') {
      res.writeHead(501);
      return void res.end('not implemented by the fake');
    }
    if (o.requireToken === true && !tokens.some((t) => req.headers.authorization === `Bearer ${t}`)) {
      res.writeHead(401, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ error: { code: 401, message: 'Anonymous caller does not have storage.objects.get access' } }));
    }
    const body = objects.get(`${m[1]}/${decodeURIComponent(m[2] as string)}`);
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ error: { code: 404, message: 'No such object' } }));
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  });
  return Object.assign(server, { tokens });
}

function tokenExchange(req: http.IncomingMessage, res: http.ServerResponse, o: { publicKeyPem: string | undefined; tokens: string[] }): void {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    const form = new URLSearchParams(body);
    const jwt = form.get('assertion') ?? '';
    const [h = '', p = '', sig = ''] = jwt.split('.');
    const ok = form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:jwt-bearer' && o.publicKeyPem !== undefined &&
      createVerify('RSA-SHA256').update(`${h}.${p}`).verify(createPublicKey(o.publicKeyPem), Buffer.from(sig, 'base64url'));
    const claims = ok ? (JSON.parse(Buffer.from(p, 'base64url').toString()) as { scope?: string; exp?: number; iat?: number }) : {};
    if (!ok || claims.scope?.includes('devstorage') !== true || (claims.exp ?? 0) - (claims.iat ?? 0) > 3600) {
      res.writeHead(400, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ error: 'invalid_grant' }));
    }
    const token = `tok-${o.tokens.length + 1}`;
    o.tokens.push(token);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 3600 }));
  });
}
