// npm run testenv -- up|down|status
//   up      start the environment in the background (reused by `npm test` and vitest runs)
//   down    stop it
//   status  say whether it runs, and print its JSON
// (`serve` is what `up` runs in the background.)
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { startTestEnv } from './env.ts';
import { isAlive, stopGroup } from './service.ts';
import { CLI_STATE_FILE, isLiveEnv, readEnvFile } from './state.ts';

const SERVE_LOG = join(dirname(CLI_STATE_FILE), 'serve.log');

function say(line: string): void {
  process.stdout.write(line + '\n');
}

async function serve(): Promise<void> {
  const running = await startTestEnv({ log: (l) => process.stderr.write(`[testenv] ${l}\n`) });
  mkdirSync(dirname(CLI_STATE_FILE), { recursive: true });
  copyFileSync(running.file, CLI_STATE_FILE);
  const shutdown = async (): Promise<void> => {
    await running.stop();
    if (existsSync(CLI_STATE_FILE) && readEnvFile(CLI_STATE_FILE).workDir === running.env.workDir) rmSync(CLI_STATE_FILE);
    process.exit(0);
  };
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(sig, () => void shutdown());
}

async function up(): Promise<number> {
  if (await isLiveEnv(CLI_STATE_FILE)) {
    say(`already running\nexport KILN_TESTENV=${CLI_STATE_FILE}`);
    return 0;
  }
  if (existsSync(CLI_STATE_FILE)) await down(); // dead, or of an older schema
  mkdirSync(dirname(CLI_STATE_FILE), { recursive: true });
  const fd = openSync(SERVE_LOG, 'w');
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'serve'], {
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  child.unref();
  const deadline = Date.now() + 15 * 60_000;
  while (Date.now() < deadline) {
    if (await isLiveEnv(CLI_STATE_FILE)) {
      say(`test environment up (log: ${SERVE_LOG})\nexport KILN_TESTENV=${CLI_STATE_FILE}`);
      return 0;
    }
    if (child.pid === undefined || !isAlive(child.pid)) break;
    await sleep(250);
  }
  process.stderr.write(`starting the test environment failed:\n${readFileSync(SERVE_LOG, 'utf8').slice(-4000)}\n`);
  if (child.pid !== undefined) await stopGroup(child.pid);
  return 1;
}

async function down(): Promise<number> {
  if (!existsSync(CLI_STATE_FILE)) {
    say('not running');
    return 0;
  }
  try {
    const env = readEnvFile(CLI_STATE_FILE);
    await stopGroup(env.pids.owner);
    await Promise.all(env.pids.registries.map((pgid) => stopGroup(pgid)));
    rmSync(env.workDir, { recursive: true, force: true });
  } finally {
    rmSync(CLI_STATE_FILE, { force: true });
  }
  say('stopped');
  return 0;
}

async function status(): Promise<number> {
  if (!(await isLiveEnv(CLI_STATE_FILE))) {
    say('not running');
    return 1;
  }
  say(readFileSync(CLI_STATE_FILE, 'utf8'));
  say(`export KILN_TESTENV=${CLI_STATE_FILE}`);
  return 0;
}

const commands: Record<string, () => Promise<number | void>> = { up, down, status, serve };
const command = commands[process.argv[2] ?? ''];
if (!command) {
  process.stderr.write('usage: npm run testenv -- up|down|status\n');
  process.exit(2);
}
const code = await command();
if (typeof code === 'number') process.exitCode = code;
