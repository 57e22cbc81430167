// docker-credential-* helpers (docker/docker-credential-helpers protocol): run
// `docker-credential-<name> get` with the server URL on stdin; it prints
// {"ServerURL","Username","Secret"}. Username "<token>" means Secret is an identity token.
import { spawn } from 'node:child_process';
import { KilnError } from '../errors.ts';
import type { Credential } from './docker-config.ts';

export interface HelperOptions {
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

const NOT_FOUND = /credentials not found|not found in native keychain/i;

/**
 * Ask a helper for the credentials of `serverUrl`. Undefined when the helper has none or is
 * not installed; an error when it fails otherwise. The error never contains its output.
 */
export async function runCredentialHelper(name: string, serverUrl: string, options: HelperOptions): Promise<Credential | undefined> {
  const program = `docker-credential-${name}`;
  const result = await run(program, serverUrl, options);
  if (result.kind === 'missing') return undefined;
  if (result.code !== 0) {
    if (NOT_FOUND.test(result.stdout) || NOT_FOUND.test(result.stderr)) return undefined;
    throw new KilnError('E_REGISTRY_AUTH', `getting credentials for ${serverUrl} from ${program}: it exited with code ${result.code}`, {
      hint: `run "echo ${serverUrl} | ${program} get" to see why`,
    });
  }
  return parseHelperOutput(result.stdout, program, serverUrl);
}

function parseHelperOutput(stdout: string, program: string, serverUrl: string): Credential | undefined {
  let parsed: { Username?: unknown; Secret?: unknown };
  try {
    parsed = JSON.parse(stdout) as typeof parsed;
  } catch {
    throw new KilnError('E_REGISTRY_AUTH', `getting credentials for ${serverUrl} from ${program}: its output is not JSON`);
  }
  const username = typeof parsed.Username === 'string' ? parsed.Username : '';
  const secret = typeof parsed.Secret === 'string' ? parsed.Secret : '';
  if (secret === '') return undefined;
  if (username === '<token>') return { identityToken: secret };
  return { username, password: secret };
}

type RunResult = { kind: 'missing' } | { kind: 'done'; code: number; stdout: string; stderr: string };

function run(program: string, input: string, options: HelperOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, ['get'], { env: options.env, stdio: ['pipe', 'pipe', 'pipe'], timeout: options.timeoutMs ?? 30_000 });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => {}); // a helper that exits without reading stdin
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') resolve({ kind: 'missing' });
      else reject(new KilnError('E_REGISTRY_AUTH', `running ${program}: ${e.code ?? e.message}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      resolve({ kind: 'done', code: code ?? (signal === null ? 1 : 128), stdout, stderr });
    });
    child.stdin.end(input);
  });
}
