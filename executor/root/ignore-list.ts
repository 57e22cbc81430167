// The ignore list of DESIGN.md §3: paths never extracted over, snapshotted or deleted.
// All paths are root-relative; host paths (context, kaniko dir, mounts) are mapped in here once.
import { existsSync } from 'node:fs';
import { cleanRel, hostPath, parentRel, relOfHost, type RootMode } from './workspace.ts';
import { readMountPoints } from './mountinfo.ts';

export interface IgnoreListOptions {
  /** Absolute real host path of the build root ("/" in a container). */
  root: string;
  mode: RootMode;
  /** --ignore-path values: paths inside the image (root-relative). */
  ignorePaths?: readonly string[];
  /** --ignore-var-run (kaniko's default is true). */
  ignoreVarRun?: boolean;
  /** Host path of the build context, ignored when it lies under the root. */
  contextDir?: string;
  /** Host path of Kiln's own directory (/kaniko). */
  kanikoDir?: string;
  /** More root-relative paths (RUN --mount targets, secrets, …). */
  extra?: readonly string[];
  /** Host mount points; read from /proc/self/mountinfo when absent (tests inject them). */
  mountPoints?: readonly string[];
}

const ALWAYS = ['/proc', '/sys', '/dev'];
/**
 * Container mode: the runtime's markers (build-root.ts's inContainer), when present. The stage
 * cleanup must keep them, or the next build in the same container (a CI job building two
 * images) is refused.
 */
const CONTAINER_MARKERS = ['/.dockerenv', '/run/.containerenv'];

export class IgnoreList {
  readonly #paths = new Set<string>();

  constructor(paths: Iterable<string> = []) {
    for (const p of paths) this.add(p);
  }

  /** Add a root-relative path (a VOLUME, a mount target). "/" itself is never ignored. */
  add(rel: string): void {
    const clean = cleanRel(rel);
    if (clean !== undefined && clean !== '/') this.#paths.add(clean);
  }

  /** True when `rel` (clean, root-relative) is an ignored path or lies below one. */
  isIgnored(rel: string): boolean {
    if (this.#paths.size === 0) return false;
    let p = rel;
    while (p !== '/') {
      if (this.#paths.has(p)) return true;
      p = parentRel(p);
    }
    return false;
  }

  /** True when `rel` itself is on the list (for walks that never enter ignored directories). */
  has(rel: string): boolean {
    return this.#paths.has(rel);
  }

  /** True when an ignored path lies strictly below `rel` (so `rel` cannot be removed whole). */
  hasIgnoredBelow(rel: string): boolean {
    const prefix = rel === '/' ? '/' : rel + '/';
    for (const p of this.#paths) if (p.startsWith(prefix)) return true;
    return false;
  }

  get paths(): string[] {
    return [...this.#paths].sort();
  }
}

export function createIgnoreList(options: IgnoreListOptions): IgnoreList {
  const list = new IgnoreList(ALWAYS);
  const { root } = options;
  const addHost = (host: string | undefined): void => {
    if (host === undefined) return;
    const rel = relOfHost(root, host);
    if (rel !== undefined) list.add(rel);
  };
  addHost(options.kanikoDir ?? (options.mode === 'container' ? '/kaniko' : undefined));
  if (options.mode === 'container') {
    for (const m of CONTAINER_MARKERS) if (existsSync(hostPath(root, m))) list.add(m);
  }
  addHost(options.contextDir);
  if (options.ignoreVarRun ?? true) list.add('/var/run');
  for (const p of options.ignorePaths ?? []) list.add(p);
  for (const p of options.extra ?? []) list.add(p);
  for (const m of options.mountPoints ?? readMountPoints()) {
    // container mode: every mount in "/"; host mode: mounts strictly below the root dir.
    if (options.mode === 'host' && m === root) continue;
    addHost(m);
  }
  return list;
}
