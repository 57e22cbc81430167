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
  | { scheme: 'bearer'; users: Record<string, string>; challenge?: (realm: string, scope: string) => string; anonymous?: boolean; refreshTokens?: string[] };

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

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export async function startFakeRegistry(options: { auth?: FakeAuth; redirectBlobsTo?: string } = {}): Promise<FakeRegistry> {
  const content = new Map<string, Buffer>();
  const repoBlobs = new Map<string, Set<string>>();
  const manifests = new Map<string, { body: Buffer; mediaType: string }>();
  const uploads = new Map<string, Buffer[]>();
  const faults: Fault[] = [];
  const tokens = new Map<string, string[]>();
  const requests: RequestRecord[] = [];
  const tokenRequests: FakeRegistry['tokenRequests'] = [];
  const state = { lie: undefined as string | undefined, host: '' };
  const link = (repo: string, d: string): void => {
    let set = repoBlobs.get(repo);
    if (!set) repoBlobs.set(repo, (set = new Set()));
    set.add(d);
  };
  const putManifest = (repo: string, ref: string, body: Buffer, mediaType: string): string => {
    const d = sha(body);
    manifests.set(`${repo}@${d}`, { body, mediaType });
    manifests.set(`${repo}:${ref}`, { body, mediaType });
    return d;
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });

  function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const url = new URL(req.url ?? '/', `http://${state.host}`);
    const method = req.method ?? 'GET';
    requests.push({ method, path: url.pathname + url.search, headers: req.headers });
    const fault = faults.find((f) => (f.times ?? 1) > 0 && (f.match?.(method, url.pathname) ?? true));
    if (fault !== undefined) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.reset === true) return void req.socket.destroy();
      if (fault.cutAfter === undefined) {
        res.writeHead(fault.status ?? 500, fault.headers).end(fault.body ?? '');
        return;
      }
      return void serve(req, res, { method, url, body, cutAfter: fault.cutAfter });
    }
    serve(req, res, { method, url, body });
  }

  function serve(req: IncomingMessage, res: ServerResponse, r: { method: string; url: URL; body: Buffer; cutAfter?: number }): void {
    const send = (status: number, headers: Record<string, string | number>, payload: Buffer = Buffer.alloc(0)): void => {
      if (r.cutAfter !== undefined) {
        res.writeHead(status, { ...headers, 'content-length': payload.length });
        res.write(payload.subarray(0, r.cutAfter), () => req.socket.destroy());
        return;
      }
      res.writeHead(status, headers).end(r.method === 'HEAD' ? undefined : payload);
    };
    const error = (status: number, code: string, headers: Record<string, string> = {}): void =>
      send(status, { 'content-type': 'application/json', ...headers }, Buffer.from(JSON.stringify({ errors: [{ code, message: code.toLowerCase().replace(/_/g, ' ') }] })));
    const p = r.url.pathname;
    if (p === '/token') return void token(req, { url: r.url, body: r.body }, send);
    const scopeRepo = /^\/v2\/(.+?)\/(?:manifests|blobs)\//.exec(p)?.[1];
    const action = r.method === 'GET' || r.method === 'HEAD' ? 'pull' : 'push';
    const challenge = authorize(req, scopeRepo, action);
    if (challenge !== undefined) return error(401, 'UNAUTHORIZED', { 'www-authenticate': challenge });
    if (p === '/v2/' || p === '/v2') return send(200, { 'docker-distribution-api-version': 'registry/2.0' });
    let m = /^\/v2\/(.+)\/blobs\/uploads\/(.*)$/.exec(p);
    if (m) return upload({ repo: m[1]!, id: m[2]!, ...r }, send, error);
    m = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]{64})$/.exec(p);
    if (m) {
      const [, repo, d] = m as unknown as [string, string, string];
      const data = content.get(d);
      if (!repoBlobs.get(repo)?.has(d) || !data) return error(404, 'BLOB_UNKNOWN');
      if (options.redirectBlobsTo !== undefined && r.method === 'GET' && !r.url.searchParams.has('redirected')) {
        return send(307, { location: `${options.redirectBlobsTo}${p}?redirected=1` });
      }
      const range = /^bytes=(\d+)-$/.exec(String(req.headers['range'] ?? ''));
      if (range) {
        const start = Number(range[1]);
        return send(206, { 'content-range': `bytes ${start}-${data.length - 1}/${data.length}`, 'docker-content-digest': d }, data.subarray(start));
      }
      return send(200, { 'content-type': 'application/octet-stream', 'docker-content-digest': d, 'content-length': data.length }, data);
    }
    m = /^\/v2\/(.+)\/manifests\/(.+)$/.exec(p);
    if (m) {
      const [, repo, ref] = m as unknown as [string, string, string];
      const key = ref.startsWith('sha256:') ? `${repo}@${ref}` : `${repo}:${ref}`;
      if (r.method === 'PUT') {
        const mt = String(req.headers['content-type'] ?? '');
        const d = putManifest(repo, ref, r.body, mt);
        return send(201, { 'docker-content-digest': d, location: `/v2/${repo}/manifests/${d}` });
      }
      const found = manifests.get(key);
      if (!found) return error(404, 'MANIFEST_UNKNOWN');
      const d = state.lie ?? sha(found.body);
      return send(200, { 'content-type': found.mediaType, 'docker-content-digest': d, 'content-length': found.body.length }, found.body);
    }
    error(404, 'NAME_UNKNOWN');
  }

  type Send = (status: number, headers: Record<string, string | number>, payload?: Buffer) => void;
  type Err = (status: number, code: string) => void;

  function upload(u: { repo: string; id: string; method: string; url: URL; body: Buffer }, send: Send, error: Err): void {
    const loc = (id: string): string => `/v2/${u.repo}/blobs/uploads/${id}`;
    if (u.method === 'POST') {
      const mount = u.url.searchParams.get('mount');
      const from = u.url.searchParams.get('from');
      if (mount && from && repoBlobs.get(from)?.has(mount)) {
        link(u.repo, mount);
        return send(201, { location: `/v2/${u.repo}/blobs/${mount}`, 'docker-content-digest': mount });
      }
      const id = randomUUID();
      uploads.set(id, []);
      return send(202, { location: loc(id), range: '0-0', 'docker-upload-uuid': id });
    }
    const parts = uploads.get(u.id);
    if (!parts) return error(404, 'BLOB_UPLOAD_UNKNOWN');
    if (u.method === 'DELETE') return void (uploads.delete(u.id), send(204, {}));
    if (u.body.length > 0) parts.push(u.body);
    const size = parts.reduce((n, b) => n + b.length, 0);
    if (u.method === 'PATCH') return send(202, { location: loc(u.id), range: `0-${Math.max(0, size - 1)}` });
    const want = u.url.searchParams.get('digest');
    const data = Buffer.concat(parts);
    if (want !== sha(data)) return error(400, 'DIGEST_INVALID');
    content.set(want, data);
    link(u.repo, want);
    uploads.delete(u.id);
    send(201, { location: `/v2/${u.repo}/blobs/${want}`, 'docker-content-digest': want });
  }

  function authorize(req: IncomingMessage, repo: string | undefined, action: string): string | undefined {
    const auth = options.auth;
    if (auth === undefined) return undefined;
    const given = String(req.headers['authorization'] ?? '');
    if (auth.scheme === 'basic') {
      const [user, pass] = Buffer.from(given.replace(/^Basic /, ''), 'base64').toString().split(':');
      return given.startsWith('Basic ') && user !== undefined && auth.users[user] === pass ? undefined : 'Basic realm="fake"';
    }
    const scope = repo === undefined ? '' : `repository:${repo}:${action}`;
    const granted = tokens.get(given.replace(/^Bearer /, ''));
    const ok = given.startsWith('Bearer ') && granted !== undefined && (repo === undefined || granted.some((s) => s.startsWith(`repository:${repo}:`) && s.includes(action)));
    if (ok) return undefined;
    const realm = `http://${state.host}/token`;
    return auth.challenge?.(realm, scope) ?? `Bearer realm="${realm}",service="fake"${scope ? `,scope="${scope}"` : ''}`;
  }

  function token(req: IncomingMessage, r: { url: URL; body: Buffer }, send: Send): void {
    const auth = options.auth;
    const url = r.url;
    if (req.method === 'POST') {
      const form = new URLSearchParams(r.body.toString());
      const scopes = (form.get('scope') ?? '').split(' ').filter((x) => x !== '');
      tokenRequests.push({ scopes, method: 'POST' });
      const ok = form.get('grant_type') === 'refresh_token' && auth?.scheme === 'bearer' && (auth.refreshTokens ?? []).includes(form.get('refresh_token') ?? '');
      if (!ok) return send(401, {}, Buffer.from('{"error":"invalid_grant"}'));
      const t = randomUUID();
      tokens.set(t, scopes);
      return send(200, { 'content-type': 'application/json' }, Buffer.from(JSON.stringify({ access_token: t, expires_in: 300 })));
    }
    const given = String(req.headers['authorization'] ?? '');
    const [user, pass] = Buffer.from(given.replace(/^Basic /, ''), 'base64').toString().split(':');
    const scopes = url.searchParams.getAll('scope');
    tokenRequests.push({ ...(given ? { user } : {}), scopes, method: req.method ?? 'GET' });
    if (given && (user === undefined || auth?.users[user] !== pass)) return send(401, {}, Buffer.from('{"details":"bad credentials"}'));
    if (!given && auth?.scheme === 'bearer' && auth.anonymous !== true) return send(401, {}, Buffer.from('{}'));
    const t = randomUUID();
    tokens.set(t, scopes);
    send(200, { 'content-type': 'application/json' }, Buffer.from(JSON.stringify({ token: t, expires_in: 300 })));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    get host() {
      return state.host;
    },
    requests,
    tokenRequests,
    putBlob(repo, data) {
      const d = sha(data);
      content.set(d, data);
      link(repo, d);
      return d;
    },
    putManifest,
    hasBlob: (repo, d) => repoBlobs.get(repo)?.has(d) === true,
    manifest: (repo, ref) => manifests.get(ref.startsWith('sha256:') ? `${repo}@${ref}` : `${repo}:${ref}`),
    inject: (f) => void faults.push(f),
    lieAboutDigest: (d) => void (state.lie = d),
    revokeTokens: () => tokens.clear(),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
