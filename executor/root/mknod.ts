// Device nodes and fifos. Node has no mknod(2); a trusted mknod binary does it. In the
// container mode the binaries under "/" come from the image being built, so the caller must
// pass one it trusts (or none: such entries are then skipped with a warning).
import { spawnSync } from 'node:child_process';
import { KilnError } from '../../shared/errors.ts';

export interface MknodRequest {
  type: 'char' | 'block' | 'fifo';
  mode: number;
  major: number;
  minor: number;
}

export type Mknod = (hostPath: string, req: MknodRequest) => void;

/** mknod(2) through a mknod(1) binary given by absolute path (or found on PATH in host mode). */
export function mknodCommand(binary = 'mknod'): Mknod {
  return (hostPath, req) => {
    const mode = (req.mode & 0o7777).toString(8);
    const args = req.type === 'fifo'
      ? ['-m', mode, '--', hostPath, 'p']
      : ['-m', mode, '--', hostPath, req.type === 'char' ? 'c' : 'b', String(req.major), String(req.minor)];
    const r = spawnSync(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: '/usr/local/bin:/usr/bin:/bin', LC_ALL: 'C' } });
    if (r.error !== undefined || r.status !== 0) {
      const why = r.error?.message ?? r.stderr.toString().trim();
      throw new KilnError('E_IO', `creating ${req.type} node: ${binary} failed: ${why}`, { cause: r.error });
    }
  };
}
