// Container mode (root "/"): the command is spawned directly. A small Node launcher (this same
// Node binary, `-e`) sets groups, gid and uid before spawning, because libuv's uid/gid spawn
// calls setgroups(0) and would drop the user's supplementary groups. The launcher runs the
// command in a new process group and SIGKILLs the group once the command exits, so background
// processes it leaves behind do not outlive the step (a daemon that calls setsid escapes this;
// only a pid namespace, the host mode, catches those).
import { spawn } from 'node:child_process';
import { KilnError } from '../../shared/errors.ts';
import { exitCodeOf, type RunIo, type RunResult, type RunSpec } from './run.ts';

const LAUNCHER = `
const { spawn } = require('node:child_process');
const spec = JSON.parse(process.env.KILN_RUN_SPEC);
process.setgroups(spec.groups); process.setgid(spec.gid); process.setuid(spec.uid);
const env = {};
for (const kv of spec.env) { const i = kv.indexOf('='); if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1); }
let child;
try {
  child = spawn(spec.argv[0], spec.argv.slice(1), { cwd: spec.workdir, env, stdio: 'inherit', detached: true });
} catch (e) { process.stderr.write(String(e.message) + '\\n'); process.exit(127); }
const stop = (s) => { try { process.kill(-child.pid, s); } catch {} };
for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(s, () => stop(s));
child.on('error', (e) => { process.stderr.write(e.message + '\\n'); process.exit(e.code === 'ENOENT' ? 127 : 126); });
child.on('exit', (code, signal) => {
  stop('SIGKILL');
  if (signal) { process.stderr.write('killed by ' + signal + '\\n'); process.exit(128 + (require('node:os').constants.signals[signal] || 0)); }
  process.exit(code ?? 1);
});
`;

export async function runInContainer(spec: RunSpec, io: RunIo): Promise<RunResult> {
  const payload = JSON.stringify({
    argv: spec.argv,
    env: spec.env,
    uid: spec.user.uid,
    gid: spec.user.gid,
    groups: spec.user.groups.length > 0 ? spec.user.groups : [spec.user.gid],
    workdir: spec.workdir,
  });
  // The launcher's own env is only what it needs: never the executor's NODE_OPTIONS & co.
  const child = spawn(process.execPath, ['-e', LAUNCHER], {
    env: { KILN_RUN_SPEC: payload },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(io.stdout, { end: false });
  child.stderr.pipe(io.stderr, { end: false });
  return await new Promise<RunResult>((resolve, reject) => {
    child.on('error', (e) => reject(new KilnError('E_RUN', `${spec.description}: starting the command: ${e.message}`, { cause: e })));
    child.on('close', (code, signal) => resolve(exitCodeOf(code, signal)));
  });
}
