// Extended attributes. Node has no xattr API, so the native @napi-rs/xattr (prebuilt, no
// install script) is loaded lazily when present; it works on the path itself (lsetxattr), never
// through a final symlink. When it is absent (a bundle shipped without node_modules) xattrs from
// layers are only recorded in an XattrStore, so the layers Kiln writes still carry them.
import { createRequire } from 'node:module';

export interface XattrOps {
  get(path: string, name: string): Buffer | undefined;
  set(path: string, name: string, value: Buffer): void;
}

interface NativeXattr {
  getAttributeSync(path: string, name: string): Buffer | null;
  setAttributeSync(path: string, name: string, value: Uint8Array): void;
}

/** The native xattr binding, or undefined when it cannot be loaded here. */
export function loadNativeXattr(): XattrOps | undefined {
  let mod: NativeXattr;
  try {
    const load = createRequire(import.meta.url);
    mod = load('@napi-rs/xattr') as NativeXattr;
  } catch {
    return undefined;
  }
  return {
    get: (path, name) => {
      try {
        return mod.getAttributeSync(path, name) ?? undefined;
      } catch {
        return undefined; // ENODATA, ENOTSUP, a symlink …
      }
    },
    set: (path, name, value) => mod.setAttributeSync(path, name, value),
  };
}

/** Xattrs seen in layers, by root-relative path (what could not be read back from disk). */
export class XattrStore {
  readonly #byPath = new Map<string, Map<string, Buffer>>();

  record(rel: string, attrs: ReadonlyMap<string, Buffer>): void {
    this.#byPath.set(rel, new Map(attrs));
  }

  get(rel: string): ReadonlyMap<string, Buffer> | undefined {
    return this.#byPath.get(rel);
  }

  /** Forget `rel` and everything below it (the path was deleted or replaced). */
  forget(rel: string): void {
    const prefix = rel + '/';
    for (const k of this.#byPath.keys()) if (k === rel || k.startsWith(prefix)) this.#byPath.delete(k);
  }

  get size(): number {
    return this.#byPath.size;
  }
}

/** The xattrs Kiln writes into layers (Docker archives security.capability only). */
export const LAYER_XATTRS = ['security.capability'] as const;

/**
 * The xattrs to archive for a path: read from disk when the native binding is here (only
 * LAYER_XATTRS, as Docker), else what extraction recorded in `store`.
 */
export function layerXattrSource(
  store: XattrStore | undefined,
  ops: XattrOps | undefined = loadNativeXattr(),
): (rel: string, hostPath: string) => ReadonlyMap<string, Buffer> | undefined {
  return (rel, hostPath) => {
    if (ops !== undefined) {
      const found = new Map<string, Buffer>();
      for (const name of LAYER_XATTRS) {
        const v = ops.get(hostPath, name);
        if (v !== undefined) found.set(name, v);
      }
      if (found.size > 0) return found;
    }
    return store?.get(rel);
  };
}
