import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { expect, onTestFinished, test } from 'vitest';
import { buildAptRepo, HELLO_OUTPUT, KEYRING_NAME, releaseText } from './apt-repo.ts';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-apt-repo-test-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

test('releaseText lists size and MD5/SHA256 of each index, with an RFC 2822 UTC date', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'Packages'), 'Package: x\n');
  const text = releaseText(dir, ['Packages'], new Date(Date.UTC(2026, 10, 27, 15, 0, 0)));
  expect(text).toBe(
    [
      'Origin: kiln-test',
      'Label: kiln-test',
      'Date: Fri, 27 Nov 2026 15:00:00 UTC',
      'Description: Kiln test environment repository (loopback only)',
      'MD5Sum:',
      ` ${createHash('md5').update('Package: x\n').digest('hex')} 11 Packages`,
      'SHA256:',
      ` ${sha256('Package: x\n')} 11 Packages`,
      '',
    ].join('\n'),
  );
});

test('buildAptRepo: real .debs, indexes whose hashes match, and a Release signed by the exported key', async () => {
  const parent = tempDir();
  const dir = join(parent, 'repo');
  const built = await buildAptRepo(dir);
  expect(built.keyFile).toBe(join(dir, KEYRING_NAME));
  expect(readdirSync(parent)).toEqual(['repo']); // the package trees and the secret key are gone

  const packages = readFileSync(join(dir, 'Packages'), 'utf8');
  expect(gunzipSync(readFileSync(join(dir, 'Packages.gz'))).toString('utf8')).toBe(packages);
  const stanzas = packages.trim().split('\n\n');
  expect(stanzas.map((s) => /^Package: (\S+)$/m.exec(s)?.[1]).sort()).toEqual(['kiln-hello', 'kiln-hello-data']);
  for (const s of stanzas) {
    const file = /^Filename: (\S+)$/m.exec(s)?.[1] ?? '';
    expect(/^SHA256: (\S+)$/m.exec(s)?.[1]).toBe(sha256(readFileSync(join(dir, file))));
  }
  const hello = stanzas.find((s) => s.startsWith('Package: kiln-hello\n')) ?? '';
  expect(hello).toContain('Depends: kiln-hello-data (= 1.0), dash');

  const deb = join(dir, 'kiln-hello_1.0_all.deb');
  const listing = execFileSync('dpkg-deb', ['--contents', deb], { encoding: 'utf8' });
  expect(listing).toMatch(/^-rwxr-xr-x root\/root +\d+ .* \.\/usr\/bin\/kiln-hello$/m);
  expect(listing).toMatch(/^drwxr-xr-x root\/root +0 .* \.\/$/m);
  const script = execFileSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -xOf - ./usr/bin/kiln-hello', 'sh', deb], { encoding: 'utf8' });
  expect(script).toContain('cat /usr/share/kiln-hello/greeting');
  expect(HELLO_OUTPUT).toBe('kiln-hello 1.0: hello from the loopback apt repository');

  const release = readFileSync(join(dir, 'Release'), 'utf8');
  expect(release).toContain(` ${sha256(readFileSync(join(dir, 'Packages.gz')))} ${readFileSync(join(dir, 'Packages.gz')).length} Packages.gz\n`);
  const verify = (args: string[]): string =>
    execFileSync('gpgv', ['--keyring', built.keyFile, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  verify([join(dir, 'InRelease')]);
  verify([join(dir, 'Release.gpg'), join(dir, 'Release')]);
  expect(readFileSync(join(dir, 'InRelease'), 'utf8')).toContain(release.trim());

  // A Release changed after signing no longer verifies.
  writeFileSync(join(dir, 'Release'), release.replace('kiln-test', 'kiln-evil'));
  expect(() => verify([join(dir, 'Release.gpg'), join(dir, 'Release')])).toThrow();
});
