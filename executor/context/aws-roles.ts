// AWS credentials that the platform hands a Pod or task through explicit environment
// variables: IAM roles for service accounts (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, traded
// at STS with AssumeRoleWithWebIdentity) and container credentials (ECS, EKS Pod Identity:
// AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN
// or _TOKEN_FILE). Nothing is probed when the variables are absent.
import { readFile } from 'node:fs/promises';
import { KilnError } from '../../shared/errors.ts';
import { httpJson, httpText } from './http-get.ts';
import type { AwsCredentials } from './sigv4.ts';

export async function webIdentityCredentials(env: NodeJS.ProcessEnv, region: string): Promise<AwsCredentials | undefined> {
  const tokenFile = env.AWS_WEB_IDENTITY_TOKEN_FILE ?? '';
  const role = env.AWS_ROLE_ARN ?? '';
  if (tokenFile === '' || role === '') return undefined;
  const what = `assuming role ${role} with the web identity token`;
  const token = (await readFile(tokenFile, 'utf8').catch((cause: unknown) => {
    throw new KilnError('E_CONTEXT', `${what}: reading AWS_WEB_IDENTITY_TOKEN_FILE ${tokenFile}: ${(cause as NodeJS.ErrnoException).code ?? 'failed'}`, { cause });
  })).trim();
  const endpoint = env.AWS_ENDPOINT_URL_STS || env.AWS_ENDPOINT_URL || `https://sts.${region}.amazonaws.com`;
  const xml = await httpText(`${endpoint.replace(/\/+$/, '')}/`, {
    method: 'POST', env, what,
    form: { Action: 'AssumeRoleWithWebIdentity', Version: '2011-06-15', RoleArn: role, RoleSessionName: env.AWS_ROLE_SESSION_NAME || `kiln-${Date.now()}`, WebIdentityToken: token },
  });
  const field = (name: string): string => new RegExp(`<${name}>([^<]+)</${name}>`).exec(xml)?.[1] ?? '';
  const [accessKeyId, secretAccessKey, sessionToken] = [field('AccessKeyId'), field('SecretAccessKey'), field('SessionToken')];
  if (accessKeyId === '' || secretAccessKey === '') throw new KilnError('E_CONTEXT', `${what}: STS answered without credentials`);
  return { accessKeyId, secretAccessKey, ...(sessionToken !== '' ? { sessionToken } : {}) };
}

export async function containerCredentials(env: NodeJS.ProcessEnv): Promise<AwsCredentials | undefined> {
  const relative = env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI ?? '';
  const url = relative !== '' ? `http://169.254.170.2${relative}` : (env.AWS_CONTAINER_CREDENTIALS_FULL_URI ?? '');
  if (url === '') return undefined;
  const what = 'getting AWS container credentials';
  const tokenFile = env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE ?? '';
  const auth = tokenFile !== '' ? (await readFile(tokenFile, 'utf8')).trim() : (env.AWS_CONTAINER_AUTHORIZATION_TOKEN ?? '');
  const body = (await httpJson(url, { method: 'GET', env, what, ...(auth !== '' ? { headers: { authorization: auth } } : {}) })) as Record<string, unknown> | null;
  const [accessKeyId, secretAccessKey, token] = [body?.AccessKeyId, body?.SecretAccessKey, body?.Token];
  if (typeof accessKeyId !== 'string' || typeof secretAccessKey !== 'string') throw new KilnError('E_CONTEXT', `${what}: the answer has no AccessKeyId or SecretAccessKey`);
  return { accessKeyId, secretAccessKey, ...(typeof token === 'string' && token !== '' ? { sessionToken: token } : {}) };
}
