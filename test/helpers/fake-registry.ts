// A small in-memory distribution-spec registry on 127.0.0.1:0 (ggcr pkg/registry, undici's
// port-0 test servers), for what a real registry cannot be made to do: wrong
// Docker-Content-Digest, bad sizes, odd 401 challenges, 429/503 then success, redirects.
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Fault {
  /** Which requests it applies to (default: every request). */
  match?: (method: string, path: string) => boolean;
  /** How many matching requests it hits (default 1). */
  times?: number;
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Destroy the socket instead of answering. */
  reset?: boolean;
  /** Answer normally but destroy the socket after this many body bytes. */
  cutAfter?: number;
}

export type FakeAuth =
  | { scheme: 'basic'; users: Record<string, string> }
  | {
      scheme: 'bearer';
      users: Record<string, string>;
      /** The WWW-Authenticate value to send (default: a well-formed Bearer challenge). */
      challenge?: (realm: string, scope: string) => string;
      /** Issue tokens without credentials. */
      anonymous?: boolean;
      /** Refresh tokens accepted by the OAuth2 POST; without it, POST /token answers 404. */
      refreshTokens?: string[];
    };

export interface RequestRecord {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
}

export interface FakeRegistry {
  readonly host: string;
  readonly requests: RequestRecord[];
  readonly tokenRequests: { user?: string; scopes: string[]; method: string }[];
  putBlob(repo: string, data: Buffer): string;
  putManifest(repo: string, ref: string, body: Buffer, mediaType: string): string;
  hasBlob(repo: string, digest: string): boolean;
  manifest(repo: string, ref: string): { body: Buffer; mediaType: string } | undefined;
  inject(fault: Fault): void;
  /** Override Docker-Content-Digest on manifest answers. */
  lieAboutDigest(digest: string | undefined): void;
  /** Invalidate every token issued so far (as if they expired). */
  revokeTokens(): void;
  close(): Promise<void>;
}

export interface FakeRegistryOptions {
  auth?: FakeAuth;
  /** Answer blob GETs with a 307 to this origin (another fake registry holding the blobs). */
  redirectBlobsTo?: string;
  /** Answer GET /v2/ with 200 even when auth is set (some registries only guard repositories). */
  openPing?: boolean;
}

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

interface State {
  options: FakeRegistryOptions;
  host: string;
  lie?: string;
  content: Map<string, Buffer>;
  repoBlobs: Map<string, Set<string>>;
  manifests: Map<string, { body: Buffer; mediaType: string }>;
  uploads: Map<string, Buffer[]>;
  faults: Fault[];
  tokens: Map<string, string[]>;
  requests: RequestRecord[];
  tokenRequests: FakeRegistry['tokenRequests'];
}

interface Call {
  req: IncomingMessage;
  method: string;
  url: URL;
  body: Buffer;
  send: (status: number, headers: Record<string, string | number>, payload?: Buffer) => void;
  error: (status: number, code: string, headers?: Record<string, string>) => void;
}

function link(st: State, repo: string, d: string): void {
  let set = st.repoBlobs.get(repo);
  if (!set) st.repoBlobs.set(repo, (set = new Set()));
  set.add(d);
}

function putManifest(st: State, repo: string, ref: string, body: Buffer, mediaType: string): string {
  const d = sha(body);
  st.manifests.set(`${repo}@${d}`, { body, mediaType });
  st.manifests.set(`${repo}:${ref}`, { body, mediaType });
  return d;
}

function manifestKey(repo: string, ref: string): string {
  return ref.startsWith('sha256:') ? `${repo}@${ref}` : `${repo}:${ref}`;
}

function makeCall(req: IncomingMessage, res: ServerResponse, body: Buffer, st: State, cutAfter?: number): Call {
  const method = req.method ?? 'GET';
  const send: Call['send'] = (status, headers, payload = Buffer.alloc(0)) => {
    if (cutAfter === undefined) return void res.writeHead(status, headers).end(method === 'HEAD' ? undefined : payload);
    res.writeHead(status, { ...headers, 'content-length': payload.length });
    res.write(payload.subarray(0, cutAfter), () => req.socket.destroy());
  };
  const error: Call['error'] = (status, code, headers = {}) =>
    send(status, { 'content-type': 'application/json', ...headers }, Buffer.from(JSON.stringify({ errors: [{ code, message: code.toLowerCase().replace(/_/g, ' ') }] })));
  return { req, method, url: new URL(req.url ?? '/', `http://${st.host}`), body, send, error };
}

