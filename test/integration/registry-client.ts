// Shared set-up for the registry integration tests: a client against the test environment.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import type { Logger } from '../../shared/log.ts';
import { createRegistryClient, defaultRegistryOptions, type RegistryClient, type RegistryOptions } from '../../shared/registry/index.ts';
import type { TestEnv } from '../helpers/testenv.ts';

export interface Made {
  client: RegistryClient;
  lines: string[];
  sleeps: number[];
}

export interface MakeClient {
  options?: Partial<RegistryOptions>;
  dockerConfigDir?: string;
  env?: NodeJS.ProcessEnv;
  attempts?: number;
  /** Trust the environment's CA for its TLS hosts (default true). */
  trust?: boolean;
}

export function makeClient(env: TestEnv, m: MakeClient = {}): Made {
  const lines: string[] = [];
  const sleeps: number[] = [];
  const log = (level: string) => (msg: string) => void lines.push(`${level} ${msg}`);
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  const certs: Record<string, string> = m.trust === false ? {} : { [env.tls.host]: env.pki.caFile, [env.token.host]: env.pki.caFile, '127.0.0.1': env.pki.caFile };
  const client = createRegistryClient({
    options: { ...defaultRegistryOptions, registryCertificates: certs, ...m.options },
    logger,
    env: m.env ?? { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
    dockerConfigDir: m.dockerConfigDir ?? env.dockerConfigDir,
    retry: { baseDelayMs: 5, maxDelayMs: 50, attempts: m.attempts ?? 3 },
    clock: { now: () => Date.now(), sleep: async (ms) => void sleeps.push(ms) },
  });
  onTestFinished(() => client.close());
  return { client, lines, sleeps };
}

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-reg-it-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A config.json with these auths, in a fresh directory. */
export async function dockerConfig(content: object): Promise<string> {
  const dir = await tempDir();
  await writeFile(join(dir, 'config.json'), JSON.stringify(content));
  return dir;
}

export const amd64 = { platform: { os: 'linux', architecture: 'amd64' } };
