// Authorization headers for registry requests: Basic from the keychain's credentials, or a
// Bearer token fetched from the challenge's realm for the request's scopes, cached per
// registry and scope set on the authorizer (one per client) until it expires or a 401
// asks for a fresh one.
import type { Challenge } from './challenge.ts';
import type { RegistryRequest, SessionDeps } from './session.ts';
import { fetchToken, type Token } from './token.ts';

export type Authorizer = (req: RegistryRequest, challenge: Challenge | undefined, fresh: boolean) => Promise<string | undefined>;

export function createAuthorizer(deps: SessionDeps): Authorizer {
  const tokens = new Map<string, Token>();
  return async (req, challenge, fresh) => {
    if (challenge === undefined) return undefined;
    const cred = await deps.keychain.resolve(req.registry, req.repository);
    if (challenge.scheme === 'basic') {
      return cred !== undefined && 'password' in cred ? `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}` : undefined;
    }
    if (cred !== undefined && 'registryToken' in cred) return `Bearer ${cred.registryToken}`;
    const scopes = [...new Set(req.scopes)].sort();
    const key = `${req.registry}|${scopes.join(' ')}`;
    const cached = tokens.get(key);
    if (!fresh && cached !== undefined && cached.expiresAt > deps.clock.now()) return `Bearer ${cached.value}`;
    const realm = challenge.params['realm'] ?? '';
    const realmHost = URL.canParse(realm) ? new URL(realm).host : req.registry;
    const service = challenge.params['service'];
    const token = await fetchToken(
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
    );
    tokens.set(key, token);
    return `Bearer ${token.value}`;
  };
}
