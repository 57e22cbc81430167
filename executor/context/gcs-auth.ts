// An OAuth2 access token for gs:// contexts, from what the user set up explicitly:
// GOOGLE_OAUTH_ACCESS_TOKEN (or CLOUDSDK_AUTH_ACCESS_TOKEN); the GOOGLE_APPLICATION_CREDENTIALS
// file, else gcloud's application-default file: a service account (an RS256 JWT signed with
// node:crypto, exchanged at its token_uri) or an authorized user (a refresh token); the
// metadata server only when GCE_METADATA_HOST names it (the opt-in: never probed otherwise).
import { createSign } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KilnError } from '../../shared/errors.ts';
import { httpJson } from './http-get.ts';

export const GCS_READ_SCOPE = 'https://www.googleapis.com/auth/devstorage.read_only';
const WHAT = 'getting a Google Cloud access token';

interface ServiceAccount {
  type: 'service_account';
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
}

interface AuthorizedUser {
  type: 'authorized_user';
  client_id: string;
  client_secret: string;
  refresh_token: string;
  token_uri?: string;
}

/** A token, or undefined when nothing was configured (callers decide whether that is fine). */
export async function gcsAccessToken(env: NodeJS.ProcessEnv, now: () => Date = () => new Date()): Promise<string | undefined> {
  const direct = env.GOOGLE_OAUTH_ACCESS_TOKEN || env.CLOUDSDK_AUTH_ACCESS_TOKEN;
  if (direct) return direct;
  const fromFile = await tokenFromFile(credentialsFile(env), env, now);
  if (fromFile !== undefined) return fromFile;
  if (env.GCE_METADATA_HOST) return await metadataToken(env.GCE_METADATA_HOST, env);
  return undefined;
}

function credentialsFile(env: NodeJS.ProcessEnv): { path: string; required: boolean } {
  if (env.GOOGLE_APPLICATION_CREDENTIALS) return { path: env.GOOGLE_APPLICATION_CREDENTIALS, required: true };
  const config = env.CLOUDSDK_CONFIG || join(env.HOME ?? homedir(), '.config', 'gcloud');
  return { path: join(config, 'application_default_credentials.json'), required: false };
}

async function tokenFromFile(file: { path: string; required: boolean }, env: NodeJS.ProcessEnv, now: () => Date): Promise<string | undefined> {
  const text = await readFile(file.path, 'utf8').catch((cause: unknown) => {
    if (!file.required) return undefined;
    throw new KilnError('E_CONTEXT', `${WHAT}: reading GOOGLE_APPLICATION_CREDENTIALS ${file.path}: ${(cause as NodeJS.ErrnoException).code ?? 'failed'}`, { cause });
  });
  if (text === undefined) return undefined;
  let creds: { type?: string };
  try {
    creds = JSON.parse(text) as { type?: string };
  } catch (cause) {
    throw new KilnError('E_CONTEXT', `${WHAT}: ${file.path} is not JSON`, { cause });
  }
  if (creds.type === 'service_account') return await serviceAccountToken(creds as ServiceAccount, env, now);
  if (creds.type === 'authorized_user') return await refreshToken(creds as AuthorizedUser, env);
  throw new KilnError('E_NOT_IMPLEMENTED', `${WHAT}: credentials of type "${creds.type ?? '?'}" in ${file.path} are not supported`, {
    hint: 'use a service account key or gcloud application-default credentials, or set GOOGLE_OAUTH_ACCESS_TOKEN',
  });
}

/** The signed JWT-bearer assertion of a service account (RFC 7523), valid for an hour. */
export function serviceAccountAssertion(sa: ServiceAccount, now: Date): string {
  const iat = Math.floor(now.getTime() / 1000);
  const header = { alg: 'RS256', typ: 'JWT', ...(sa.private_key_id ? { kid: sa.private_key_id } : {}) };
  const claims = { iss: sa.client_email, scope: GCS_READ_SCOPE, aud: sa.token_uri ?? 'https://oauth2.googleapis.com/token', iat, exp: iat + 3600 };
  const unsigned = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  let signature: string;
  try {
    signature = createSign('RSA-SHA256').update(unsigned).sign(sa.private_key).toString('base64url');
  } catch (cause) {
    throw new KilnError('E_CONTEXT', `${WHAT}: the service account's private_key cannot sign`, { cause });
  }
  return `${unsigned}.${signature}`;
}

async function serviceAccountToken(sa: ServiceAccount, env: NodeJS.ProcessEnv, now: () => Date): Promise<string> {
  if (!sa.client_email || !sa.private_key) throw new KilnError('E_CONTEXT', `${WHAT}: the service account key has no client_email or private_key`);
  const body = await httpJson(sa.token_uri ?? 'https://oauth2.googleapis.com/token', {
    method: 'POST', env, what: `${WHAT} for ${sa.client_email}`,
    form: { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: serviceAccountAssertion(sa, now()) },
  });
  return accessToken(body);
}

async function refreshToken(u: AuthorizedUser, env: NodeJS.ProcessEnv): Promise<string> {
  const body = await httpJson(u.token_uri ?? 'https://oauth2.googleapis.com/token', {
    method: 'POST', env, what: WHAT,
    form: { grant_type: 'refresh_token', client_id: u.client_id, client_secret: u.client_secret, refresh_token: u.refresh_token },
  });
  return accessToken(body);
}

async function metadataToken(host: string, env: NodeJS.ProcessEnv): Promise<string> {
  const base = /^https?:\/\//.test(host) ? host : `http://${host}`;
  const body = await httpJson(`${base}/computeMetadata/v1/instance/service-accounts/default/token?scopes=${encodeURIComponent(GCS_READ_SCOPE)}`, {
    method: 'GET', env, what: `${WHAT} from the metadata server`, headers: { 'metadata-flavor': 'Google' },
  });
  return accessToken(body);
}

function accessToken(body: unknown): string {
  const token = (body as { access_token?: unknown } | null)?.access_token;
  if (typeof token !== 'string' || token === '') throw new KilnError('E_CONTEXT', `${WHAT}: the answer has no access_token`);
  return token;
}

function b64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}
