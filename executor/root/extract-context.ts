// Per-layer extraction state: the cache of resolved parent directories, what this layer wrote
// (whiteouts only hide lower layers), deferred directory mtimes, counters.
import { lstatSync, readdirSync, rmSync, unlinkSync, type Stats } from 'node:fs';
import { KilnError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/log.ts';
import type { IgnoreList } from './ignore-list.ts';
import type { Mknod } from './mknod.ts';
import { resolveDir } from './safe-path.ts';
import { hostPath, isUnder, joinRel, parentRel, type RootMode } from './workspace.ts';
import type { XattrOps, XattrStore } from './xattr.ts';

export interface ExtractOptions {
  /** Absolute real host path of the build root. */
  root: string;
  ignore: IgnoreList;
  mode: RootMode;
  /** For messages: the layer's digest or a name. */
  layerName: string;
  logger?: Logger;
  /** Where xattrs from the layer are recorded (always, so written layers can carry them). */
  xattrStore?: XattrStore;
  /** Sets xattrs on disk; undefined loads @napi-rs/xattr when present, null never sets them. */
  xattrOps?: XattrOps | null;
  /** Creates fifos (both modes) and devices (container mode only); absent: skipped with a warning. */
  mknod?: Mknod;
}

export interface ExtractStats {
  entries: number;
  /** Bytes of file content written. */
  bytes: number;
  /** Entries skipped: ignored paths, devices in host mode, AUFS metadata. */
  skipped: number;
  /** Xattrs that could only be recorded (no native binding). */
  xattrsRecorded: number;
}

export class Extraction {
  readonly opts: ExtractOptions;
  readonly root: string;
  /** Paths this layer wrote, and the directories holding them (whiteouts hide only lower layers). */
  readonly written = new Set<string>();
  readonly #holding = new Set<string>();
  readonly stats: ExtractStats = { entries: 0, bytes: 0, skipped: 0, xattrsRecorded: 0 };
  /** Directory mtimes to set when the layer is done; dropped when the directory is removed. */
  dirTimes: { rel: string; host: string; mtime: number }[] = [];
  readonly #dirs = new Map<string, string>();
  readonly isRoot = process.getuid?.() === 0;

  constructor(opts: ExtractOptions) {
    this.opts = opts;
    this.root = opts.root;
  }

  markWritten(rel: string): void {
    this.written.add(rel);
    for (let p = parentRel(rel); p !== '/' && !this.#holding.has(p); p = parentRel(p)) this.#holding.add(p);
  }

  /** This layer wrote `rel` or something below it: a whiteout must not remove it. */
  wrote(rel: string): boolean {
    return this.written.has(rel) || this.#holding.has(rel);
  }

  what(entry: string): string {
    return `extracting layer ${this.opts.layerName}: entry "${shorten(entry)}"`;
  }

  /**
   * The real root-relative directory for a lexical parent, created when missing; undefined
   * when resolving it reaches an ignored path (nothing is created there).
   */
  parentDir(lexical: string, entry: string): string | undefined {
    const hit = this.#dirs.get(lexical);
    if (hit !== undefined) return hit;
    const r = resolveDir(this.root, lexical, { create: true, what: this.what(entry), ignore: this.opts.ignore });
    if (r.kind === 'ignored') return undefined;
    if (r.kind !== 'dir') throw new KilnError('E_INTERNAL', `${this.what(entry)}: parent not created`);
    this.#dirs.set(lexical, r.rel);
    return r.rel;
  }

  /** Forget cached resolutions through `rel` (it was removed or replaced). */
  invalidate(rel: string): void {
    for (const [k, v] of this.#dirs) if (isUnder(k, rel) || isUnder(v, rel)) this.#dirs.delete(k);
  }

  skip(entry: string, why: string): void {
    this.stats.skipped++;
    this.opts.logger?.debug(`${this.what(entry)}: skipped (${why})`);
  }

  /**
   * Remove what is at `rel` (real, root-relative) so an entry can take its place, never
   * following a link and never touching an ignored path below it. False when it cannot go.
   */
  remove(rel: string, st: Stats, entry: string): boolean {
    const host = hostPath(this.root, rel);
    if (st.isDirectory()) {
      if (this.opts.ignore.hasIgnoredBelow(rel)) {
        this.#removeAround(rel);
        this.#forget(rel, st);
        this.opts.logger?.warn(`${this.what(entry)}: "${rel}" holds an ignored path; only the rest of it was removed`);
        return false;
      }
      rmSync(host, { recursive: true, force: true });
    } else {
      unlinkSync(host);
    }
    this.#forget(rel, st);
    return true;
  }

  /** Drop what was known about `rel` and below: cached resolutions, deferred mtimes, xattrs. */
  #forget(rel: string, st: Stats): void {
    if (st.isDirectory() || st.isSymbolicLink()) this.invalidate(rel);
    if (st.isDirectory()) this.dirTimes = this.dirTimes.filter((d) => !isUnder(d.rel, rel));
    this.opts.xattrStore?.forget(rel);
  }

  /** Remove everything below `rel` except ignored paths and the directories leading to them. */
  #removeAround(rel: string): void {
    for (const d of readdirSync(hostPath(this.root, rel), { withFileTypes: true })) {
      const child = joinRel(rel, d.name);
      if (this.opts.ignore.isIgnored(child)) continue;
      if (d.isDirectory() && this.opts.ignore.hasIgnoredBelow(child)) this.#removeAround(child);
      else rmSync(hostPath(this.root, child), { recursive: true, force: true });
    }
  }

  lstat(rel: string): Stats | undefined {
    try {
      return lstatSync(hostPath(this.root, rel));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw e;
    }
  }

  child(dir: string, name: string): string {
    return joinRel(dir, name);
  }
}

/** Entry names in messages are cut to 200 characters (a 4 KiB name helps nobody). */
export function shorten(name: string): string {
  return name.length <= 200 ? name : `${name.slice(0, 100)}…${name.slice(-99)}`;
}
