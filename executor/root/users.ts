// `USER name|uid[:group|gid]` resolved the way Docker (moby/sys/user GetExecUser) does it,
// from the build root's /etc/passwd and /etc/group:
// - a user name must exist in passwd; a numeric uid needs no entry (gid 0, home "/");
// - an explicit group (name or gid) replaces the primary gid and drops supplementary groups;
// - without a group, the supplementary groups are every group listing the user by name.
// The files are read inside the root (links resolved as if the root were "/").
import { readFile } from 'node:fs/promises';
import { KilnError } from '../../shared/errors.ts';
import { resolveInRoot } from './run-paths.ts';

export interface ResolvedUser {
  uid: number;
  gid: number;
  /** Supplementary groups, primary gid first (what `id -G` shows). */
  groups: number[];
  /** Home directory from passwd, "/" when unknown (Docker's default). */
  home: string;
  /** The name from passwd, when there is one. */
  name?: string;
}

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const NUMERIC = /^\d+$/;

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (f[0] === undefined || !NUMERIC.test(f[2] ?? '') || !NUMERIC.test(f[3] ?? '')) continue;
    out.push({ name: f[0], uid, gid, home: f[5] ?? '' });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f[0] === undefined || !NUMERIC.test(f[2] ?? '')) continue;
    const members = (f[3] ?? '').split(',').map((m) => m.trim()).filter((m) => m !== '');
    out.push({ name: f[0], gid: Number(f[2]), members });
  }
  return out;
}

export interface UserDatabase {
  passwd: PasswdEntry[];
  group: GroupEntry[];
}

/** Resolve a USER value against parsed passwd/group data (pure). */
export function resolveUserSpec(spec: string, db: UserDatabase): ResolvedUser {
  // An empty USER is root (moby: the default uid), still looked up for its groups.
  const trimmed = spec.trim() === '' ? '0' : spec.trim();
  const colon = trimmed.indexOf(':');
  const userArg = colon < 0 ? trimmed : trimmed.slice(0, colon);
  const groupArg = colon < 0 ? '' : trimmed.slice(colon + 1);
  const entry = db.passwd.find((p) => p.name === userArg || (NUMERIC.test(userArg) && p.uid === Number(userArg)));
  if (entry === undefined && !NUMERIC.test(userArg)) {
    throw new KilnError('E_STEP', `resolving user "${spec}": unable to find user ${userArg}: no matching entries in passwd file`, {
      hint: 'create the user in an earlier RUN step, or use a numeric uid',
    });
  }
  const uid = entry?.uid ?? checkId(userArg, spec);
  // HOME from passwd; kaniko and Docker fall back to /root for root and / for anyone else.
  const home = entry?.home !== undefined && entry.home !== '' ? entry.home : uid === 0 ? '/root' : '/';
  const name = entry?.name;
  if (groupArg !== '') {
    const g = db.group.find((x) => x.name === groupArg || (NUMERIC.test(groupArg) && x.gid === Number(groupArg)));
    if (g === undefined && !NUMERIC.test(groupArg)) {
      throw new KilnError('E_STEP', `resolving user "${spec}": unable to find group ${groupArg}: no matching entries in group file`, {
        hint: 'create the group in an earlier RUN step, or use a numeric gid',
      });
    }
    const gid = g?.gid ?? checkId(groupArg, spec);
    return withName({ uid, gid, groups: [gid], home }, name);
  }
  const gid = entry?.gid ?? 0;
  const supplementary = name === undefined ? [] : db.group.filter((g) => g.members.includes(name)).map((g) => g.gid);
  const groups = [gid, ...supplementary.filter((g) => g !== gid)];
  return withName({ uid, gid, groups: [...new Set(groups)], home }, name);
}

function withName(u: ResolvedUser, name: string | undefined): ResolvedUser {
  return name === undefined ? u : { ...u, name };
}

function checkId(s: string, spec: string): number {
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xfffffffe) {
    throw new KilnError('E_STEP', `resolving user "${spec}": id ${s} is out of range`);
  }
  return n;
}

/** Read the root's /etc/passwd and /etc/group (missing files are empty). */
export async function readUserDatabase(rootDir: string): Promise<UserDatabase> {
  const read = async (p: string): Promise<string> => {
    try {
      return await readFile(await resolveInRoot(rootDir, p), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return '';
      throw new KilnError('E_IO', `reading ${p} in the build root: ${(e as Error).message}`, { cause: e });
    }
  };
  const [passwd, group] = await Promise.all([read('/etc/passwd'), read('/etc/group')]);
  return { passwd: parsePasswd(passwd), group: parseGroup(group) };
}

/** Resolve a USER value inside a build root. */
export async function resolveUser(rootDir: string, spec: string): Promise<ResolvedUser> {
  return resolveUserSpec(spec, await readUserDatabase(rootDir));
}
