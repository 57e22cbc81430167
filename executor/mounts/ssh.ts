// RUN --mount=type=ssh without mounting: a unix socket is created at the target inside the
// root for the command's duration, and every connection to it is piped to the executor's SSH
// agent ($SSH_AUTH_SOCK, BuildKit's `--ssh default`). The private keys never enter the root.
// Only the `default` id exists (Kiln has no --ssh flag); a missing agent skips the mount unless
// it is required.
import { chmod, chown } from 'node:fs/promises';
import net from 'node:net';
import type { SshMount } from '../../shared/dockerfile/instructions/types.ts';
import { KilnError } from '../../shared/errors.ts';

export interface SshForward {
  /** Listen at `host` (the slot's host path). */
  fill(host: string): Promise<void>;
  /** Stop listening and cut open connections. */
  drain(): Promise<void>;
}

const SUN_PATH_MAX = 107;

export function forwardAgent(m: SshMount, agent: string): SshForward {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(agent);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return {
    fill: async (host) => {
      if (Buffer.byteLength(host) > SUN_PATH_MAX) {
        throw new KilnError('E_STEP', `RUN --mount=type=ssh: the socket path ${host} is longer than a unix socket allows (${SUN_PATH_MAX} bytes)`, {
          hint: 'use a shorter target= or a shorter --root-dir',
        });
      }
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      await chown(host, m.uid ?? 0, m.gid ?? 0);
      await chmod(host, m.mode ?? 0o600);
    },
    drain: async () => {
      for (const s of sockets) s.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
