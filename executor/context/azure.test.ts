import { describe, expect, it } from 'vitest';
import { azureTarget, parseConnectionString } from './azure.ts';
import { remoteKind } from './fetch-context.ts';

describe('Azure Blob contexts', () => {
  it("are recognised by kaniko's host rules; other https URLs are tarballs, or git when they end in .git", () => {
    const kind = (url: string): string => remoteKind({ kind: 'https', url });
    expect(kind('https://acct.blob.core.windows.net/c/ctx.tar.gz')).toBe('azure');
    expect(kind('https://acct.blob.core.chinacloudapi.cn/c/x')).toBe('azure');
    expect(kind('https://acct.blob.core.usgovcloudapi.net/c/x')).toBe('azure');
    expect(kind('https://blob.core.windows.net.evil.example/c/x')).toBe('https');
    expect(kind('https://example.com/ctx.tar.gz')).toBe('https');
    expect(kind('https://example.com/org/repo.git#refs/heads/main')).toBe('git');
    expect(remoteKind({ kind: 'http', url: 'http://127.0.0.1:1/repo.git' })).toBe('git');
    expect(remoteKind({ kind: 'git', url: 'git://github.com/o/r.git' })).toBe('git');
  });

  it('take the key from the environment, keep SAS URLs unsigned, and send requests to a connection string endpoint', () => {
    const url = 'https://acct.blob.core.windows.net/c/dir/ctx.tar.gz';
    expect(azureTarget(url, { AZURE_STORAGE_ACCESS_KEY: 'a2V5' })).toEqual({ account: 'acct', url: new URL(url), key: 'a2V5' });
    expect(azureTarget(`${url}?sv=2022&sig=abc`, {}).key).toBeUndefined();
    const conn = azureTarget(url, { AZURE_STORAGE_CONNECTION_STRING: 'AccountName=acct;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/acct/' });
    expect(conn).toEqual({ account: 'acct', url: new URL('http://127.0.0.1:10000/acct/c/dir/ctx.tar.gz'), key: 'a2V5' });
    const dev = azureTarget('https://devstoreaccount1.blob.core.windows.net/c/x.tgz', { AZURE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' });
    expect(dev.url.toString()).toBe('http://127.0.0.1:10000/devstoreaccount1/c/x.tgz');
    expect(() => azureTarget(url, {})).toThrow(/no Azure storage key given/);
    expect(() => azureTarget(url, { AZURE_STORAGE_CONNECTION_STRING: 'AccountName=other;AccountKey=a2V5' })).toThrow(/for account "other", not "acct"/);
    expect(parseConnectionString('A=1;B=x=y;;')).toEqual({ A: '1', B: 'x=y' });
  });
});
