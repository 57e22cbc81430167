import { describe, expect, it } from 'vitest';
import { parseBucketUrl, s3ObjectUrl } from './s3.ts';

describe('s3 context addressing', () => {
  it('splits bucket and key; the key defaults to context.tar.gz (kaniko)', () => {
    expect(parseBucketUrl('s3://b/dir/ctx.tgz')).toEqual({ bucket: 'b', key: 'dir/ctx.tgz' });
    expect(parseBucketUrl('s3://b')).toEqual({ bucket: 'b', key: 'context.tar.gz' });
    expect(parseBucketUrl('gs://b/')).toEqual({ bucket: 'b', key: 'context.tar.gz' });
    expect(() => parseBucketUrl('s3:///key')).toThrow(/expected s3:\/\/BUCKET\/PATH/);
  });

  it('is virtual-hosted on AWS and on S3_ENDPOINT, path-style only with S3_FORCE_PATH_STYLE=true and an endpoint', () => {
    const at = (env: NodeJS.ProcessEnv): string => s3ObjectUrl('bkt', 'a b/c.tgz', { env, region: 'eu-west-1' }).toString();
    expect(at({})).toBe('https://bkt.s3.eu-west-1.amazonaws.com/a%20b/c.tgz');
    expect(at({ S3_FORCE_PATH_STYLE: 'true' })).toBe('https://bkt.s3.eu-west-1.amazonaws.com/a%20b/c.tgz');
    expect(at({ S3_ENDPOINT: 'http://minio.local:9000' })).toBe('http://bkt.minio.local:9000/a%20b/c.tgz');
    expect(at({ S3_ENDPOINT: 'http://minio.local:9000/', S3_FORCE_PATH_STYLE: 'TRUE' })).toBe('http://minio.local:9000/bkt/a%20b/c.tgz');
    expect(at({ S3_ENDPOINT: 'storage.example', S3_FORCE_PATH_STYLE: 'true' })).toBe('https://storage.example/bkt/a%20b/c.tgz');
    expect(at({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000', S3_FORCE_PATH_STYLE: 'true' })).toBe('http://127.0.0.1:9000/bkt/a%20b/c.tgz');
    const bucket = (name: string, env: NodeJS.ProcessEnv = {}): string => s3ObjectUrl(name, 'k', { env, region: 'us-east-1' }).toString();
    expect(bucket('my.dotted.bucket')).toBe('https://s3.us-east-1.amazonaws.com/my.dotted.bucket/k'); // no TLS name for it
    expect(bucket('my.dotted.bucket', { S3_ENDPOINT: 'http://minio:9000' })).toBe('http://my.dotted.bucket.minio:9000/k');
    expect(bucket('Upper_Case')).toBe('https://s3.us-east-1.amazonaws.com/Upper_Case/k');
  });
});
