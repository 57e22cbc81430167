import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { targetsOf } from './targets.ts';

const amd64 = { os: 'linux', architecture: 'amd64' };
const arm64 = { os: 'linux', architecture: 'arm64' };

function dockerfile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-targets-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'Dockerfile'), text);
  return join(dir, 'Dockerfile');
}

describe('targetsOf', () => {
  it('takes --image first, then the Dockerfile bases with ARGs applied, once each after normalising', async () => {
    const df = dockerfile(
      [
        'ARG BASE=busybox',
        'ARG V=1.36',
        'FROM ${BASE}:${V} AS build',
        'FROM build',
        'FROM --platform=$TARGETPLATFORM golang:1.23-${TARGETARCH}',
        'COPY --from=alpine:3 /etc/alpine-release /',
        'COPY --from=build / /b',
        'FROM scratch',
        'COPY --from=0 / /',
      ].join('\n'),
    );
    const targets = await targetsOf({ images: ['docker.io/library/alpine:3', 'localhost:5000/x@sha256:' + 'a'.repeat(64)], dockerfile: df, buildArgs: { V: '1.37' }, platform: arm64, buildPlatform: amd64 });
    expect(targets.map((t) => [t.ref?.toString(), t.from === df ? 'dockerfile' : t.from])).toEqual([
      ['index.docker.io/library/alpine:3', '--image'],
      [`localhost:5000/x@sha256:${'a'.repeat(64)}`, '--image'],
      ['index.docker.io/library/busybox:1.37', 'dockerfile'],
      ['index.docker.io/library/golang:1.23-arm64', 'dockerfile'],
    ]);
  });

  it('keeps a reference that does not parse as a failed target instead of stopping', async () => {
    const targets = await targetsOf({ images: ['ok:1', 'Not/Valid:x', 'ok:1'], buildArgs: {}, platform: amd64, buildPlatform: amd64 });
    expect(targets).toHaveLength(2);
    expect(targets[1]).toMatchObject({ input: 'Not/Valid:x', error: expect.objectContaining({ code: 'E_REF' }) });
    expect(targets[1]?.ref).toBeUndefined();
  });

  it('fails clearly when the Dockerfile cannot be read or parsed', async () => {
    const base = { images: [], buildArgs: {}, platform: amd64, buildPlatform: amd64 };
    await expect(targetsOf({ ...base, dockerfile: '/nonexistent/Dockerfile' })).rejects.toMatchObject({
      code: 'E_USAGE',
      message: expect.stringMatching(/^reading Dockerfile \/nonexistent\/Dockerfile: ENOENT/),
    });
    await expect(targetsOf({ ...base, dockerfile: dockerfile('RUN true\n') })).rejects.toMatchObject({ code: 'E_DOCKERFILE_PARSE' });
  });
});
