// Connections: one undici Agent per TLS setting (keep-alive, bounded sockets per origin),
// created lazily and closed with the client. CA bundles are passed explicitly: Node's
// bundled roots, the system bundle, NODE_EXTRA_CA_CERTS and --registry-certificate.
import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { Agent, type Dispatcher, EnvHttpProxyAgent } from 'undici';
import { KilnError } from '../errors.ts';
import type { RegistryOptions } from './options.ts';

export type Direction = 'pull' | 'push';
export type Scheme = 'https' | 'http';

export const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export interface TransportOptions {
  options: RegistryOptions;
  env: NodeJS.ProcessEnv;
  /** Sockets per origin (default 8). */
  connectionsPerOrigin?: number;
  /** System CA bundle path (tests point it elsewhere). */
  systemCaBundle?: string;
  /** Send loopback hosts through HTTP(S)_PROXY too (Go and Kiln bypass them by default). */
  proxyLoopback?: boolean;
}

export interface Transport {
  dispatcher(host: string, direction: Direction): Promise<Dispatcher>;
  /** The schemes to try for a registry, in order. */
  schemes(registry: string, direction: Direction): Scheme[];
  close(): Promise<void>;
}

function hostMatches(list: readonly string[] | Readonly<Record<string, unknown>>, host: string): string | undefined {
  const keys = Array.isArray(list) ? (list as string[]) : Object.keys(list);
  const bare = host.replace(/:\d+$/, '');
  return keys.find((k) => k === host) ?? keys.find((k) => k === bare);
}

function isLoopback(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** https first; http too where the options allow it, or for loopback hosts (as ggcr does). */
export function schemesFor(registry: string, direction: Direction, options: RegistryOptions): Scheme[] {
  const insecure =
    hostMatches(options.insecureRegistries, registry) !== undefined ||
    (direction === 'pull' && options.insecurePull) ||
    (direction === 'push' && options.insecure);
  return insecure || isLoopback(registry) ? ['https', 'http'] : ['https'];
}

/** Whether TLS certificates of `host` are verified for this direction. */
export function verifiesTls(host: string, direction: Direction, options: RegistryOptions): boolean {
  if (hostMatches(options.skipTlsVerifyRegistries, host) !== undefined) return false;
  return direction === 'pull' ? !options.skipTlsVerifyPull : !options.skipTlsVerify;
}

export function createTransport(t: TransportOptions): Transport {
  const agents = new Map<string, Promise<Dispatcher>>();
  const { options } = t;
  const build = async (host: string, verify: boolean): Promise<Dispatcher> => {
    const caKey = hostMatches(options.registryCertificates, host);
    const certKey = hostMatches(options.registryClientCerts, host);
    const ca = verify ? await caBundle(t, caKey === undefined ? undefined : options.registryCertificates[caKey]) : undefined;
    const client = certKey === undefined ? undefined : options.registryClientCerts[certKey];
    const cert = client === undefined ? undefined : await readPem(client.cert, `client certificate for ${host}`);
    const key = client === undefined ? undefined : await readPem(client.key, `client key for ${host}`);
    const tls = { rejectUnauthorized: verify, ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
    const base = { connections: t.connectionsPerOrigin ?? 8, keepAliveTimeout: 30_000, connect: tls };
    const proxy = proxiesFor(host, t);
    return proxy === undefined ? new Agent(base) : new EnvHttpProxyAgent({ ...base, ...proxy, requestTls: tls });
  };
  return {
    schemes: (registry, direction) => schemesFor(registry, direction, options),
    dispatcher(host, direction) {
      const verify = verifiesTls(host, direction, options);
      const caKey = hostMatches(options.registryCertificates, host) ?? '';
      const certKey = hostMatches(options.registryClientCerts, host) ?? '';
      const proxied = proxiesFor(host, t) === undefined ? 'direct' : 'proxy';
      const key = `${proxied}|${verify ? `verify|${caKey}` : 'noverify'}|${certKey}`;
      let agent = agents.get(key);
      if (agent === undefined) {
        agent = build(host, verify);
        agent.catch(() => agents.delete(key));
        agents.set(key, agent);
      }
      return agent;
    },
    async close() {
      const all = [...agents.values()];
      agents.clear();
      await Promise.all(all.map(async (a) => (await a.catch(() => undefined))?.close()));
    },
  };
}

/**
 * HTTP_PROXY, HTTPS_PROXY and NO_PROXY (either case) from the environment Kiln was given, as
 * Go's ProxyFromEnvironment reads them: loopback hosts never go through a proxy.
 */
export function proxiesFor(host: string, t: Pick<TransportOptions, 'env' | 'proxyLoopback'>): { httpProxy: string; httpsProxy: string; noProxy: string } | undefined {
  const e = t.env;
  const httpProxy = e['HTTP_PROXY'] ?? e['http_proxy'] ?? '';
  const httpsProxy = e['HTTPS_PROXY'] ?? e['https_proxy'] ?? '';
  if (httpProxy === '' && httpsProxy === '') return undefined;
  if (isLoopback(host) && t.proxyLoopback !== true) return undefined;
  return { httpProxy, httpsProxy: httpsProxy || httpProxy, noProxy: e['NO_PROXY'] ?? e['no_proxy'] ?? '' };
}

const PEM_CERT_RE = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]*?-----END CERTIFICATE-----/g;

const pemBody = (block: string): string => block.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');

/**
 * `pem` without the certificates Node's bundled roots already hold (the system bundle mostly
 * repeats them, and parsing each costs ~0.2 ms on every TLS connection). Nothing else changes.
 */
export function withoutBundledRoots(pem: string): string {
  const bundled = new Set(rootCertificates.map(pemBody));
  return pem.replace(PEM_CERT_RE, (block) => (bundled.has(pemBody(block)) ? '' : block));
}

async function caBundle(t: TransportOptions, extraFile: string | undefined): Promise<string[]> {
  const out = [...rootCertificates];
  const system = t.systemCaBundle ?? SYSTEM_CA_BUNDLE;
  const sys = await readFile(system, 'utf8').catch(() => undefined);
  if (sys !== undefined) out.push(withoutBundledRoots(sys));
  const nodeExtra = t.env['NODE_EXTRA_CA_CERTS'];
  if (nodeExtra) {
    const extra = await readFile(nodeExtra, 'utf8').catch(() => undefined);
    if (extra !== undefined) out.push(extra);
  }
  if (extraFile !== undefined) out.push(await readPem(extraFile, 'registry certificate'));
  return out;
}

async function readPem(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new KilnError('E_USAGE', `reading ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? 'failed'}`, { cause: e });
  }
}
