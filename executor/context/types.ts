// A build context: where COPY/ADD sources come from. Issue 5 has the local directory; tar,
// stdin, git and object-store contexts (issue 8) unpack into a directory and reuse this shape.
export interface BuildContext {
  /** Absolute host directory holding the context files. */
  readonly dir: string;
  /** True when .dockerignore excludes this context-relative path (`a/b.txt`, no leading slash). */
  excluded(rel: string): boolean;
}
