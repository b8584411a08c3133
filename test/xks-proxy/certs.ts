/** Throwaway certificates made with openssl for TLS and mutual-TLS tests. */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Pem {
  readonly cert: string;
  readonly key: string;
  readonly certFile: string;
  readonly keyFile: string;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe' });
}

function read(dir: string, name: string): Pem {
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  return { cert: fs.readFileSync(certFile, 'utf8'), key: fs.readFileSync(keyFile, 'utf8'), certFile, keyFile };
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** A self-signed certificate authority. */
export function makeCa(dir: string, name: string): Pem {
  openssl(['req', '-x509', ...EC, '-keyout', path.join(dir, `${name}.key`), '-out', path.join(dir, `${name}.crt`), '-subj', `/CN=${name}`, '-days', '1']);
  return read(dir, name);
}

/** A leaf certificate for `commonName`, signed by `ca`; servers get localhost names. */
export function makeLeaf(dir: string, name: string, commonName: string, ca: Pem, server = false): Pem {
  const csr = path.join(dir, `${name}.csr`);
  const ext = path.join(dir, `${name}.ext`);
  fs.writeFileSync(ext, server
    ? 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'
    : 'extendedKeyUsage=clientAuth\n');
  openssl(['req', ...EC, '-keyout', path.join(dir, `${name}.key`), '-out', csr, '-subj', `/CN=${commonName}`]);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial', '-out', path.join(dir, `${name}.crt`), '-days', '1', '-extfile', ext]);
  return read(dir, name);
}
