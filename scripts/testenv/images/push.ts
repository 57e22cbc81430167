// Push a base image from an OCI layout to a registry with skopeo, three ways.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import type { ImageRefs } from '../types.ts';

const run = promisify(execFile);

export interface Destination {
  host: string;
  /** Plain HTTP (skopeo --dest-tls-verify=false). */
  insecure?: boolean;
  certDir?: string;
  creds?: { username: string; password: string };
}

function destFlags(dest: Destination): string[] {
  const flags: string[] = [];
  if (dest.insecure) flags.push('--dest-tls-verify=false');
  if (dest.certDir) flags.push('--dest-cert-dir', dest.certDir);
  if (dest.creds) flags.push('--dest-creds', `${dest.creds.username}:${dest.creds.password}`);
  return flags;
}

export async function skopeo(args: string[]): Promise<string> {
  try {
    const { stdout } = await run('skopeo', args, { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`skopeo ${args[0]} failed: ${e.stderr ?? e.message}`, { cause: err });
  }
}

export async function copyToRegistry(src: string, ref: string, dest: Destination, extra: string[] = []): Promise<void> {
  await skopeo(['copy', '--quiet', '--retry-times', '2', ...extra, ...destFlags(dest), src, `docker://${ref}`]);
}

/** Push layout tags `<name>` and `<name>-multi` as `repo:v2s2`, `:oci`, `:multi` (OCI index), `:list`. */
export async function pushAllWays(layout: string, name: string, repo: string, dest: Destination): Promise<ImageRefs> {
  const base = `${dest.host}/${repo}`;
  const refs = { v2s2: `${base}:v2s2`, oci: `${base}:oci`, multi: `${base}:multi`, list: `${base}:list` };
  // One after the other: concurrent uploads of the same blob to one repository race in
  // distribution 2.8 ("manifest blob unknown"); the later copies find the blobs there.
  await copyToRegistry(`oci:${layout}:${name}`, refs.oci, dest, ['--format', 'oci']);
  await copyToRegistry(`oci:${layout}:${name}`, refs.v2s2, dest, ['--format', 'v2s2']);
  await copyToRegistry(`oci:${layout}:${name}-multi`, refs.multi, dest, ['--all']);
  await copyToRegistry(`oci:${layout}:${name}-multi`, refs.list, dest, ['--all', '--format', 'v2s2']);
  const digest = async (ref: string): Promise<string> => {
    const raw = await skopeo(['inspect', '--raw', ...inspectFlags(dest), `docker://${ref}`]);
    return `sha256:${createHash('sha256').update(raw).digest('hex')}`;
  };
  const [v2s2, oci, multi, list] = await Promise.all([digest(refs.v2s2), digest(refs.oci), digest(refs.multi), digest(refs.list)]);
  return { ...refs, digest: { v2s2, oci, multi, list } };
}

export function inspectFlags(dest: Destination): string[] {
  const flags: string[] = [];
  if (dest.insecure) flags.push('--tls-verify=false');
  if (dest.certDir) flags.push('--cert-dir', dest.certDir);
  if (dest.creds) flags.push('--creds', `${dest.creds.username}:${dest.creds.password}`);
  return flags;
}
