// The bearer token flow (distribution token spec, and its OAuth2 variant for refresh tokens):
// GET realm?service=…&scope=… with Basic credentials, or POST grant_type=refresh_token.
import { request, type Dispatcher } from 'undici';
import { redactUrl } from '../errors.ts';
import type { Credential } from './docker-config.ts';
import { networkError, readDiagnostics, RegistryHttpError, statusError } from './http-error.ts';

export interface TokenRequest {
  registry: string;
  realm: string;
  service?: string;
  scopes: string[];
  credential: Credential | undefined;
  dispatcher: Dispatcher;
  userAgent: string;
}

export interface Token {
  value: string;
  /** ms since epoch, per the clock passed to fetchToken. */
  expiresAt: number;
}

export async function fetchToken(req: TokenRequest, now: number): Promise<Token> {
  let realm: URL;
  try {
    realm = new URL(req.realm);
  } catch (cause) {
    throw new RegistryHttpError('E_REGISTRY_AUTH', `authenticating to ${req.registry}: its token realm "${redactUrl(req.realm)}" is not a URL`, { cause, permanent: true });
  }
  const cred = req.credential;
  const refresh = cred !== undefined && 'identityToken' in cred ? cred.identityToken : undefined;
  let res = refresh === undefined ? await getToken(realm, req) : await postToken(realm, refresh, req);
  if (refresh !== undefined && (res.statusCode === 404 || res.statusCode === 405)) {
    // no OAuth2 endpoint: send the identity token as a Basic password (docker/distribution does)
    await res.body.dump();
    const username = cred !== undefined && 'username' in cred && cred.username ? cred.username : '<token>';
    res = await getToken(realm, { ...req, credential: { username, password: refresh } });
  }
  const what = `fetching a token for ${req.registry} from ${redactUrl(realm.origin + realm.pathname)}`;
  if (res.statusCode !== 200) {
    const { diagnostics } = await readDiagnostics(res.body);
    const err = statusError({ registry: req.registry, method: res.method, url: realm.origin + realm.pathname, status: res.statusCode, diagnostics });
    const code = res.statusCode === 401 || res.statusCode === 403 ? 'E_REGISTRY_AUTH' : err.code;
    throw new RegistryHttpError(code, `${what}: status ${res.statusCode}`, {
      status: res.statusCode,
      method: res.method,
      url: realm.origin + realm.pathname,
      diagnostics,
      ...(err.hint !== undefined ? { hint: err.hint } : {}),
    });
  }
  let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
  try {
    body = (await res.body.json()) as typeof body;
  } catch (cause) {
    throw new RegistryHttpError('E_REGISTRY_AUTH', `${what}: the answer is not JSON`, { cause, permanent: true });
  }
  const value = typeof body.token === 'string' && body.token !== '' ? body.token : body.access_token;
  if (typeof value !== 'string' || value === '') {
    throw new RegistryHttpError('E_REGISTRY_AUTH', `${what}: the answer has no token`, { permanent: true });
  }
  const ttl = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
  // refresh 10 % early so that a long upload does not start with a token about to expire
  return { value, expiresAt: now + ttl * 900 };
}

interface Answer {
  statusCode: number;
  body: Dispatcher.ResponseData['body'];
  method: string;
}

async function getToken(realm: URL, req: TokenRequest): Promise<Answer> {
  const url = new URL(realm);
  if (req.service !== undefined) url.searchParams.set('service', req.service);
  for (const s of req.scopes) url.searchParams.append('scope', s);
  const headers: Record<string, string> = { 'user-agent': req.userAgent };
  const cred = req.credential;
  if (cred !== undefined && 'password' in cred) {
    url.searchParams.set('account', cred.username);
    headers['authorization'] = `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
  }
  return send(url, { method: 'GET', headers }, req);
}

async function postToken(realm: URL, refresh: string, req: TokenRequest): Promise<Answer> {
  const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refresh, client_id: 'kiln' });
  if (req.service !== undefined) form.set('service', req.service);
  if (req.scopes.length > 0) form.set('scope', req.scopes.join(' '));
  const headers = { 'user-agent': req.userAgent, 'content-type': 'application/x-www-form-urlencoded' };
  return send(realm, { method: 'POST', headers, body: form.toString() }, req);
}

async function send(url: URL, init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string }, req: TokenRequest): Promise<Answer> {
  try {
    const res = await request(url, { ...init, dispatcher: req.dispatcher });
    return { statusCode: res.statusCode, body: res.body, method: init.method };
  } catch (cause) {
    throw networkError(cause, { registry: req.registry, method: init.method, url: url.origin + url.pathname });
  }
}
