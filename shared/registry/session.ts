// One registry session per client: ping (scheme and challenge, memoised per registry and
// direction), Authorization headers (Basic, or Bearer tokens cached per scope and refreshed
// on 401), redirects (Authorization dropped when the host changes) and error mapping.
import type { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import { isKilnError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { type Challenge, parseChallenges, pickChallenge } from './challenge.ts';
import { networkError, readDiagnostics, type RegistryHttpError, statusError } from './http-error.ts';
import type { Keychain } from './keychain.ts';
import type { Clock } from './retry.ts';
import { createAuthorizer } from './auth.ts';
import type { Direction, Transport } from './transport.ts';

export interface SessionDeps {
  transport: Transport;
  keychain: Keychain;
  logger: Logger;
  clock: Clock;
  userAgent: string;
}

export interface RegistryRequest {
  registry: string;
  /** The repository whose credentials apply. */
  repository: string;
  direction: Direction;
  /** Token scopes: `repository:a/b:pull`, `repository:a/b:pull,push`. */
  scopes: string[];
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** `/v2/…`, or an absolute URL (an upload Location). */
  path: string;
  headers?: Record<string, string>;
  /** Called once per send (a 401 retry sends again), so it must return fresh bodies. */
  body?: () => Buffer | Readable | string | Promise<Buffer | Readable | string>;
  /** Statuses that are success; anything else throws. */
  ok: number[];
  followRedirects?: boolean;
}

export interface RegistryResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
  /** The final URL (after redirects). */
  url: string;
}

export interface Session {
  send(req: RegistryRequest): Promise<RegistryResponse>;
  /** `https://host` or `http://host`, as the ping decided. */
  origin(registry: string, direction: Direction): Promise<string>;
}

interface Ping {
  origin: string;
  challenge: Challenge | undefined;
}

export function header(res: { headers: RegistryResponse['headers'] }, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function createSession(deps: SessionDeps): Session {
  const pings = new Map<string, Promise<Ping>>();

  const ping = (registry: string, direction: Direction): Promise<Ping> => {
    const key = `${direction}|${registry}`;
    let p = pings.get(key);
    if (p === undefined) {
      p = doPing(registry, direction, deps);
      p.catch(() => pings.delete(key));
      pings.set(key, p);
    }
    return p;
  };

  const authorization = createAuthorizer(deps);

  return {
    origin: async (registry, direction) => (await ping(registry, direction)).origin,
    async send(req) {
      const p = await ping(req.registry, req.direction);
      let auth = await authorization(req, p.challenge);
      let res = await sendFollowing(req, p.origin, auth, deps);
      const again = res.status === 401 ? pickChallenge(parseChallenges(header(res, 'www-authenticate'))) : undefined;
      const base = p.challenge ?? again;
      if (p.challenge === undefined && again !== undefined) {
        // /v2/ was open but this repository is not: remember the challenge for later requests
        pings.set(`${req.direction}|${req.registry}`, Promise.resolve({ ...p, challenge: again }));
      }
      if (res.status === 401 && base !== undefined) {
        await res.body.dump();
        const extra = again?.params['scope']?.split(' ').filter((s) => s !== '') ?? [];
        const retry = { ...req, scopes: [...req.scopes, ...extra] };
        const merged = again?.scheme === base.scheme ? { ...base, params: { ...base.params, ...again.params } } : base;
        auth = await authorization(retry, merged, auth ?? '');
        res = await sendFollowing(retry, p.origin, auth, deps);
      }
      if (req.ok.includes(res.status)) return res;
      throw await errorOf(res, req);
    },
  };
}

async function errorOf(res: RegistryResponse, req: RegistryRequest): Promise<RegistryHttpError> {
  const { diagnostics } = req.method === 'HEAD' ? { diagnostics: [] } : await readDiagnostics(res.body);
  if (req.method === 'HEAD') await res.body.dump();
  const retryAfter = header(res, 'retry-after');
  return statusError({ registry: req.registry, method: req.method, url: stripQuery(res.url), status: res.status, diagnostics, ...(retryAfter !== undefined ? { retryAfter } : {}) });
}

/** Upload URLs carry state in the query (`_state=`); error messages do not need it. */
export function stripQuery(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

async function sendFollowing(req: RegistryRequest, origin: string, auth: string | undefined, deps: SessionDeps): Promise<RegistryResponse> {
  let url = new URL(req.path, origin);
  const firstOrigin = url.origin;
  for (let hops = 0; ; hops++) {
    const headers: Record<string, string> = { 'user-agent': deps.userAgent, ...req.headers };
    if (auth !== undefined && url.origin === firstOrigin) headers['authorization'] = auth;
    const body = hops === 0 && req.body !== undefined ? await req.body() : undefined;
    const dispatcher = await deps.transport.dispatcher(url.host, req.direction);
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, { method: req.method, headers, dispatcher, ...(body !== undefined ? { body } : {}) });
    } catch (cause) {
      if (isKilnError(cause)) throw cause; // the request body failed (a layer that does not match its digest)
      throw networkError(cause, { registry: req.registry, method: req.method, url: stripQuery(url.href) });
    }
    const location = header({ headers: res.headers }, 'location');
    const redirect = [301, 302, 303, 307, 308].includes(res.statusCode) && location !== undefined;
    if (!redirect || req.followRedirects !== true || hops >= 5) {
      return { status: res.statusCode, headers: res.headers, body: res.body, url: url.href };
    }
    await res.body.dump();
    url = new URL(location, url);
    deps.logger.debug(`${req.method} redirected to ${url.host}`);
  }
}

async function doPing(registry: string, direction: Direction, deps: SessionDeps): Promise<Ping> {
  const errors: unknown[] = [];
  for (const scheme of deps.transport.schemes(registry, direction)) {
    const url = `${scheme}://${registry}/v2/`;
    const dispatcher = await deps.transport.dispatcher(registry, direction); // bad cert files fail here, not as network errors
    try {
      const res = await request(url, { method: 'GET', headers: { 'user-agent': deps.userAgent }, dispatcher });
      const challenge = pickChallenge(parseChallenges(header({ headers: res.headers }, 'www-authenticate')));
      await res.body.dump();
      if (res.statusCode === 200 || (res.statusCode === 401 && challenge !== undefined)) {
        if (scheme === 'http') deps.logger.debug(`using plain HTTP for ${registry}`);
        return { origin: `${scheme}://${registry}`, challenge: res.statusCode === 401 ? challenge : undefined };
      }
      errors.push(statusError({ registry, method: 'GET', url, status: res.statusCode, diagnostics: [] }));
    } catch (cause) {
      errors.push(networkError(cause, { registry, method: 'GET', url }));
    }
  }
  throw errors[0];
}
