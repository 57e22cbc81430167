// s3:// contexts against s3rver on loopback (path style through S3_ENDPOINT and
// S3_FORCE_PATH_STYLE, as kaniko); web identity and container credentials from small fakes of
// STS (AssumeRoleWithWebIdentity only) and of the container credentials endpoint. s3rver checks the access key id but does not verify SigV4
// signatures: executor/context/sigv4.test.ts checks those against AWS's vectors and signer.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { fetchContext } from '../../executor/context/fetch-context.ts';
import { signV4, uriEncode } from '../../executor/context/sigv4.ts';
import { silentLogger } from '../../shared/log.ts';
import { listen, startS3 } from '../e2e/context-servers.ts';
import { tarGz } from './context-support.ts';

let work = '';
let s3: { endpoint: string; stop(): Promise<void> };
const BUCKET = 'ctx-bucket';
const creds = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

async function put(key: string, body: Buffer): Promise<void> {
  const url = new URL(`${s3.endpoint}/${BUCKET}/${uriEncode(key, { keepSlash: true })}`);
  const headers = signV4({ method: 'PUT', url, payloadHash: 'UNSIGNED-PAYLOAD' }, { credentials: creds, region: 'us-east-1', service: 's3', date: new Date(), contentSha256Header: true });
  delete headers.host;
  const res = await fetch(url, { method: 'PUT', headers, body });
  if (!res.ok) throw new Error(`PUT ${key}: ${res.status} ${await res.text()}`);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kiln-ctx-s3-'));
  mkdirSync(join(work, 's3'));
  s3 = await startS3(join(work, 's3'), BUCKET);
  await put('builds/app ctx.tar.gz', await tarGz({ 'Dockerfile': 'FROM scratch\n', 'app/main.txt': 'from s3\n' }));
  await put('context.tar.gz', await tarGz({ 'default.txt': 'default key\n' }));
});

afterAll(async () => {
  await s3?.stop();
  rmSync(work, { recursive: true, force: true });
});

const baseEnv = (): NodeJS.ProcessEnv => ({
  S3_ENDPOINT: s3.endpoint, S3_FORCE_PATH_STYLE: 'true', AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true',
  AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', HOME: work,
});

async function fetchS3(url: string, env: NodeJS.ProcessEnv, subPath = ''): Promise<string> {
  const ctx = await fetchContext({
    source: { kind: 's3', url }, subPath, git: { singleBranch: false, recurseSubmodules: false, insecureSkipTls: false },
    env, containerMode: false, kanikoDir: '/nonexistent', stdin: Readable.from([]), cwd: '/', logger: silentLogger,
  });
  onTestFinished(() => ctx.dispose());
  return ctx.dir;
}