function handle(st: State, req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const method = req.method ?? 'GET';
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  st.requests.push({ method, path: req.url ?? '/', headers: req.headers });
  const fault = st.faults.find((f) => (f.times ?? 1) > 0 && (f.match?.(method, path) ?? true));
  if (fault !== undefined) {
    fault.times = (fault.times ?? 1) - 1;
    if (fault.reset === true) return void req.socket.destroy();
    if (fault.cutAfter === undefined) return void res.writeHead(fault.status ?? 500, fault.headers).end(fault.body ?? '');
  }
  route(st, makeCall(req, res, body, st, fault?.cutAfter));
}

function route(st: State, c: Call): void {
  const p = c.url.pathname;
  if (p === '/token') return token(st, c);
  if ((p === '/v2/' || p === '/v2') && st.options.openPing === true) return c.send(200, {});
  const scopeRepo = /^\/v2\/(.+?)\/(?:manifests|blobs)\//.exec(p)?.[1];
  const challenge = authorize(st, c.req, { repo: scopeRepo, action: c.method === 'GET' || c.method === 'HEAD' ? 'pull' : 'push' });
  if (challenge !== undefined) return c.error(401, 'UNAUTHORIZED', { 'www-authenticate': challenge });
  if (p === '/v2/' || p === '/v2') return c.send(200, { 'docker-distribution-api-version': 'registry/2.0' });
  let m = /^\/v2\/(.+)\/blobs\/uploads\/(.*)$/.exec(p);
  if (m) return upload(st, c, { repo: m[1]!, id: m[2]! });
  m = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]{64})$/.exec(p);
  if (m) return blob(st, c, { repo: m[1]!, digest: m[2]! });
  m = /^\/v2\/(.+)\/manifests\/(.+)$/.exec(p);
  if (m) return manifest(st, c, { repo: m[1]!, ref: m[2]! });
  c.error(404, 'NAME_UNKNOWN');
}

function blob(st: State, c: Call, b: { repo: string; digest: string }): void {
  const data = st.content.get(b.digest);
  if (!st.repoBlobs.get(b.repo)?.has(b.digest) || !data) return c.error(404, 'BLOB_UNKNOWN');
  if (st.options.redirectBlobsTo !== undefined && c.method === 'GET' && !c.url.searchParams.has('redirected')) {
    return c.send(307, { location: `${st.options.redirectBlobsTo}${c.url.pathname}?redirected=1` });
  }
  const range = /^bytes=(\d+)-$/.exec(String(c.req.headers['range'] ?? ''));
  if (range) {
    const start = Number(range[1]);
    return c.send(206, { 'content-range': `bytes ${start}-${data.length - 1}/${data.length}`, 'docker-content-digest': b.digest }, data.subarray(start));
  }
  c.send(200, { 'content-type': 'application/octet-stream', 'docker-content-digest': b.digest, 'content-length': data.length }, data);
}

function manifest(st: State, c: Call, m: { repo: string; ref: string }): void {
  if (c.method === 'PUT') {
    const d = putManifest(st, m.repo, m.ref, c.body, String(c.req.headers['content-type'] ?? ''));
    return c.send(201, { 'docker-content-digest': d, location: `/v2/${m.repo}/manifests/${d}` });
  }
  const found = st.manifests.get(manifestKey(m.repo, m.ref));
  if (!found) return c.error(404, 'MANIFEST_UNKNOWN');
  const d = st.lie ?? sha(found.body);
  c.send(200, { 'content-type': found.mediaType, 'docker-content-digest': d, 'content-length': found.body.length }, found.body);
}

function upload(st: State, c: Call, u: { repo: string; id: string }): void {
  const loc = (id: string): string => `/v2/${u.repo}/blobs/uploads/${id}`;
  if (c.method === 'POST') {
    const mount = c.url.searchParams.get('mount');
    const from = c.url.searchParams.get('from');
    if (mount && from && st.repoBlobs.get(from)?.has(mount)) {
      link(st, u.repo, mount);
      return c.send(201, { location: `/v2/${u.repo}/blobs/${mount}`, 'docker-content-digest': mount });
    }
    const id = randomUUID();
    st.uploads.set(id, []);
    return c.send(202, { location: loc(id), range: '0-0', 'docker-upload-uuid': id });
  }
  const parts = st.uploads.get(u.id);
  if (!parts) return c.error(404, 'BLOB_UPLOAD_UNKNOWN');
  if (c.method === 'DELETE') return void (st.uploads.delete(u.id), c.send(204, {}));
  if (c.body.length > 0) parts.push(c.body);
  const size = parts.reduce((n, b) => n + b.length, 0);
  if (c.method === 'PATCH') return c.send(202, { location: loc(u.id), range: `0-${Math.max(0, size - 1)}` });
  const want = c.url.searchParams.get('digest');
  const data = Buffer.concat(parts);
  if (want !== sha(data)) return c.error(400, 'DIGEST_INVALID');
  st.content.set(want, data);
  link(st, u.repo, want);
  st.uploads.delete(u.id);
  c.send(201, { location: `/v2/${u.repo}/blobs/${want}`, 'docker-content-digest': want });
}

