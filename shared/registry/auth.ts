// Authorization headers for registry requests: Basic from the keychain's credentials, or a
// Bearer token fetched from the challenge's realm for the request's scopes, cached per
// registry and scope set on the authorizer (one per client) until it expires or a 401
// asks for a fresh one.
import type { Challenge } from './challenge.ts';
import type { RegistryRequest, SessionDeps } from './session.ts';
import { fetchToken, type Token } from './token.ts';

/** `rejected`: the Authorization a 401 just refused; a cached token other than it is reused. */
export type Authorizer = (req: RegistryRequest, challenge: Challenge | undefined, rejected?: string) => Promise<string | undefined>;

export function createAuthorizer(deps: SessionDeps): Authorizer {
  const tokens = new Map<string, Promise<Token>>();
  const authorize: Authorizer = async (req, challenge, rejected) => {
    if (challenge === undefined) return undefined;
    const cred = await deps.keychain.resolve(req.registry, req.repository);
    if (challenge.scheme === 'basic') {
      return cred !== undefined && 'password' in cred ? `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}` : undefined;
    }
    if (cred !== undefined && 'registryToken' in cred) return `Bearer ${cred.registryToken}`;
    const scopes = [...new Set(req.scopes)].sort();
    const key = `${req.registry}|${scopes.join(' ')}`;
    const cached = tokens.get(key);
    // concurrent requests share one fetch; after a 401 only the refused token is replaced
    if (cached !== undefined) {
      const token = await cached; // a failed fetch fails its waiters; later requests fetch anew
      const header = `Bearer ${token.value}`;
      if (header !== rejected && token.expiresAt > deps.clock.now()) return header;
      const current = tokens.get(key);
      if (current !== undefined && current !== cached) return authorize(req, challenge, rejected);
    }
    const realm = challenge.params['realm'] ?? '';
    const realmHost = URL.canParse(realm) ? new URL(realm).host : req.registry;
    const service = challenge.params['service'];
    const entry = (async () =>
      fetchToken(
        {
          registry: req.registry,
          realm,
          ...(service !== undefined ? { service } : {}),
          scopes,
          credential: cred,
          dispatcher: await deps.transport.dispatcher(realmHost, req.direction),
          userAgent: deps.userAgent,
        },
        deps.clock.now(),
      ))();
    tokens.set(key, entry);
    entry.catch(() => tokens.get(key) === entry && tokens.delete(key));
    return `Bearer ${(await entry).value}`;
  };
  return authorize;
}