describe('s3:// contexts (s3rver)', () => {
  it('fetches and unpacks an object by key, with --context-sub-path; the key defaults to context.tar.gz', async () => {
    const dir = await fetchS3(`s3://${BUCKET}/builds/app ctx.tar.gz`, baseEnv(), 'app');
    expect(readFileSync(join(dir, 'main.txt'), 'utf8')).toBe('from s3\n');
    expect(readFileSync(join(await fetchS3(`s3://${BUCKET}`, baseEnv()), 'default.txt'), 'utf8')).toBe('default key\n');
  });

  it('reads credentials from the shared credentials file and AWS_PROFILE', async () => {
    mkdirSync(join(work, '.aws'), { recursive: true });
    writeFileSync(join(work, '.aws', 'credentials'), '[default]\naws_access_key_id = nope\naws_secret_access_key = nope\n\n[ci]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n');
    const { AWS_ACCESS_KEY_ID: _a, AWS_SECRET_ACCESS_KEY: _b, ...env } = baseEnv();
    const dir = await fetchS3(`s3://${BUCKET}/context.tar.gz`, { ...env, AWS_PROFILE: 'ci' });
    expect(readFileSync(join(dir, 'default.txt'), 'utf8')).toBe('default key\n');
    await expect(fetchS3(`s3://${BUCKET}/context.tar.gz`, env)).rejects.toMatchObject({ code: 'E_CONTEXT', message: expect.stringContaining('InvalidAccessKeyId') });
  });

  it('fails clearly without credentials, on a missing object and with a wrong key id, showing no secret', async () => {
    const { AWS_ACCESS_KEY_ID: _a, AWS_SECRET_ACCESS_KEY: _b, ...noCreds } = baseEnv();
    await expect(fetchS3(`s3://${BUCKET}/context.tar.gz`, { ...noCreds, HOME: join(work, 'empty') })).rejects.toMatchObject({
      code: 'E_CONTEXT', message: 'fetching the build context from S3: no AWS credentials given',
    });
    await expect(fetchS3(`s3://${BUCKET}/missing.tgz`, baseEnv())).rejects.toMatchObject({ code: 'E_CONTEXT', message: expect.stringMatching(/HTTP status 404 \(NoSuchKey/) });
    const wrong = await fetchS3(`s3://${BUCKET}/context.tar.gz`, { ...baseEnv(), AWS_ACCESS_KEY_ID: 'WRONGID', AWS_SECRET_ACCESS_KEY: 'very-secret-value' }).then(
      () => new Error('fetched'),
      (e: unknown) => e as Error,
    );
    expect(wrong.message).toMatch(/HTTP status 403 \(InvalidAccessKeyId/);
    expect(wrong.message).not.toContain('very-secret-value');
  });

  it('assumes AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE at STS (IRSA), and reads container credentials', async () => {
    const forms: URLSearchParams[] = [];
    const sts = await listen((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        forms.push(form);
        const ok = form.get('Action') === 'AssumeRoleWithWebIdentity' && form.get('WebIdentityToken') === 'jwt-from-k8s';
        res.writeHead(ok ? 200 : 403, { 'content-type': 'text/xml' });
        res.end(ok ? '<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>S3RVER</AccessKeyId><SecretAccessKey>S3RVER</SecretAccessKey><SessionToken>sess</SessionToken></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>' : '<ErrorResponse><Error><Code>AccessDenied</Code><Message>nope</Message></Error></ErrorResponse>');
      });
    });
    onTestFinished(() => sts.stop());
    writeFileSync(join(work, 'token'), 'jwt-from-k8s\n');
    const env: NodeJS.ProcessEnv = { ...baseEnv(), HOME: join(work, 'empty') };
    delete env.AWS_ACCESS_KEY_ID;
    delete env.AWS_SECRET_ACCESS_KEY;
    const irsa = { ...env, AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/builder', AWS_WEB_IDENTITY_TOKEN_FILE: join(work, 'token'), AWS_ENDPOINT_URL_STS: sts.url };
    expect(readFileSync(join(await fetchS3(`s3://${BUCKET}`, irsa), 'default.txt'), 'utf8')).toBe('default key\n');
    expect(forms[0]?.get('RoleArn')).toBe('arn:aws:iam::123456789012:role/builder');

    const container = await listen((req, res) => {
      const ok = req.headers.authorization === 'pod-identity-token';
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(ok ? JSON.stringify({ AccessKeyId: 'S3RVER', SecretAccessKey: 'S3RVER', Token: 't', Expiration: '2100-01-01T00:00:00Z' }) : '{}');
    });
    onTestFinished(() => container.stop());
    writeFileSync(join(work, 'pod-token'), 'pod-identity-token');
    const pod = { ...env, AWS_CONTAINER_CREDENTIALS_FULL_URI: `${container.url}/v1/credentials`, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: join(work, 'pod-token') };
    expect(readFileSync(join(await fetchS3(`s3://${BUCKET}`, pod), 'default.txt'), 'utf8')).toBe('default key\n');
    await expect(fetchS3(`s3://${BUCKET}`, { ...pod, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: '', AWS_CONTAINER_AUTHORIZATION_TOKEN: 'wrong' })).rejects.toMatchObject({
      message: expect.stringContaining('getting AWS container credentials: HTTP status 401'),
    });
  });
});
