// Reading a test environment's JSON and telling whether it is still running.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { envSchema } from './env.ts';
import { REPO_ROOT } from './paths.ts';
import { isAlive, probe } from './service.ts';
import type { TestEnv } from './types.ts';

/** Where `npm run testenv -- up` records the environment it started. */
export const CLI_STATE_FILE = join(REPO_ROOT, '.testenv', 'env.json');

export function readEnvFile(file: string): TestEnv {
  return JSON.parse(readFileSync(file, 'utf8')) as TestEnv;
}

/** True when file describes an environment of the current schema whose processes and registries all answer. */
export async function isLiveEnv(file: string): Promise<boolean> {
  if (!existsSync(file)) return false;
  let env: TestEnv;
  try {
    env = readEnvFile(file);
  } catch {
    return false;
  }
  if (env.schema !== envSchema()) return false;
  if (!env.pids || !isAlive(env.pids.owner) || !env.pids.registries.every(isAlive)) return false;
  const ca = readFileSync(env.pki.caFile);
  const answers = await Promise.all([
    probe(`http://${env.plain.host}/v2/`),
    probe(`https://${env.tls.host}/v2/`, { ca }),
    probe(`https://${env.token.host}/v2/`, { ca }),
    probe(env.token.realm, { ca }),
    probe(`${env.aptRepo.url}InRelease`),
  ]);
  return answers.every((s) => s !== undefined);
}

/** The live environment named by KILN_TESTENV, else the one the CLI started (not on CI). */
export async function findLiveEnv(environ: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const named = environ['KILN_TESTENV'];
  if (named) return (await isLiveEnv(named)) ? named : undefined;
  if (!environ['CI'] && (await isLiveEnv(CLI_STATE_FILE))) return CLI_STATE_FILE;
  return undefined;
}
