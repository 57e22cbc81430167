// The `git` program run for ADD of a git repository (executor/steps/add-git.ts) and for git
// build contexts (executor/context/git.ts): stdout collected, the last lines of stderr (with
// credentials redacted) in the error when git fails.
import { spawn } from 'node:child_process';
import { type ErrorCode, KilnError, redact } from '../shared/errors.ts';

export interface RunGitOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Prefix of error messages ("cloning the git context …: git fetch"). */
  what: string;
  code: ErrorCode;
  /** Hint when git cannot be started. */
  missingHint: string;
  /** Hint when git exits with an error. */
  failedHint?: string;
}

/** Run git with `args`; resolves to its stdout, rejects with `code` when it fails. */
export function runGit(args: string[], o: RunGitOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
    child.on('error', (e) => reject(new KilnError(o.code, `${o.what}: ${e.message}`, { cause: e, hint: o.missingHint })));
    child.on('close', (code) => {
      if (code === 0) return resolve(out);
      const why = redact(err.trim().split('\n').slice(-3).join('; ')) || `exit code ${code}`;
      reject(new KilnError(o.code, `${o.what}: ${why}`, o.failedHint !== undefined ? { hint: o.failedHint } : {}));
    });
  });
}
