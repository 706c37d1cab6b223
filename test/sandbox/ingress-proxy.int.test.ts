import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rm } from 'node:fs/promises';
import { createIngressTrust, probeIngressRoute, type IngressTrust } from '../../src/probers/ingress.js';
import {
  createCertAuthority,
  issueLeafCert,
  makeCertDir,
  validity,
  type LeafCert,
} from '../../sandbox/certs.js';
import {
  startIngressProxy,
  type IngressProxy,
  type ProxyCert,
  type RouteTable,
} from '../../sandbox/ingress-proxy.js';
import { startBackend, type Backend } from '../helpers/nginx.js';

// TLS needs openssl-made certificates, hence an integration test.
describe('startIngressProxy over HTTPS with SNI', () => {
  let dir = '';
  let proxy: IngressProxy | undefined;
  let app: Backend | undefined;
  let trust: IngressTrust = {};
  let certs: ProxyCert[] = [];
  const leaves: Record<string, LeafCert> = {};

  beforeAll(async () => {
    dir = await makeCertDir('netprobe-proxy-int-');
    const ca = await createCertAuthority(dir);
    trust = createIngressTrust(ca.certPem);
    leaves.fallback = await issueLeafCert(ca, {
      name: 'fallback',
      hosts: ['ingress.invalid'],
      ...validity(365),
    });
    leaves.valid = await issueLeafCert(ca, { name: 'valid', hosts: ['valid.test'], ...validity(365) });
    leaves.expired = await issueLeafCert(ca, { name: 'expired', hosts: ['expired.test'], ...validity(-1) });
    leaves.wild = await issueLeafCert(ca, { name: 'wild', hosts: ['*.wild.test'], ...validity(30) });
    certs = Object.values(leaves).map((l) => ({ hosts: l.hosts, cert: l.cert, key: l.key }));
    app = await startBackend((req, res) => res.end(`app ${req.headers.host ?? ''}`));
    const port = app.port;
    const table: RouteTable = ['valid.test', 'expired.test', '*.wild.test', 'nocert.test'].map((host) => ({
      host,
      path: '/',
      pathType: 'Prefix',
      backends: [{ host: '127.0.0.1', port }],
    }));
    proxy = await startIngressProxy({
      httpPort: 0,
      httpsPort: 0,
      address: '127.0.0.1',
      routes: () => table,
      certs: () => certs,
    });
  });

  afterAll(async () => {
    await proxy?.close();
    await app?.close();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  const probe = (host: string) =>
    probeIngressRoute(
      {
        scheme: 'https',
        address: { host: '127.0.0.1', port: proxy?.httpsPort ?? 0 },
        host,
        path: '/',
        maxBodyBytes: 1024,
        trust,
      },
      AbortSignal.timeout(5000),
    );

  it.each([
    ['valid.test', 'ok', { verified: true, hostnameMatch: true }],
    ['netprobe-probe.wild.test', 'ok', { verified: true, hostnameMatch: true }],
    ['expired.test', 'tls_error', { verified: false, hostnameMatch: true, verifyError: 'CERT_HAS_EXPIRED' }],
    ['nocert.test', 'tls_error', { verified: true, hostnameMatch: false }], // served the first (fallback) cert
  ])('%s: %s', async (host, result, tls) => {
    const r = await probe(host);
    expect(r).toMatchObject({ result, statusCode: 200, tls });
  });

  it('picks the certificate per SNI by its notAfter', async () => {
    const [valid, wild] = await Promise.all([probe('valid.test'), probe('x.wild.test')]);
    expect(valid.tls?.notAfter).toBe(Math.floor((leaves.valid?.notAfter.getTime() ?? 0) / 1000));
    expect(wild.tls?.notAfter).toBe(Math.floor((leaves.wild?.notAfter.getTime() ?? 0) / 1000));
  });

  it('serves a replaced certificate on the next handshake', async () => {
    const before = certs;
    certs = [
      ...certs.filter((c) => !c.hosts.includes('valid.test')),
      { ...certs[2], hosts: ['valid.test'] } as ProxyCert,
    ];
    try {
      expect((await probe('valid.test')).tls).toMatchObject({
        verified: false,
        verifyError: 'CERT_HAS_EXPIRED',
      });
    } finally {
      certs = before;
    }
  });
});
