import { probeDns, type DnsTarget } from '../../src/probers/dns.js';
import { startSandboxDns, type SandboxAnswer, type SandboxDns } from '../../sandbox/dns-server.js';

const API = 'kubernetes.default.svc.cluster.local';
const SRV = `_https._tcp.${API}`;

function records(name: string, type: string): readonly SandboxAnswer[] | 'nxdomain' {
  if (name === 'boom.cluster.local') throw new Error('provider failed');
  if (name === API) return type === 'A' ? [{ type: 'A', address: '10.96.0.1' }] : [];
  if (name === SRV)
    return type === 'SRV' ? [{ type: 'SRV', priority: 0, weight: 100, port: 443, target: API }] : [];
  return 'nxdomain';
}

let dns: SandboxDns;

beforeAll(async () => {
  // Not 127.0.0.1: the demo runs one replica per loopback address.
  dns = await startSandboxDns({ address: '127.0.0.53', port: 0, records });
});

afterAll(async () => {
  await dns.close();
});

function probe(overrides: Partial<DnsTarget> = {}) {
  const target: DnsTarget = {
    server: { address: dns.address, port: dns.port },
    name: API,
    type: 'A',
    mode: 'fqdn',
    search: [],
    ndots: 1,
    timeoutSeconds: 2,
    ...overrides,
  };
  return probeDns(target, new AbortController().signal);
}

describe('startSandboxDns', () => {
  it('listens on the chosen loopback address', () => {
    expect(dns.address).toBe('127.0.0.53');
    expect(dns.port).toBeGreaterThan(0);
  });

  it('answers A and SRV records from the provider', async () => {
    expect(await probe()).toMatchObject({ outcome: 'success', answers: 1 });
    expect(await probe({ name: SRV, type: 'SRV' })).toMatchObject({ outcome: 'success', answers: 1 });
  });

  it('passes the name lower-cased, so lookups are case-insensitive', async () => {
    expect(await probe({ name: API.toUpperCase() })).toMatchObject({ outcome: 'success', answers: 1 });
  });

  it('answers NODATA, NXDOMAIN, and SERVFAIL when the provider throws', async () => {
    expect(await probe({ type: 'AAAA' })).toMatchObject({ outcome: 'success', answers: 0 });
    expect(await probe({ name: 'nothere.cluster.local' })).toMatchObject({ outcome: 'nxdomain' });
    expect(await probe({ name: 'boom.cluster.local' })).toMatchObject({ outcome: 'servfail' });
  });

  it('stops answering after stop() and answers again after start()', async () => {
    dns.stop();
    try {
      expect(await probe({ timeoutSeconds: 0.2 })).toMatchObject({ outcome: 'timeout' });
    } finally {
      dns.start();
    }
    expect(await probe()).toMatchObject({ outcome: 'success' });
  });

  it('delays replies by setDelay()', async () => {
    dns.setDelay(1000);
    try {
      expect(await probe({ timeoutSeconds: 0.1 })).toMatchObject({ outcome: 'timeout' });
    } finally {
      dns.setDelay(0);
    }
    expect(await probe()).toMatchObject({ outcome: 'success' });
  });

  it('answers SERVFAIL to every query with setServfail(1) and to about that share with a ratio', async () => {
    dns.setServfail(1);
    try {
      expect(await probe()).toMatchObject({ outcome: 'servfail' });
      dns.setServfail(0.5);
      const outcomes = await Promise.all(Array.from({ length: 200 }, () => probe()));
      const failed = outcomes.filter((o) => o.outcome === 'servfail').length;
      // Binomial(200, 0.5): outside 60..140 with a probability far below 1e-8.
      expect(failed).toBeGreaterThan(60);
      expect(failed).toBeLessThan(140);
      expect(outcomes.every((o) => o.outcome === 'servfail' || o.outcome === 'success')).toBe(true);
    } finally {
      dns.setServfail(0);
    }
    expect(await probe()).toMatchObject({ outcome: 'success' });
  });

  it('frees its port on close()', async () => {
    const other = await startSandboxDns({ address: '127.0.0.54', port: 0, records });
    const port = other.port;
    await other.close();
    const again = await startSandboxDns({ address: '127.0.0.54', port, records });
    await again.close();
    expect(again.port).toBe(port);
  });
});
