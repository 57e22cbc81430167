// Azure Blob contexts against azurite on loopback (data in a temp dir, telemetry off). Azurite verifies
// SharedKey signatures, so these tests check the signer for real. The context URL keeps
// kaniko's https://<account>.blob.core.windows.net/… form; AZURE_STORAGE_CONNECTION_STRING's
// BlobEndpoint sends the requests to azurite.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { sharedKeyHeaders } from '../../executor/context/azure.ts';
import { fetchContext } from '../../executor/context/fetch-context.ts';
import { silentLogger } from '../../shared/log.ts';
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite } from '../e2e/context-servers.ts';
import { tarGz } from './context-support.ts';

let work = '';
let azurite: { endpoint: string; stop(): Promise<void> };
const CONTEXT = `https://${AZURITE_ACCOUNT}.blob.core.windows.net/contexts`;

async function send(method: string, path: string, body?: Buffer, extra: Record<string, string> = {}): Promise<void> {
  const url = new URL(`${azurite.endpoint}${path}`);
  const headers = { 'content-length': String(body?.length ?? 0), ...extra };
  const signed = sharedKeyHeaders({ account: AZURITE_ACCOUNT, url, key: AZURITE_KEY }, { method, headers, date: new Date() });
  delete signed['content-length']; // signed, but fetch sets it itself
  const res = await fetch(url, { method, headers: signed, ...(body ? { body } : {}) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kiln-ctx-azure-'));
  azurite = await startAzurite(work);
  await send('PUT', '/contexts?restype=container');
  const blob = { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'application/gzip' };
  await send('PUT', '/contexts/app/ctx%20one.tar.gz', await tarGz({ 'Dockerfile': 'FROM scratch\n', 'src/hello.txt': 'from azure\n' }), blob);
});

afterAll(async () => {
  await azurite?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function fetchAzure(url: string, env: NodeJS.ProcessEnv, subPath = ''): Promise<string> {
  const ctx = await fetchContext({
    source: { kind: 'https', url }, subPath, git: { singleBranch: false, recurseSubmodules: false, insecureSkipTls: false },
    env, containerMode: false, kanikoDir: '/nonexistent', stdin: Readable.from([]), cwd: '/', logger: silentLogger,
  });
  onTestFinished(() => ctx.dispose());
  return ctx.dir;
}

describe('Azure Blob contexts (azurite)', () => {
  it('fetches with AZURE_STORAGE_ACCESS_KEY (kaniko) and a connection string naming the endpoint', async () => {
    const env = { AZURE_STORAGE_ACCESS_KEY: AZURITE_KEY, AZURE_STORAGE_CONNECTION_STRING: `AccountName=${AZURITE_ACCOUNT};BlobEndpoint=${azurite.endpoint}` };
    const dir = await fetchAzure(`${CONTEXT}/app/ctx%20one.tar.gz`, env, 'src');
    expect(readFileSync(join(dir, 'hello.txt'), 'utf8')).toBe('from azure\n');
  });

  it('takes the key from a full connection string', async () => {
    const env = { AZURE_STORAGE_CONNECTION_STRING: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${azurite.endpoint};` };
    expect(readFileSync(join(await fetchAzure(`${CONTEXT}/app/ctx%20one.tar.gz`, env), 'Dockerfile'), 'utf8')).toBe('FROM scratch\n');
  });

  it('is refused with a wrong key (azurite checks the signature), and fails clearly without one or without the blob', async () => {
    const endpoint = `AccountName=${AZURITE_ACCOUNT};BlobEndpoint=${azurite.endpoint}`;
    const wrongKey = Buffer.from('not the right key at all').toString('base64');
    const bad = await fetchAzure(`${CONTEXT}/app/ctx%20one.tar.gz`, { AZURE_STORAGE_ACCESS_KEY: wrongKey, AZURE_STORAGE_CONNECTION_STRING: endpoint }).then(
      () => new Error('fetched'),
      (e: unknown) => e as Error,
    );
    expect(bad).toMatchObject({ code: 'E_CONTEXT', message: expect.stringMatching(/HTTP status 403 \(AuthorizationFailure|HTTP status 403/) });
    expect(bad.message).not.toContain(wrongKey);
    await expect(fetchAzure(`${CONTEXT}/app/ctx%20one.tar.gz`, { AZURE_STORAGE_CONNECTION_STRING: endpoint })).rejects.toMatchObject({ message: expect.stringContaining('no Azure storage key given') });
    await expect(fetchAzure(`${CONTEXT}/missing.tgz`, { AZURE_STORAGE_ACCESS_KEY: AZURITE_KEY, AZURE_STORAGE_CONNECTION_STRING: endpoint })).rejects.toMatchObject({
      message: expect.stringMatching(/HTTP status 404 \(BlobNotFound/),
    });
  });
});
