// A real, signed, flat Debian repository for builds on the Debian base image, so `apt-get update`
// and `apt-get install` run against 127.0.0.1 instead of a public mirror. Built at setup (about a
// second): two tiny .deb packages made with `dpkg-deb --build`, indexed with dpkg-scanpackages
// (Packages, Packages.gz), a Release with MD5Sum/SHA256, signed with a throwaway ed25519 key
// (InRelease, Release.gpg) whose public keyring is written next to them for `signed-by`.
//
//   kiln-hello       /usr/bin/kiln-hello, a sh script printing HELLO_OUTPUT;
//                    Depends: kiln-hello-data (= 1.0), dash (dash is in minbase)
//   kiln-hello-data  /usr/share/kiln-hello/greeting
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { startStaticServer } from './static-server.ts';
import type { AptRepo } from './types.ts';

const run = promisify(execFile);

/** What `kiln-hello` prints (one line). */
export const HELLO_OUTPUT = 'kiln-hello 1.0: hello from the loopback apt repository';
/** File name of the public keyring in the repository directory. */
export const KEYRING_NAME = 'kiln-test-archive.gpg';
const KEY_UID = 'Kiln test repository (throwaway) <apt@kiln.invalid>';

export interface DebPackage {
  name: string;
  version: string;
  architecture: string;
  depends?: string;
  /** Installed files: absolute path → content and mode. */
  files: Record<string, { content: string; mode: number }>;
  description: string;
}

export const PACKAGES: DebPackage[] = [
  {
    name: 'kiln-hello-data',
    version: '1.0',
    architecture: 'all',
    files: { '/usr/share/kiln-hello/greeting': { content: 'hello from the loopback apt repository\n', mode: 0o644 } },
    description: 'greeting for kiln-hello (Kiln test package)',
  },
  {
    name: 'kiln-hello',
    version: '1.0',
    architecture: 'all',
    depends: 'kiln-hello-data (= 1.0), dash',
    files: { '/usr/bin/kiln-hello': { content: '#!/bin/sh\necho "kiln-hello 1.0: $(cat /usr/share/kiln-hello/greeting)"\n', mode: 0o755 } },
    description: 'prints a greeting (Kiln test package)',
  },
];

export interface BuiltAptRepo {
  dir: string;
  /** Binary OpenPGP keyring (`gpg --export`) holding the key that signed InRelease and Release.gpg. */
  keyFile: string;
}

function controlText(p: DebPackage): string {
  const lines = [
    `Package: ${p.name}`,
    `Version: ${p.version}`,
    `Architecture: ${p.architecture}`,
    'Maintainer: Kiln tests <tests@kiln.invalid>',
    ...(p.depends ? [`Depends: ${p.depends}`] : []),
    'Section: misc',
    'Priority: optional',
    `Description: ${p.description}`,
    ' Served by the Kiln test environment from a repository on 127.0.0.1.',
  ];
  return lines.join('\n') + '\n';
}

/** `dpkg-deb --build` one package into outDir; returns the .deb's path. */
export async function buildDeb(p: DebPackage, scratch: string, outDir: string): Promise<string> {
  const root = join(scratch, `${p.name}_${p.version}`);
  mkdirSync(join(root, 'DEBIAN'), { recursive: true });
  for (const [path, f] of Object.entries(p.files)) {
    const file = join(root, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, f.content);
    chmodSync(file, f.mode);
  }
  writeFileSync(join(root, 'DEBIAN', 'control'), controlText(p));
  await run('chmod', ['-R', 'u=rwX,go=rX', root]); // 0755 dirs (mkdtemp made 0700), modes above kept
  const deb = join(outDir, `${p.name}_${p.version}_${p.architecture}.deb`);
  await run('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', root, deb]);
  return deb;
}

function hashLines(dir: string, names: string[], algo: 'md5' | 'sha256'): string[] {
  return names.map((n) => {
    const data = readFileSync(join(dir, n));
    return ` ${createHash(algo).update(data).digest('hex')} ${data.length} ${n}`;
  });
}

/** The Release file of a flat repository holding `indexes` (names relative to dir). */
export function releaseText(dir: string, indexes: string[], date = new Date()): string {
  return [
    'Origin: kiln-test',
    'Label: kiln-test',
    `Date: ${date.toUTCString().replace(/GMT$/, 'UTC')}`,
    'Description: Kiln test environment repository (loopback only)',
    'MD5Sum:',
    ...hashLines(dir, indexes, 'md5'),
    'SHA256:',
    ...hashLines(dir, indexes, 'sha256'),
  ].join('\n') + '\n';
}

/** Generate a throwaway signing key, sign Release (InRelease, Release.gpg), export the public keyring. */
async function signRelease(dir: string): Promise<string> {
  // Beside the repository (in the environment's work dir, which the sweep removes after a crash).
  const home = mkdtempSync(join(dirname(dir), '.gpg-'));
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', GNUPGHOME: home, LC_ALL: 'C' };
  const gpg = (args: string[]) => run('gpg', ['--batch', '--quiet', '--no-tty', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], { env });
  try {
    await gpg(['--quick-gen-key', KEY_UID, 'ed25519', 'sign', 'never']);
    const keyFile = join(dir, KEYRING_NAME);
    await gpg(['--output', keyFile, '--export', KEY_UID]);
    await gpg(['--local-user', KEY_UID, '--output', join(dir, 'InRelease'), '--clearsign', join(dir, 'Release')]);
    await gpg(['--local-user', KEY_UID, '--output', join(dir, 'Release.gpg'), '--armor', '--detach-sign', join(dir, 'Release')]);
    return keyFile;
  } finally {
    await run('gpgconf', ['--kill', 'all'], { env }).catch(() => undefined); // the agent gpg started for this home
    rmSync(home, { recursive: true, force: true });
  }
}

/** Build the repository into dir (created; must not exist or be empty). */
export async function buildAptRepo(dir: string): Promise<BuiltAptRepo> {
  mkdirSync(dir, { recursive: true });
  const scratch = mkdtempSync(join(dirname(dir), '.debs-'));
  try {
    for (const p of PACKAGES) await buildDeb(p, scratch, dir);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const { stdout } = await run('dpkg-scanpackages', ['--multiversion', '.', '/dev/null'], { cwd: dir });
  writeFileSync(join(dir, 'Packages'), stdout);
  writeFileSync(join(dir, 'Packages.gz'), gzipSync(stdout));
  writeFileSync(join(dir, 'Release'), releaseText(dir, ['Packages', 'Packages.gz']));
  const keyFile = await signRelease(dir);
  return { dir, keyFile };
}

export interface RunningAptRepo {
  info: AptRepo;
  stop(): Promise<void>;
}

/** Build the repository in dir and serve it on a free loopback port (in this process) until stop(). */
export async function startAptRepo(dir: string): Promise<RunningAptRepo> {
  const built = await buildAptRepo(dir);
  const accessLog = `${dir}.access.log`;
  writeFileSync(accessLog, '');
  const server = await startStaticServer({ root: dir, logFile: accessLog });
  const info: AptRepo = {
    url: server.url,
    port: server.port,
    dir,
    keyFile: built.keyFile,
    keyBase64: readFileSync(built.keyFile).toString('base64'),
    accessLog,
    packages: PACKAGES.map((p) => ({
      name: p.name,
      version: p.version,
      architecture: p.architecture,
      ...(p.depends ? { depends: p.depends } : {}),
      files: Object.keys(p.files),
    })),
    helloOutput: HELLO_OUTPUT,
  };
  return { info, stop: () => server.stop() };
}
