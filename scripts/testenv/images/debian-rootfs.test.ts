import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, onTestFinished, test } from 'vitest';
import { hostMirrors, sourcesLines } from './debian-rootfs.ts';

function aptDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-apt-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'sources.list.d'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

test('deb822 sources: the debian and debian-security URIs, other repositories ignored', () => {
  const dir = aptDir({
    'sources.list.d/debian.sources':
      'Types: deb\nURIs: http://mirror.example/debian/\nSuites: bookworm\n\nTypes: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n',
    'sources.list.d/nodesource.sources': 'Types: deb\nURIs: https://deb.nodesource.com/node_20.x\n',
  });
  expect(hostMirrors(dir)).toEqual({ debian: 'http://mirror.example/debian', security: 'http://mirror.example/debian-security' });
});

test('one-line sources.list; security derived from the main mirror when absent', () => {
  const dir = aptDir({ 'sources.list': '# comment\ndeb [arch=amd64] http://m.example/debian bookworm main\n' });
  expect(hostMirrors(dir)).toEqual({ debian: 'http://m.example/debian', security: 'http://m.example/debian-security' });
});

test('no sources at all: deb.debian.org', () => {
  expect(hostMirrors(aptDir({}))).toEqual({ debian: 'http://deb.debian.org/debian', security: 'http://deb.debian.org/debian-security' });
});

test('sourcesLines covers bookworm, updates and security', () => {
  expect(sourcesLines({ debian: 'http://a/debian', security: 'http://a/debian-security' })).toEqual([
    'deb http://a/debian bookworm main',
    'deb http://a/debian bookworm-updates main',
    'deb http://a/debian-security bookworm-security main',
  ]);
});
