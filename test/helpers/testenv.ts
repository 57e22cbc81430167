// What integration and e2e tests use of the test environment (scripts/testenv).
//
//   const env = testEnv();
//   env.images.busybox.v2s2            // '127.0.0.1:41234/kiln/busybox:v2s2' (plain HTTP)
//   env.tls.host / env.token.host      // HTTPS, CA in env.tls.caFile, user/password
//   env.dockerConfigDir                // DOCKER_CONFIG with auths for the tls and token hosts
//   const reg = await startRegistry(); onTestFinished(() => reg.stop()); reg.requests()
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { inject } from 'vitest';
import { startRegistry, type Registry, type StartRegistryOptions } from '../../scripts/testenv/registry.ts';
import type { TestEnv } from '../../scripts/testenv/types.ts';
import { startTokenServer, type TokenServer } from './token-server.ts';

export type { AptRepo, AuthRegistry, ImageRefs, TestEnv } from '../../scripts/testenv/types.ts';
export type { Registry, RegistryAuth, RegistryRequest, RegistryTls, StartRegistryOptions } from '../../scripts/testenv/registry.ts';
export { startRegistry, freePort } from '../../scripts/testenv/registry.ts';
export { startTokenServer, type TokenServer, type TokenServerOptions } from './token-server.ts';

function envFile(): string {
  let provided: string | undefined;
  try {
    provided = inject('kilnTestEnv');
  } catch {
    // not inside a vitest worker
  }
  const file = provided ?? process.env['KILN_TESTENV'];
  if (!file) {
    throw new Error(
      'no test environment: run this test in the integration or e2e vitest project (its globalSetup starts one), ' +
        'or start one with `npm run testenv -- up` and export KILN_TESTENV',
    );
  }
  return file;
}

/** The running test environment (read from the JSON the global setup wrote). */
export function testEnv(): TestEnv {
  return JSON.parse(readFileSync(envFile(), 'utf8')) as TestEnv;
}

/** TLS options for startRegistry with the environment's CA-signed loopback certificate. */
export function registryTls(env: TestEnv = testEnv()): NonNullable<StartRegistryOptions['tls']> {
  return { certFile: env.pki.serverCertFile, keyFile: env.pki.serverKeyFile, caFile: env.pki.caFile };
}

export interface TokenRegistry {
  registry: Registry;
  tokens: TokenServer;
  username: string;
  password: string;
  stop(): Promise<void>;
}

/**
 * A private HTTPS registry with bearer-token auth and its own token issuer, for tests that
 * count token or registry requests. Anonymous users may pull `public/*`.
 */
export async function startTokenRegistry(opts: { username?: string; password?: string } = {}): Promise<TokenRegistry> {
  const env = testEnv();
  const username = opts.username ?? 'tester';
  const password = opts.password ?? 'tester-password';
  const signer = { certFile: env.pki.tokenSignerCertFile, keyFile: env.pki.tokenSignerKeyFile };
  const service = 'kiln-private-registry';
  const tokens = await startTokenServer({
    users: { [username]: password },
    issuer: 'kiln-private-issuer',
    service,
    signer,
    tls: { certFile: env.pki.serverCertFile, keyFile: env.pki.serverKeyFile },
  });
  try {
    const registry = await startRegistry({
      tls: registryTls(env),
      auth: { kind: 'token', realm: tokens.realm, service, issuer: 'kiln-private-issuer', rootCertBundle: signer.certFile },
    });
    return { registry, tokens, username, password, stop: async () => { await registry.stop(); await tokens.stop(); } };
  } catch (err) {
    await tokens.stop();
    throw err;
  }
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One HTTPS request trusting `ca` (default: the environment's CA); for probing the test registries. */
export function httpsRequest(
  url: string,
  opts: { ca?: Buffer; method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  const ca = opts.ca ?? readFileSync(testEnv().pki.caFile);
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}