function basicUser(header: string): [string | undefined, string | undefined] {
  const [user, pass] = Buffer.from(header.replace(/^Basic /, ''), 'base64').toString().split(':');
  return [user, pass];
}

/** undefined when the request may pass; otherwise the WWW-Authenticate challenge to send. */
function authorize(st: State, req: IncomingMessage, want: { repo: string | undefined; action: string }): string | undefined {
  const auth = st.options.auth;
  if (auth === undefined) return undefined;
  const given = String(req.headers['authorization'] ?? '');
  if (auth.scheme === 'basic') {
    const [user, pass] = basicUser(given);
    return given.startsWith('Basic ') && user !== undefined && auth.users[user] === pass ? undefined : 'Basic realm="fake"';
  }
  const granted = st.tokens.get(given.replace(/^Bearer /, ''));
  const ok = given.startsWith('Bearer ') && granted !== undefined &&
    (want.repo === undefined || granted.some((s) => s.startsWith(`repository:${want.repo}:`) && s.includes(want.action)));
  if (ok) return undefined;
  const scope = want.repo === undefined ? '' : `repository:${want.repo}:${want.action}`;
  const realm = `http://${st.host}/token`;
  return auth.challenge?.(realm, scope) ?? `Bearer realm="${realm}",service="fake"${scope ? `,scope="${scope}"` : ''}`;
}

function issue(st: State, c: Call, scopes: string[], field: 'token' | 'access_token'): void {
  const t = randomUUID();
  st.tokens.set(t, scopes);
  c.send(200, { 'content-type': 'application/json' }, Buffer.from(JSON.stringify({ [field]: t, expires_in: 300 })));
}

function token(st: State, c: Call): void {
  const auth = st.options.auth;
  if (c.method === 'POST' && auth?.scheme === 'bearer' && auth.refreshTokens === undefined) return c.send(404, {});
  if (c.method === 'POST') {
    const form = new URLSearchParams(c.body.toString());
    const scopes = (form.get('scope') ?? '').split(' ').filter((x) => x !== '');
    st.tokenRequests.push({ scopes, method: 'POST' });
    const ok = form.get('grant_type') === 'refresh_token' && auth?.scheme === 'bearer' && (auth.refreshTokens ?? []).includes(form.get('refresh_token') ?? '');
    return ok ? issue(st, c, scopes, 'access_token') : c.send(401, {}, Buffer.from('{"error":"invalid_grant"}'));
  }
  const given = String(c.req.headers['authorization'] ?? '');
  const [user, pass] = basicUser(given);
  const scopes = c.url.searchParams.getAll('scope');
  st.tokenRequests.push({ ...(given ? { user } : {}), scopes, method: 'GET' });
  if (given && (user === undefined || auth?.users[user] !== pass)) return c.send(401, {}, Buffer.from('{"details":"bad credentials"}'));
  if (!given && auth?.scheme === 'bearer' && auth.anonymous !== true) return c.send(401, {}, Buffer.from('{}'));
  issue(st, c, scopes, 'token');
}

export async function startFakeRegistry(options: FakeRegistryOptions = {}): Promise<FakeRegistry> {
  const st: State = {
    options, host: '', content: new Map(), repoBlobs: new Map(), manifests: new Map(), uploads: new Map(),
    faults: [], tokens: new Map(), requests: [], tokenRequests: [],
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(st, req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  st.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host: st.host,
    requests: st.requests,
    tokenRequests: st.tokenRequests,
    putBlob(repo, data) {
      const d = sha(data);
      st.content.set(d, data);
      link(st, repo, d);
      return d;
    },
    putManifest: (repo, ref, body, mediaType) => putManifest(st, repo, ref, body, mediaType),
    hasBlob: (repo, d) => st.repoBlobs.get(repo)?.has(d) === true,
    manifest: (repo, ref) => st.manifests.get(manifestKey(repo, ref)),
    inject: (f) => void st.faults.push(f),
    lieAboutDigest: (d) => void (d === undefined ? delete st.lie : (st.lie = d)),
    revokeTokens: () => st.tokens.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
