// TLS against a port-0 HTTPS server with certificates made by openssl in a temp dir:
// --registry-certificate, --registry-client-cert (mutual TLS), the skip-verify flags.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { silentLogger } from '../log.ts';
import { parseReference } from '../reference/index.ts';
import { createRegistryClient } from './client.ts';
import { defaultRegistryOptions, type RegistryOptions } from './options.ts';

async function pki(): Promise<Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', string>> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-tls-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const f = (n: string): string => join(dir, n);
  const ssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=kiln test ca');
  await writeFile(f('server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await writeFile(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    ssl('req', ...ec, '-keyout', f(`${who}.key`), '-out', f(`${who}.csr`), '-subj', `/CN=${who}`);
    ssl('x509', '-req', '-in', f(`${who}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f(`${who}.ext`), '-out', f(`${who}.crt`));
  }
  return { ca: f('ca.crt'), serverCert: f('server.crt'), serverKey: f('server.key'), clientCert: f('client.crt'), clientKey: f('client.key') };
}

/** An HTTPS "registry" that wants a client certificate and knows no manifests. */
async function tlsServer(p: Awaited<ReturnType<typeof pki>>, opts: { requireClientCert: boolean }): Promise<string> {
  const server = createServer({
    cert: await readFile(p.serverCert), key: await readFile(p.serverKey), ca: await readFile(p.ca),
    requestCert: opts.requireClientCert, rejectUnauthorized: opts.requireClientCert,
  }, (req, res) => {
    if (req.url === '/v2/') return void res.writeHead(200).end('{}');
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function client(options: Partial<RegistryOptions>) {
  const c = createRegistryClient({ options: { ...defaultRegistryOptions, ...options }, logger: silentLogger, env: {}, retry: { attempts: 1 } });
  onTestFinished(() => c.close());
  return c;
}

// a 404 from the server proves the TLS handshake succeeded
const reached = { code: 'E_REGISTRY', status: 404 };

describe('TLS options', () => {
  it('trusts a CA given with --registry-certificate, and only then', async () => {
    const p = await pki();
    const host = await tlsServer(p, { requireClientCert: false });
    const ref = parseReference(`${host}/a:1`);
    await expect(client({ registryCertificates: { [host]: p.ca } }).manifest(ref)).rejects.toMatchObject(reached);
    await expect(client({ registryCertificates: { '127.0.0.1': p.ca } }).manifest(ref)).rejects.toMatchObject(reached);
    const err = await client({}).manifest(ref).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'E_REGISTRY_NETWORK' });
    expect((err as Error).message).toMatch(/TLS failure/);
    await expect(client({ skipTlsVerifyPull: true }).manifest(ref)).rejects.toMatchObject(reached);
    await expect(client({ skipTlsVerifyRegistries: [host] }).manifest(ref)).rejects.toMatchObject(reached);
  });

  it('presents the client certificate of --registry-client-cert (mutual TLS)', async () => {
    const p = await pki();
    const host = await tlsServer(p, { requireClientCert: true });
    const ref = parseReference(`${host}/a:1`);
    const certs = { registryCertificates: { [host]: p.ca } };
    await expect(client({ ...certs, registryClientCerts: { [host]: { cert: p.clientCert, key: p.clientKey } } }).manifest(ref)).rejects.toMatchObject(reached);
    await expect(client(certs).manifest(ref)).rejects.toMatchObject({ code: 'E_REGISTRY_NETWORK' });
    await expect(client({ ...certs, registryClientCerts: { [host]: { cert: '/nonexistent.pem', key: p.clientKey } } }).manifest(ref)).rejects.toThrow(/client certificate for .*nonexistent\.pem: ENOENT/);
  });
});
