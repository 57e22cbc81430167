// A long-running helper process (a registry) started in its own process group, guarded by a
// watchdog so it dies with its owner even when the owner is killed with SIGKILL.
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Service {
  /** Process-group id (the watchdog shell); kill(-pgid) stops it all. */
  readonly pgid: number;
  readonly logFile: string;
  stop(): Promise<void>;
}

export interface SpawnServiceOptions {
  command: string;
  args: string[];
  logFile: string;
  /** The process whose death stops the service (default: this process). */
  ownerPid?: number;
  env?: NodeJS.ProcessEnv;
}

// The shell runs the service in the background and polls the owner every second; when the owner
// is gone (or the service exits) it kills the service. The whole group is killed by stop().
const WATCHDOG = [
  '"$@" & c=$!',
  'trap \'kill $c 2>/dev/null; exit 0\' TERM INT HUP',
  'while kill -0 "$KILN_OWNER_PID" 2>/dev/null && kill -0 $c 2>/dev/null; do sleep 1; done',
  'kill $c 2>/dev/null; wait $c',
].join('\n');

export function spawnService(opts: SpawnServiceOptions): Service {
  const fd = openSync(opts.logFile, 'a');
  const child = spawn('sh', ['-c', WATCHDOG, 'kiln-watchdog', opts.command, ...opts.args], {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...(opts.env ?? process.env), KILN_OWNER_PID: String(opts.ownerPid ?? process.pid) },
  });
  closeSync(fd);
  child.unref();
  const pgid = child.pid;
  if (pgid === undefined) throw new Error(`starting ${opts.command}: no pid`);
  return { pgid, logFile: opts.logFile, stop: () => stopGroup(pgid) };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM the process group, then SIGKILL what is left after 3 s. */
export async function stopGroup(pgid: number): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) return;
  for (let i = 0; i < 30; i++) {
    await sleep(100);
    if (!signalGroup(pgid, 0)) return;
  }
  signalGroup(pgid, 'SIGKILL');
}

function signalGroup(pgid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch {
    return false;
  }
}

export interface ProbeOptions {
  ca?: string | Buffer;
  timeoutMs?: number;
}

/** Status code of GET url, or undefined when nothing answers. */
export function probe(url: string, opts: ProbeOptions = {}): Promise<number | undefined> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(
      u,
      { method: 'GET', ca: opts.ca, timeout: opts.timeoutMs ?? 2000 },
      (res) => {
        res.resume();
        resolve(res.statusCode);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

export interface WaitOptions extends ProbeOptions {
  /** Give up after this long (default 30 s). */
  deadlineMs?: number;
  /** Fail fast when this returns false (the service died). */
  alive?: () => boolean;
  what: string;
}

export async function waitForHttp(url: string, opts: WaitOptions): Promise<number> {
  const deadline = Date.now() + (opts.deadlineMs ?? 30_000);
  for (;;) {
    const status = await probe(url, opts);
    if (status !== undefined) return status;
    if (opts.alive && !opts.alive()) throw new Error(`starting ${opts.what}: the process exited`);
    if (Date.now() > deadline) throw new Error(`starting ${opts.what}: ${url} did not answer in time`);
    await sleep(100);
  }
}
