// RUN execution in the build root (DESIGN §3). One entry point, two modes:
// - host (`--root-dir DIR`): a private mount + pid namespace (util-linux `unshare`) where /proc,
//   a minimal /dev, /sys and a copy of /etc/resolv.conf are mounted for the command only, then
//   `unshare --root DIR --wd WORKDIR` chroots and drops to the user. Nothing reaches the host's
//   mount table, and every process the command leaves behind dies with the namespace.
// - container (root "/"): spawned directly through a tiny Node launcher that sets the
//   supplementary groups, gid and uid (libuv's own uid/gid spawn drops supplementary groups),
//   runs the command in its own process group and kills that group when the command exits.
import type { Writable } from 'node:stream';
import { KilnError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/log.ts';
import { runInContainer } from './run-container.ts';
import { runOnHost } from './run-host.ts';
import type { ResolvedUser } from './users.ts';

export type RootMode = 'host' | 'container';

/** Where commands run: the build root directory and how to enter it (a Workspace fits). */
export interface RunRoot {
  readonly root: string;
  readonly mode: RootMode;
}

export interface RunSpec {
  /** The full argv (shell form already wrapped in SHELL): ['/bin/sh', '-c', 'make']. */
  argv: string[];
  /** The complete environment, KEY=VALUE. Nothing of the executor's own env is added. */
  env: string[];
  user: ResolvedUser;
  /** Absolute path in the image; created beforehand by the caller. */
  workdir: string;
  network: 'default' | 'none';
  /** For errors: `running "make" (Dockerfile:12)`. */
  description: string;
}

export interface RunIo {
  stdout: Writable;
  stderr: Writable;
}

export interface RunResult {
  exitCode: number;
  signal?: NodeJS.Signals;
  /** Root-relative directories the run touched for its own scaffolding and put back (ctime only). */
  timesRestored?: string[];
}

/** What a successful run leaves for the snapshot to know. */
export interface RunOutcome {
  /** Directories whose only change is a ctime from Kiln's scaffolding (/etc for resolv.conf). */
  timesRestored: string[];
}

/** Run a command in the build root; a non-zero exit throws E_RUN carrying the exit code. */
export async function runCommand(root: RunRoot, spec: RunSpec, io: RunIo, logger: Logger): Promise<RunOutcome> {
  if (spec.argv.length === 0 || spec.argv[0] === '') {
    throw new KilnError('E_RUN', `${spec.description}: empty command`);
  }
  logger.debug(`running ${JSON.stringify(spec.argv)} as ${spec.user.uid}:${spec.user.gid} in ${spec.workdir}`);
  const result = root.mode === 'host' ? await runOnHost(root.root, spec, io) : await runInContainer(spec, io);
  if (result.exitCode !== 0) {
    const why = result.signal !== undefined ? `killed by ${result.signal} (exit code ${result.exitCode})` : `exit code ${result.exitCode}`;
    throw new KilnError('E_RUN', `${spec.description}: ${why}`, { exitCode: result.exitCode });
  }
  return { timesRestored: result.timesRestored ?? [] };
}

/** Exit code of a process that ended with `code` or `signal`, as a shell reports it. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): RunResult {
  if (signal !== null) {
    const signo = signalNumber(signal);
    return { exitCode: 128 + signo, signal };
  }
  return { exitCode: code ?? 1 };
}

function signalNumber(signal: NodeJS.Signals): number {
  const table: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };
  return table[signal] ?? 0;
}
