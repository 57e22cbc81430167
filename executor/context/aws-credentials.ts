// AWS credentials and region for s3:// contexts, from what the user gave explicitly, in the
// SDKs' order: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, the shared credentials
// file (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, profile AWS_PROFILE or "default"),
// a web identity role, container credentials (aws-roles.ts). No instance-metadata probing:
// without credentials the build fails with a clear error.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KilnError } from '../../shared/errors.ts';
import { containerCredentials, webIdentityCredentials } from './aws-roles.ts';
import type { AwsCredentials } from './sigv4.ts';

export async function awsCredentials(env: NodeJS.ProcessEnv, region: string): Promise<AwsCredentials> {
  const id = env.AWS_ACCESS_KEY_ID ?? '';
  const secret = env.AWS_SECRET_ACCESS_KEY ?? '';
  if (id !== '' && secret !== '') return credentials(id, secret, env.AWS_SESSION_TOKEN);
  const profile = env.AWS_PROFILE ?? env.AWS_DEFAULT_PROFILE ?? 'default';
  const file = env.AWS_SHARED_CREDENTIALS_FILE ?? join(env.HOME ?? homedir(), '.aws', 'credentials');
  const section = (await readIni(file))[profile];
  const fid = section?.aws_access_key_id ?? '';
  const fsecret = section?.aws_secret_access_key ?? '';
  if (fid !== '' && fsecret !== '') return credentials(fid, fsecret, section?.aws_session_token);
  const role = (await webIdentityCredentials(env, region)) ?? (await containerCredentials(env));
  if (role !== undefined) return role;
  throw new KilnError('E_CONTEXT', 'fetching the build context from S3: no AWS credentials given', {
    hint: `set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), a profile "${profile}" in ${file}, or AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE; Kiln does not query instance metadata`,
  });
}

function credentials(accessKeyId: string, secretAccessKey: string, sessionToken: string | undefined): AwsCredentials {
  return { accessKeyId, secretAccessKey, ...(sessionToken !== undefined && sessionToken !== '' ? { sessionToken } : {}) };
}

/** AWS_REGION, AWS_DEFAULT_REGION, the profile's region in ~/.aws/config, else us-east-1. */
export async function awsRegion(env: NodeJS.ProcessEnv): Promise<string> {
  const fromEnv = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? '';
  if (fromEnv !== '') return fromEnv;
  const profile = env.AWS_PROFILE ?? env.AWS_DEFAULT_PROFILE ?? 'default';
  const config = await readIni(env.AWS_CONFIG_FILE ?? join(env.HOME ?? homedir(), '.aws', 'config'));
  return (profile === 'default' ? config.default : config[`profile ${profile}`])?.region ?? 'us-east-1';
}

/** A small INI reader for the AWS files: [section], key = value, # and ; comments. */
export async function readIni(file: string): Promise<Record<string, Record<string, string>>> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const out: Record<string, Record<string, string>> = {};
  let current: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (section) {
      current = out[section[1] as string] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    if (current !== undefined && eq > 0) current[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
  }
  return out;
}
