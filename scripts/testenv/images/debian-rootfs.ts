// The Debian bookworm minbase layer, made with mmdebstrap. Its sources.list points where the
// host's apt points (deb.debian.org here), so `apt-get update` works from inside a build.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const DEFAULT_MIRROR = 'http://deb.debian.org/debian';

export interface AptMirrors {
  debian: string;
  security: string;
}

/** The host's Debian and Debian-security URIs, from sources.list and *.sources (deb822). */
export function hostMirrors(aptDir = '/etc/apt'): AptMirrors {
  const files = [join(aptDir, 'sources.list')];
  const d = join(aptDir, 'sources.list.d');
  if (existsSync(d)) files.push(...readdirSync(d).map((f) => join(d, f)));
  const uris: string[] = [];
  for (const f of files) {
    if (!existsSync(f)) continue;
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/^\s*URIs:\s*(.+)$/gm)) uris.push(...(m[1] ?? '').trim().split(/\s+/));
    for (const m of text.matchAll(/^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)/gm)) if (m[1]) uris.push(m[1]);
  }
  const clean = uris.map((u) => u.replace(/\/+$/, ''));
  const security = clean.find((u) => u.endsWith('/debian-security'));
  const debian = clean.find((u) => u.endsWith('/debian')) ?? DEFAULT_MIRROR;
  return { debian, security: security ?? debian.replace(/\/debian$/, '/debian-security') };
}

export function sourcesLines(m: AptMirrors): string[] {
  return [
    `deb ${m.debian} bookworm main`,
    `deb ${m.debian} bookworm-updates main`,
    `deb ${m.security} bookworm-security main`,
  ];
}

/** Run mmdebstrap (variant minbase) writing an uncompressed tar to file; /dev left empty, as in Docker's images. */
export async function writeDebianLayer(file: string, mirrors = hostMirrors()): Promise<void> {
  const args = ['--variant=minbase', '--format=tar', '--mode=root', '--quiet', 'bookworm', file, ...sourcesLines(mirrors)];
  const env = { ...process.env, SOURCE_DATE_EPOCH: '1704067200', DEBIAN_FRONTEND: 'noninteractive' };
  let last: unknown;
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      await run('mmdebstrap', args, { maxBuffer: 64 * 1024 * 1024, env });
      await run('tar', ['--delete', '--wildcards', '-f', file, './dev/?*']);
      return;
    } catch (err) {
      last = err; // a mirror hiccup: try once more
    }
  }
  const e = last as { stderr?: string; message: string };
  throw new Error(`building the debian base with mmdebstrap: ${(e.stderr ?? e.message).slice(-3000)}`, { cause: last });
}
