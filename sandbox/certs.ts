import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A private certificate authority made with the openssl CLI, kept in `dir`. */
export interface CertAuthority {
  dir: string;
  certFile: string;
  keyFile: string;
  /** PEM of the CA certificate, to trust it (tls `ca`, netprobe's caFile). */
  certPem: string;
}

/** A leaf certificate and its key, as files and as PEM text. */
export interface LeafCert {
  name: string;
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
  hosts: string[];
  notBefore: Date;
  notAfter: Date;
}

/** What to issue: DNS names (SAN) and validity window. */
export interface LeafSpec {
  /** File stem, unique within the CA's directory: [a-z0-9-]. */
  name: string;
  hosts: string[];
  notBefore: Date;
  notAfter: Date;
}

const DAY_MS = 86_400_000;

// `openssl ca` is used for leaves because it is the only openssl 3.0 command that takes explicit
// start and end dates (x509 -not_before/-not_after arrived in 3.4), which an expired cert needs.
// Each leaf gets its own config and database (and a random serial) so issuing can run in parallel.
const leafConfig = (name: string, hosts: string[]): string => `[ ca ]
default_ca = local
[ local ]
database = ${name}.index
serial = ${name}.serial
new_certs_dir = issued
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
commonName = supplied
[ leaf ]
basicConstraints = CA:FALSE
extendedKeyUsage = serverAuth
subjectAltName = ${hosts.map((h) => `DNS:${h}`).join(',')}
`;

/** Creates a temporary directory for certificates (the caller removes it). */
export async function makeCertDir(prefix = 'netprobe-certs-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Makes a self-signed P-256 CA valid for ten years in `dir`. */
export async function createCertAuthority(
  dir: string,
  commonName = 'netprobe test CA',
): Promise<CertAuthority> {
  const certFile = join(dir, 'ca.crt');
  const keyFile = join(dir, 'ca.key');
  await mkdir(join(dir, 'issued'), { recursive: true });
  await openssl(dir, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-subj', `/CN=${commonName}`, '-days', '3650',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]); // prettier-ignore
  return { dir, certFile, keyFile, certPem: await readFile(certFile, 'utf8') };
}

/** Issues a leaf certificate for `spec.hosts` (first host is the CN), signed by `ca`. */
export async function issueLeafCert(ca: CertAuthority, spec: LeafSpec): Promise<LeafCert> {
  if (!/^[a-z0-9-]+$/.test(spec.name))
    throw new Error(`invalid certificate name ${JSON.stringify(spec.name)}`);
  const [first] = spec.hosts;
  if (first === undefined) throw new Error('a leaf certificate needs at least one host');
  const base = join(ca.dir, spec.name);
  await writeFile(`${base}.cnf`, leafConfig(spec.name, spec.hosts));
  await writeFile(`${base}.index`, '');
  await writeFile(`${base}.serial`, '01\n');
  await openssl(ca.dir, [
    'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${first}`,
  ]); // prettier-ignore
  await openssl(ca.dir, [
    'ca', '-batch', '-config', `${base}.cnf`, '-rand_serial', '-cert', ca.certFile, '-keyfile', ca.keyFile,
    '-in', `${base}.csr`, '-out', `${base}.crt`, '-extensions', 'leaf', '-notext',
    '-startdate', opensslTime(spec.notBefore), '-enddate', opensslTime(spec.notAfter),
  ]); // prettier-ignore
  const [cert, key] = await Promise.all([readFile(`${base}.crt`, 'utf8'), readFile(`${base}.key`, 'utf8')]);
  return { ...spec, certFile: `${base}.crt`, keyFile: `${base}.key`, cert, key };
}

/** Validity window starting 30 days before the end (or now) and ending `days` from `now` (negative days: already expired). */
export function validity(days: number, now: Date = new Date()): { notBefore: Date; notAfter: Date } {
  const notAfter = new Date(now.getTime() + days * DAY_MS);
  const notBefore = new Date(Math.min(now.getTime(), notAfter.getTime()) - 30 * DAY_MS);
  return { notBefore, notAfter };
}

/** The four certificates the tests and the demo need for one host. */
export interface CertSet {
  ca: CertAuthority;
  valid: LeafCert;
  expiringSoon: LeafCert;
  wrongHost: LeafCert;
  expired: LeafCert;
}

/** Makes a CA and, for `host`: a valid cert (1 year), one expiring in `soonDays`, one for another name, an expired one. */
export async function createCertSet(dir: string, host: string, soonDays = 5): Promise<CertSet> {
  const ca = await createCertAuthority(dir);
  const [valid, expiringSoon, wrongHost, expired] = await Promise.all([
    issueLeafCert(ca, { name: 'valid', hosts: [host], ...validity(365) }),
    issueLeafCert(ca, { name: 'expiring-soon', hosts: [host], ...validity(soonDays) }),
    issueLeafCert(ca, { name: 'wrong-host', hosts: [`wrong-${host}`], ...validity(365) }),
    issueLeafCert(ca, { name: 'expired', hosts: [host], ...validity(-2) }),
  ]);
  return { ca, valid, expiringSoon, wrongHost, expired };
}

/** GeneralizedTime as `openssl ca -startdate/-enddate` accept it: YYYYMMDDHHMMSSZ in UTC. */
function opensslTime(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

async function openssl(cwd: string, args: string[]): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (err) {
    const stderr = (err as { stderr?: unknown }).stderr;
    throw new Error(
      `openssl ${args[0] ?? ''} failed: ${typeof stderr === 'string' ? stderr.trim() : String(err)}`,
      { cause: err },
    );
  }
}
