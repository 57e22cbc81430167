// Self-signed CA and certificates for the test registries, made with the openssl CLI.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CertPair {
  certFile: string;
  keyFile: string;
}

export interface Pki {
  ca: CertPair;
  /** Server certificate for 127.0.0.1, ::1 and localhost, signed by the CA. */
  server: CertPair;
  /** Self-signed certificate whose key signs bearer tokens (the registry's rootcertbundle). */
  tokenSigner: CertPair;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function selfSigned(dir: string, name: string, subject: string): CertPair {
  const pair = { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
  openssl(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '3650', '-subj', subject,
      '-keyout', pair.keyFile, '-out', pair.certFile,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature'],
    dir,
  );
  return pair;
}

function serverCert(dir: string, ca: CertPair): CertPair {
  const pair = { certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key') };
  const csr = join(dir, 'server.csr');
  const ext = join(dir, 'server.ext');
  writeFileSync(
    ext,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
      '',
    ].join('\n'),
  );
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', pair.keyFile, '-out', csr], dir);
  openssl(
    ['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial',
      '-days', '3650', '-sha256', '-extfile', ext, '-out', pair.certFile],
    dir,
  );
  return pair;
}

/** Make a CA, a loopback server certificate and a token-signing certificate under dir. */
export function createPki(dir: string): Pki {
  mkdirSync(dir, { recursive: true });
  const ca = selfSigned(dir, 'ca', '/CN=Kiln Test CA');
  const server = serverCert(dir, ca);
  const tokenSigner = selfSigned(dir, 'token-signer', '/CN=Kiln Test Token Issuer');
  return { ca, server, tokenSigner };
}
