// A Debian `docker-registry` (distribution 2.8) on a free loopback port, in its own temp dir.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive, spawnService, waitForHttp } from './service.ts';

export interface RegistryTls {
  certFile: string;
  keyFile: string;
  /** CA that signed certFile: used to probe readiness. */
  caFile: string;
}

export type RegistryAuth =
  | { kind: 'htpasswd'; username: string; password: string }
  | { kind: 'token'; realm: string; service: string; issuer: string; rootCertBundle: string };

export interface StartRegistryOptions {
  /** Parent directory for the registry's own temp dir (default os.tmpdir()). */
  parentDir?: string;
  tls?: RegistryTls;
  auth?: RegistryAuth;
  /** Pull-through cache of another registry (distribution `proxy.remoteurl`). */
  proxy?: { remoteUrl: string; username?: string; password?: string };
  /** Process whose death stops the registry (default: this process). */
  ownerPid?: number;
}

export interface RegistryRequest {
  method: string;
  uri: string;
  status: number;
}

export interface Registry {
  /** `127.0.0.1:PORT`, as used in image references. */
  host: string;
  /** `http://127.0.0.1:PORT` or `https://…`. */
  url: string;
  dir: string;
  logFile: string;
  pgid: number;
  /** Completed requests, read from the registry's JSON access log. */
  requests(): RegistryRequest[];
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function yamlQuote(s: string): string {
  return JSON.stringify(s);
}

function configYaml(dir: string, port: number, opts: StartRegistryOptions): string {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: info',
    '  formatter: json',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${yamlQuote(join(dir, 'data'))}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '  secret: kiln-test-secret',
    '  headers:',
    '    X-Content-Type-Options: [nosniff]',
  ];
  if (opts.tls) {
    lines.push('  tls:', `    certificate: ${yamlQuote(opts.tls.certFile)}`, `    key: ${yamlQuote(opts.tls.keyFile)}`);
  }
  lines.push(...authYaml(dir, opts.auth), ...proxyYaml(opts.proxy));
  return lines.join('\n') + '\n';
}

function authYaml(dir: string, auth: RegistryAuth | undefined): string[] {
  if (!auth) return [];
  if (auth.kind === 'htpasswd') {
    const file = join(dir, 'htpasswd');
    const line = execFileSync('htpasswd', ['-Bbn', auth.username, auth.password], { encoding: 'utf8' });
    writeFileSync(file, line.trim() + '\n');
    return ['auth:', '  htpasswd:', '    realm: kiln-test', `    path: ${yamlQuote(file)}`];
  }
  return [
    'auth:',
    '  token:',
    `    realm: ${yamlQuote(auth.realm)}`,
    `    service: ${yamlQuote(auth.service)}`,
    `    issuer: ${yamlQuote(auth.issuer)}`,
    `    rootcertbundle: ${yamlQuote(auth.rootCertBundle)}`,
  ];
}

function proxyYaml(proxy: StartRegistryOptions['proxy']): string[] {
  if (!proxy) return [];
  const lines = ['proxy:', `  remoteurl: ${yamlQuote(proxy.remoteUrl)}`];
  if (proxy.username !== undefined) lines.push(`  username: ${yamlQuote(proxy.username)}`);
  if (proxy.password !== undefined) lines.push(`  password: ${yamlQuote(proxy.password)}`);
  return lines;
}

// The access log (Apache combined format, one line per request, 401s included) is interleaved
// with the JSON application log in the same file.
const ACCESS_LINE = /^\S+ \S+ \S+ \[[^\]]+\] "(\S+) (\S+) HTTP\/[\d.]+" (\d{3}) /;

export function parseRequests(log: string): RegistryRequest[] {
  const out: RegistryRequest[] = [];
  for (const line of log.split('\n')) {
    const m = ACCESS_LINE.exec(line);
    if (m) out.push({ method: m[1] ?? '', uri: m[2] ?? '', status: Number(m[3]) });
  }
  return out;
}

async function startOnce(opts: StartRegistryOptions): Promise<Registry> {
  const dir = mkdtempSync(join(opts.parentDir ?? tmpdir(), 'kiln-registry-'));
  mkdirSync(join(dir, 'data'));
  const port = await freePort();
  const configFile = join(dir, 'config.yml');
  writeFileSync(configFile, configYaml(dir, port, opts));
  const logFile = join(dir, 'registry.log');
  const svc = spawnService({ command: 'docker-registry', args: ['serve', configFile], logFile, ownerPid: opts.ownerPid });
  const scheme = opts.tls ? 'https' : 'http';
  const url = `${scheme}://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/v2/`, {
      what: `registry on port ${port}`,
      ca: opts.tls ? readFileSync(opts.tls.caFile) : undefined,
      alive: () => isAlive(svc.pgid),
    });
  } catch (err) {
    await svc.stop();
    const log = readFileSync(logFile, 'utf8').slice(-2000);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n${log}`, { cause: err });
  }
  return {
    host: `127.0.0.1:${port}`,
    url,
    dir,
    logFile,
    pgid: svc.pgid,
    requests: () => parseRequests(readFileSync(logFile, 'utf8')),
    stop: async () => {
      await svc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Start a registry; retries on a port taken between choosing and binding it. */
export async function startRegistry(opts: StartRegistryOptions = {}): Promise<Registry> {
  let last: unknown;
  for (let i = 0; i < 3; i++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      last = err;
      if (!String((err as Error).message).includes('address already in use')) throw err;
    }
  }
  throw last;
}
