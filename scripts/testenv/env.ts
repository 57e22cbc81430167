// Start the whole test environment: three registries, the token issuer, the base images, a local apt repository.
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTokenServer, type TokenServer } from '../../test/helpers/token-server.ts';
import { startAptRepo, type RunningAptRepo } from './apt-repo.ts';
import { ensureLayout, imagesSchema, pushBase } from './images/base-images.ts';
import { copyToRegistry } from './images/push.ts';
import { DEFAULT_CACHE_DIR, ENV_SCHEMA_VERSION } from './paths.ts';
import { createPki, type Pki } from './pki.ts';
import { assertTools } from './preflight.ts';
import { startRegistry, type Registry } from './registry.ts';
import { sweepOrphans } from './sweep.ts';
import type { ImageRefs, TestEnv } from './types.ts';

export const USERNAME = 'kiln';
const TOKEN_SERVICE = 'kiln-test-registry';
const TOKEN_ISSUER = 'kiln-test-issuer';

export interface StartTestEnvOptions {
  cacheDir?: string;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface RunningTestEnv {
  env: TestEnv;
  /** Path of the JSON description (KILN_TESTENV). */
  file: string;
  stop(): Promise<void>;
}

interface Servers {
  plain: Registry;
  tls: Registry;
  token: Registry;
  tokenServer: TokenServer;
}

async function startServers(workDir: string, pki: Pki, password: string): Promise<Servers> {
  const tlsOpts = { certFile: pki.server.certFile, keyFile: pki.server.keyFile, caFile: pki.ca.certFile };
  const tokenServer = await startTokenServer({
    users: { [USERNAME]: password },
    issuer: TOKEN_ISSUER,
    service: TOKEN_SERVICE,
    signer: pki.tokenSigner,
    tls: pki.server,
  });
  const started = await Promise.allSettled([
    startRegistry({ parentDir: workDir }),
    startRegistry({ parentDir: workDir, tls: tlsOpts, auth: { kind: 'htpasswd', username: USERNAME, password } }),
    startRegistry({
      parentDir: workDir,
      tls: tlsOpts,
      auth: { kind: 'token', realm: tokenServer.realm, service: TOKEN_SERVICE, issuer: TOKEN_ISSUER, rootCertBundle: pki.tokenSigner.certFile },
    }),
  ]);
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    await tokenServer.stop();
    throw (failed as PromiseRejectedResult).reason;
  }
  const [plain, tls, token] = started.map((r) => (r as PromiseFulfilledResult<Registry>).value) as [Registry, Registry, Registry];
  return { plain, tls, token, tokenServer };
}

function writeDockerConfig(dir: string, hosts: string[], password: string): void {
  mkdirSync(dir, { recursive: true });
  const auth = Buffer.from(`${USERNAME}:${password}`).toString('base64');
  const auths = Object.fromEntries(hosts.map((h) => [h, { auth }]));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths }, null, 2), { mode: 0o600 });
}

async function pushImages(s: Servers, cacheDir: string, certDir: string, password: string, log: (l: string) => void) {
  const creds = { username: USERNAME, password };
  const t0 = Date.now();
  const [busybox, debian] = await Promise.all([ensureLayout('busybox', cacheDir), ensureLayout('debian', cacheDir)]);
  log(`base layouts ready in ${Date.now() - t0} ms`);
  const t1 = Date.now();
  const [bb, deb, tlsRefs, tokenRefs] = await Promise.all([
    pushBase(busybox, { host: s.plain.host, insecure: true }),
    pushBase(debian, { host: s.plain.host, insecure: true }),
    pushBase(busybox, { host: s.tls.host, certDir, creds }),
    pushBase(busybox, { host: s.token.host, certDir, creds }),
  ]);
  const publicBusybox = `${s.token.host}/public/busybox:v2s2`;
  await copyToRegistry(`oci:${busybox.layout}:busybox`, publicBusybox, { host: s.token.host, certDir, creds }, ['--format', 'v2s2']);
  log(`base images pushed in ${Date.now() - t1} ms`);
  return {
    images: { busybox: bb, debian: deb } as { busybox: ImageRefs; debian: ImageRefs },
    layouts: { busybox: busybox.layout, debian: debian.layout },
    tlsBusybox: tlsRefs.v2s2,
    tokenBusybox: tokenRefs.v2s2,
    publicBusybox,
  };
}

