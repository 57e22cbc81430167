import { lstatSync, mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { silentLogger } from '../../shared/log.ts';
import { prepareMounts, type MountSettings } from './run-mounts.ts';

function testdir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kiln-ssh-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A stand-in agent: answers every message with "agent:" + the message. */
async function fakeAgent(path: string): Promise<net.Server> {
  const server = net.createServer((s) => s.on('data', (d) => s.write(`agent:${d.toString()}`)));
  await new Promise<void>((r) => server.listen(path, r));
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  return server;
}

function ask(path: string, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(path, () => c.write(message));
    c.once('data', (d) => {
      resolve(d.toString());
      c.end();
    });
    c.on('error', reject);
  });
}

describe('RUN --mount=type=ssh', () => {
  it('forwards a socket at the target to $SSH_AUTH_SOCK and sets SSH_AUTH_SOCK for the command', async () => {
    const base = testdir();
    const root = join(base, 'r');
    mkdirSync(root);
    await fakeAgent(join(base, 'agent.sock'));
    const settings: MountSettings = {
      cacheDir: join(base, 'c'), context: { dir: base, excluded: () => false },
      secrets: { specs: [], env: { SSH_AUTH_SOCK: join(base, 'agent.sock') } },
    };
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    const p = await prepareMounts({ root, mounts: [{ type: 'ssh', spec: 'type=ssh', required: true, readonly: true, uid, gid }], settings, logger: silentLogger, what: 'RUN' });
    expect(p.env).toEqual(['SSH_AUTH_SOCK=/run/buildkit/ssh_agent.0']);
    const sock = join(root, 'run/buildkit/ssh_agent.0');
    expect(lstatSync(sock).isSocket()).toBe(true);
    expect(lstatSync(sock).mode & 0o777).toBe(0o600);
    expect(await ask(sock, 'hello')).toBe('agent:hello');
    await p.release();
    expect(existsSync(join(root, 'run'))).toBe(false);
  });

  it('skips a missing agent unless required', async () => {
    const base = testdir();
    const settings: MountSettings = { cacheDir: join(base, 'c'), context: { dir: base, excluded: () => false }, secrets: { specs: [], env: {} } };
    const optional = await prepareMounts({ root: base, mounts: [{ type: 'ssh', spec: 'type=ssh', required: false, readonly: true }], settings, logger: silentLogger, what: 'RUN' });
    expect(optional.env).toEqual([]);
    await optional.release();
    await expect(prepareMounts({ root: base, mounts: [{ type: 'ssh', spec: 'type=ssh,required', required: true, readonly: true }], settings, logger: silentLogger, what: 'RUN' }))
      .rejects.toThrow(/ssh agent "default" is required/);
  });
});
