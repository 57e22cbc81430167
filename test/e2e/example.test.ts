// The README's first command: `bash scripts/example.sh OUT` builds the example Dockerfile with
// the bundled executor into OUT, with no registry. Checked with skopeo and umoci.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it, onTestFinished } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

it('scripts/example.sh builds the README example into an OCI layout and a docker-archive', () => {
  const out = mkdtempSync(join(tmpdir(), 'kiln-example-'));
  onTestFinished(() => rmSync(out, { recursive: true, force: true }));
  execFileSync('bash', ['scripts/example.sh', out], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });

  const digest = readFileSync(join(out, 'digest'), 'utf8').trim();
  expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  const cfg = JSON.parse(execFileSync('skopeo', ['inspect', '--config', `oci:${join(out, 'oci')}`], { encoding: 'utf8' }));
  expect(cfg.config.Cmd).toEqual(['cat', '/hello.txt']);
  expect(cfg.config.WorkingDir).toBe('/srv');
  expect(cfg.config.Labels).toEqual({ 'org.opencontainers.image.title': 'kiln-example' });
  const archive = JSON.parse(execFileSync('skopeo', ['inspect', `docker-archive:${join(out, 'image.tar')}`], { encoding: 'utf8' }));
  expect(archive.Layers).toHaveLength(5);

  const bundle = join(out, 'bundle');
  const tagged = join(out, 'tagged');
  execFileSync('skopeo', ['copy', '--format', 'oci', `oci:${join(out, 'oci')}`, `oci:${tagged}:latest`], { stdio: 'pipe' });
  execFileSync('umoci', ['unpack', '--image', `${tagged}:latest`, bundle], { stdio: 'pipe' });
  const rootfs = join(bundle, 'rootfs');
  expect(readFileSync(join(rootfs, 'hello.txt'), 'utf8')).toBe('hello from kiln\n');
  expect(statSync(join(rootfs, 'tmp')).mode & 0o7777).toBe(0o1777);
  expect(execFileSync('chroot', [rootfs, '/bin/sh', '-c', 'cat /hello.txt'], { encoding: 'utf8' })).toBe('hello from kiln\n');
});
