import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A key and self-signed certificate in PEM. */
export interface KeyPair {
  keyPem: string;
  certPem: string;
}

/** Makes a one-day self-signed P-256 certificate for 127.0.0.1/localhost with openssl (node:crypto cannot sign X.509). */
export async function selfSignedCert(): Promise<KeyPair> {
  const dir = await mkdtemp(join(tmpdir(), 'fake-api-tls-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=netprobe-fake-apiserver',
      '-addext',
      'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
    ]);
    return { keyPem: await readFile(key, 'utf8'), certPem: await readFile(cert, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
