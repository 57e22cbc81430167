// A small bearer-token issuer for distribution's `auth.token` (the Docker token spec), using
// node:crypto only. It checks Basic credentials on the realm GET (or the OAuth2 POST form:
// grant_type=password|refresh_token) and signs an RS256 JWT whose `x5c` header carries the
// certificate in the registry's rootcertbundle, with `access` claims for the requested scopes:
// known users get every action they ask for; anonymous users get pull on `public/*`, else nothing.
import { createPrivateKey, createSign, randomUUID, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface TokenServerOptions {
  /** username → password of users granted every requested action. */
  users: Record<string, string>;
  issuer: string;
  service: string;
  /** PEM certificate and key that sign tokens (the registry's rootcertbundle). */
  signer: { certFile: string; keyFile: string };
  /** Serve HTTPS with this certificate (default: plain HTTP). */
  tls?: { certFile: string; keyFile: string };
  /** Repositories under this prefix can be pulled anonymously (default 'public/'). */
  publicPrefix?: string;
  /** Token lifetime in seconds (default 300). */
  ttlSeconds?: number;
}

export interface Access {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenRequestRecord {
  user: string | undefined;
  scopes: string[];
  status: number;
}

export interface TokenServer {
  /** The realm URL to put in the registry's config. */
  realm: string;
  /** Every realm request so far (for tests that count token fetches). */
  requests(): TokenRequestRecord[];
  stop(): Promise<void>;
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** Parse `repository:kiln/busybox:pull,push` (the name may itself contain ':'). */
export function parseScope(scope: string): Access | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) return undefined;
  const actions = scope.slice(last + 1).split(',').filter((a) => a !== '');
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions };
}

interface Signer {
  key: KeyObject;
  x5c: string;
}

export function signToken(signer: Signer, claims: Record<string, unknown>): string {
  const header = { alg: 'RS256', typ: 'JWT', x5c: [signer.x5c] };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const sig = createSign('RSA-SHA256').update(input).sign(signer.key);
  return `${input}.${b64url(sig)}`;
}

function basicUser(req: IncomingMessage, users: Record<string, string>): string | undefined | null {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Basic\s+(\S+)$/i.exec(h);
  if (!m?.[1]) return null;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const i = text.indexOf(':');
  const user = text.slice(0, i);
  return i > 0 && Object.hasOwn(users, user) && users[user] === text.slice(i + 1) ? user : null;
}

function grant(access: Access, user: string | undefined, publicPrefix: string): Access {
  if (user !== undefined) return access;
  const pullable = access.type === 'repository' && access.name.startsWith(publicPrefix);
  return { ...access, actions: pullable ? access.actions.filter((a) => a === 'pull') : [] };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Credentials and parameters of a realm request: GET with Basic auth, or the OAuth2 POST form. */
interface RealmRequest {
  /** undefined: anonymous; null: wrong credentials. */
  user: string | undefined | null;
  scopes: string[];
  service: string | null;
  /** A refresh token was asked for (POST with access_type=offline, or grant_type=refresh_token). */
  offline: boolean;
}

async function readRealmRequest(req: IncomingMessage, url: URL, users: Record<string, string>, refresh: Map<string, string>): Promise<RealmRequest> {
  const scopesOf = (p: URLSearchParams): string[] => p.getAll('scope').flatMap((s) => s.split(' ')).filter((s) => s !== '');
  if (req.method !== 'POST') {
    return { user: basicUser(req, users), scopes: scopesOf(url.searchParams), service: url.searchParams.get('service'), offline: false };
  }
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  const grant = form.get('grant_type');
  let user: string | null = null;
  if (grant === 'password') {
    const name = form.get('username') ?? '';
    user = Object.hasOwn(users, name) && users[name] === form.get('password') ? name : null;
  } else if (grant === 'refresh_token') {
    user = refresh.get(form.get('refresh_token') ?? '') ?? null;
  }
  return { user, scopes: scopesOf(form), service: form.get('service'), offline: grant === 'refresh_token' || form.get('access_type') === 'offline' };
}

export async function startTokenServer(opts: TokenServerOptions): Promise<TokenServer> {
  const signer: Signer = {
    key: createPrivateKey(readFileSync(opts.signer.keyFile)),
    x5c: new X509Certificate(readFileSync(opts.signer.certFile)).raw.toString('base64'),
  };
  const log: TokenRequestRecord[] = [];
  const refresh = new Map<string, string>();
  const ttl = opts.ttlSeconds ?? 300;
  const issue = (r: RealmRequest & { user: string | undefined }): Record<string, unknown> => {
    const access = r.scopes
      .map(parseScope)
      .filter((a): a is Access => a !== undefined)
      .map((a) => grant(a, r.user, opts.publicPrefix ?? 'public/'));
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: opts.issuer, sub: r.user ?? '', aud: r.service ?? opts.service, exp: now + ttl, nbf: now - 10, iat: now, jti: randomUUID(), access };
    const token = signToken(signer, claims);
    const body: Record<string, unknown> = { token, access_token: token, expires_in: ttl, issued_at: new Date(now * 1000).toISOString() };
    if (r.offline && r.user !== undefined) {
      const rt = randomUUID();
      refresh.set(rt, r.user);
      body['refresh_token'] = rt;
    }
    return body;
  };
  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://token');
    const r = await readRealmRequest(req, url, opts.users, refresh);
    if (r.user === null || url.pathname !== '/token') {
      const status = r.user === null ? 401 : 404;
      log.push({ user: undefined, scopes: r.scopes, status });
      send(res, status, { errors: [{ code: 'UNAUTHORIZED', message: 'invalid credentials' }] });
      return;
    }
    log.push({ user: r.user, scopes: r.scopes, status: 200 });
    send(res, 200, issue({ ...r, user: r.user }));
  };
  const listener = (q: IncomingMessage, s: ServerResponse): void => {
    handler(q, s).catch(() => s.destroy());
  };
  const server = opts.tls
    ? createHttpsServer({ cert: readFileSync(opts.tls.certFile), key: readFileSync(opts.tls.keyFile) }, listener)
    : createHttpServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}/token`,
    requests: () => [...log],
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