export function envSchema(): string {
  return `v${ENV_SCHEMA_VERSION}+${imagesSchema()}`;
}

interface Parts {
  workDir: string;
  pki: Pki;
  certDir: string;
  dockerConfigDir: string;
  password: string;
  servers: Servers;
  pushed: Awaited<ReturnType<typeof pushImages>>;
  apt: RunningAptRepo;
}

function describeEnv(p: Parts): TestEnv {
  const { servers, pushed, pki } = p;
  const common = { caFile: pki.ca.certFile, username: USERNAME, password: p.password };
  return {
    schema: envSchema(),
    plain: { host: servers.plain.host },
    tls: { host: servers.tls.host, ...common, busybox: pushed.tlsBusybox },
    token: {
      host: servers.token.host,
      ...common,
      busybox: pushed.tokenBusybox,
      publicBusybox: pushed.publicBusybox,
      realm: servers.tokenServer.realm,
      service: TOKEN_SERVICE,
    },
    dockerConfigDir: p.dockerConfigDir,
    certDir: p.certDir,
    pki: {
      caFile: pki.ca.certFile,
      serverCertFile: pki.server.certFile,
      serverKeyFile: pki.server.keyFile,
      tokenSignerCertFile: pki.tokenSigner.certFile,
      tokenSignerKeyFile: pki.tokenSigner.keyFile,
    },
    images: pushed.images,
    layouts: pushed.layouts,
    aptRepo: p.apt.info,
    workDir: p.workDir,
    pids: { registries: [servers.plain.pgid, servers.tls.pgid, servers.token.pgid], owner: process.pid },
  };
}

async function startInDir(workDir: string, opts: StartTestEnvOptions, log: (l: string) => void): Promise<RunningTestEnv> {
  const t0 = Date.now();
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const pki = createPki(join(workDir, 'pki'));
  const certDir = join(workDir, 'certs');
  mkdirSync(certDir);
  copyFileSync(pki.ca.certFile, join(certDir, 'ca.crt'));
  const servers = await startServers(workDir, pki, password);
  const aptStarting = startAptRepo(join(workDir, 'apt-repo'));
  aptStarting.catch(() => undefined); // awaited below; stop() must not wait on an unhandled rejection
  const stop = async (): Promise<void> => {
    const apt = await aptStarting.catch(() => undefined);
    await Promise.all([servers.plain.stop(), servers.tls.stop(), servers.token.stop(), servers.tokenServer.stop(), apt?.stop()]);
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    log(`registries up in ${Date.now() - t0} ms`);
    const dockerConfigDir = join(workDir, 'docker');
    writeDockerConfig(dockerConfigDir, [servers.tls.host, servers.token.host], password);
    const [pushed, apt] = await Promise.all([pushImages(servers, opts.cacheDir ?? DEFAULT_CACHE_DIR, certDir, password, log), aptStarting]);
    log(`apt repository at ${apt.info.url}`);
    const env = describeEnv({ workDir, pki, certDir, dockerConfigDir, password, servers, pushed, apt });
    const file = join(workDir, 'testenv.json');
    writeFileSync(file, JSON.stringify(env, null, 2));
    log(`test environment ready in ${Date.now() - t0} ms: ${file}`);
    return { env, file, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Start registries, token issuer and base images in a new temp dir; stop() undoes it all. */
export async function startTestEnv(opts: StartTestEnvOptions = {}): Promise<RunningTestEnv> {
  const log = opts.log ?? (() => {});
  assertTools();
  for (const dir of sweepOrphans()) log(`removed ${dir} (its run ended without teardown)`);
  const workDir = mkdtempSync(join(tmpdir(), 'kiln-testenv-'));
  try {
    return await startInDir(workDir, opts, log);
  } catch (err) {
    rmSync(workDir, { recursive: true, force: true });
    throw err;
  }
}
