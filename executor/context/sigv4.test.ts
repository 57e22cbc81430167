import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { EMPTY_SHA256, signV4, uriEncode } from './sigv4.ts';

describe('signV4', () => {
  it("matches AWS's S3 GetObject example (Signature Version 4 docs: examplebucket/test.txt, Range bytes=0-9)", () => {
    const headers = signV4(
      { method: 'GET', url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'), headers: { range: 'bytes=0-9' } },
      {
        credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
        region: 'us-east-1', service: 's3', date: new Date('2013-05-24T00:00:00Z'), contentSha256Header: true,
      },
    );
    expect(headers['x-amz-content-sha256']).toBe(EMPTY_SHA256);
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  it("matches the aws-sig-v4-test-suite's get-vanilla vector", () => {
    const headers = signV4(
      { method: 'GET', url: new URL('https://example.amazonaws.com/') },
      { credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }, region: 'us-east-1', service: 'service', date: new Date('2015-08-30T12:36:00Z') },
    );
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
  });

  it('agrees with the official @smithy/signature-v4 signer on S3 GETs with odd keys, ports, queries and session tokens', async () => {
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret/with+chars', sessionToken: 'session-token-value' };
    const smithy = new SignatureV4({ credentials, region: 'eu-west-3', service: 's3', sha256: Sha256, uriEscapePath: false, applyChecksum: true });
    const date = new Date('2026-11-27T10:11:12Z');
    const keys = ['context.tar.gz', 'dir/sub dir/ctx (1).tar.gz', 'ünïcode/ключ.tgz', "a!b'c*d~e.tgz"];
    for (const [i, key] of keys.entries()) {
      const url = new URL(`http://127.0.0.1:${9000 + i}/my-bucket/${uriEncode(key, { keepSlash: true })}${i === 2 ? '?versionId=3&acl' : ''}`);
      const mine = signV4({ method: 'GET', url }, { credentials, region: 'eu-west-3', service: 's3', date, contentSha256Header: true });
      const query = Object.fromEntries(url.searchParams.entries());
      const theirs = await smithy.sign(
        { method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query, headers: { host: url.host, 'x-amz-content-sha256': EMPTY_SHA256 } },
        { signingDate: date },
      );
      expect(mine.authorization, key).toBe(theirs.headers.authorization);
    }
  });
});
