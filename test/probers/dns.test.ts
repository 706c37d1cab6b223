import { createSocket } from 'node:dgram';
import { probeDns, type DnsTarget } from '../../src/probers/dns.js';
import type { SandboxAnswer } from '../../sandbox/dns-server.js';
import { startTestDnsServer, type TestDnsServer } from '../helpers/dns-test-server.js';

const K8S_SEARCH = ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'];
const API = 'kubernetes.default.svc.cluster.local';
// Enough TXT strings to push the reply past 512 bytes, so the server itself sets TC over UDP.
const LONG_TXT = Array.from({ length: 12 }, (_, i) => ({
  type: 'TXT' as const,
  data: `${i}-${'x'.repeat(60)}`,
}));

let server: TestDnsServer;

beforeAll(async () => {
  server = await startTestDnsServer(
    new Map<string, readonly SandboxAnswer[]>([
      [API, [{ type: 'A', address: '10.96.0.1' }]],
      [`_https._tcp.${API}`, [{ type: 'SRV', priority: 0, weight: 100, port: 443, target: API }]],
      ['big.cluster.local', LONG_TXT],
      ['alias.cluster.local', [{ type: 'CNAME', domain: API }]],
    ]),
  );
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => server.reset());

function target(overrides: Partial<DnsTarget> = {}): DnsTarget {
  return {
    server: { address: server.address, port: server.port },
    name: API,
    type: 'A',
    mode: 'fqdn',
    search: K8S_SEARCH,
    ndots: 5,
    timeoutSeconds: 2,
    ...overrides,
  };
}

function probe(overrides: Partial<DnsTarget> = {}, signal = new AbortController().signal) {
  return probeDns(target(overrides), signal);
}

describe('probeDns, one name', () => {
  it('succeeds with the answer count and the RCODE', async () => {
    const result = await probe();
    expect(result).toMatchObject({ outcome: 'success', rcode: 'NOERROR', answers: 1, queries: 1, name: API });
    expect(result.durationSeconds).toBeGreaterThan(0);
    expect(server.received).toEqual([{ name: API, type: 'A', transport: 'udp' }]);
  });

  it.each([
    ['SRV', `_https._tcp.${API}`],
    ['CNAME', 'alias.cluster.local'],
  ] as const)('asks for %s records', async (type, name) => {
    expect(await probe({ type, name })).toMatchObject({ outcome: 'success', answers: 1 });
  });

  it('counts NODATA as success with no answers', async () => {
    expect(await probe({ type: 'AAAA' })).toMatchObject({ outcome: 'success', rcode: 'NOERROR', answers: 0 });
  });

  it.each([
    ['nxdomain', 'nxdomain', 'NXDOMAIN'],
    ['servfail', 'servfail', 'SERVFAIL'],
    ['refused', 'refused', 'REFUSED'],
  ] as const)('reports %s', async (mode, outcome, rcode) => {
    server.setMode(mode);
    expect(await probe()).toMatchObject({ outcome, rcode, answers: 0, queries: 1 });
  });

  it('times out on a server that drops the query', async () => {
    server.setMode('drop');
    const result = await probe({ timeoutSeconds: 0.2 });
    expect(result).toMatchObject({ outcome: 'timeout', queries: 1, answers: 0 });
    expect(result.rcode).toBeUndefined();
  });

  it('stops when the caller aborts, even with a long timeout', async () => {
    server.setMode('drop');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const result = await probe({ timeoutSeconds: 60 }, controller.signal);
    expect(result).toMatchObject({ outcome: 'timeout', queries: 1 });
    expect(result.detail).toContain('aborted');
  });

  it('sends nothing when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(await probe({}, controller.signal)).toMatchObject({ outcome: 'timeout' });
  });

  it('retries over TCP when the UDP reply is truncated (TC bit)', async () => {
    server.setMode('truncate');
    expect(await probe()).toMatchObject({ outcome: 'success', answers: 1, queries: 2 });
    expect(server.received.map((q) => q.transport)).toEqual(['udp', 'tcp']);
  });

  it('retries over TCP when the answer does not fit in 512 bytes', async () => {
    const result = await probe({ name: 'big.cluster.local', type: 'TXT' });
    expect(result).toMatchObject({ outcome: 'success', answers: LONG_TXT.length, queries: 2 });
  });

  it('reports an error when the TCP reply is still truncated (TC bit), even with answers', async () => {
    server.setMode('tcp-truncate');
    const result = await probe();
    expect(result).toMatchObject({ outcome: 'error', queries: 2, answers: 0 });
    expect(result.detail).toContain('still truncated');
    expect(server.received.map((q) => q.transport)).toEqual(['udp', 'tcp']);
  });

  it('reports an error when the TCP retry gets garbage', async () => {
    server.setMode('tcp-garbage');
    expect(await probe()).toMatchObject({ outcome: 'error', queries: 2 });
  });

  it.each(['garbage', 'wrong-id'] as const)(
    'reports an error, not a timeout, when only %s came back',
    async (mode) => {
      server.setMode(mode);
      const result = await probe({ timeoutSeconds: 0.3 });
      expect(result).toMatchObject({ outcome: 'error', queries: 1 });
      expect(result.detail).toContain('no valid reply');
    },
  );

  it.each(['garbage-then-answer', 'wrong-id-then-answer'] as const)(
    'ignores a stray packet and takes the real reply (%s)',
    async (mode) => {
      server.setMode(mode);
      expect(await probe()).toMatchObject({ outcome: 'success', answers: 1, queries: 1 });
    },
  );

  it('reports an error when nothing listens on the server port', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const port = socket.address().port;
    await new Promise<void>((resolve) => socket.close(resolve));
    const result = await probeDns(
      { ...target(), server: { address: '127.0.0.1', port } },
      new AbortController().signal,
    );
    expect(result).toMatchObject({ outcome: 'error', queries: 1 });
    expect(result.detail).toContain('refused');
  });

  it.each([
    ['an empty label', 'a..b'],
    ['a label over 63 octets', `${'a'.repeat(64)}.example`],
    ['a non-ASCII name', 'bücher.example'],
  ])('reports an error, without sending, for %s', async (_what, name) => {
    expect(await probe({ name })).toMatchObject({ outcome: 'error', queries: 0 });
    expect(server.received).toEqual([]);
  });

  it('reports an error for a server that is not an IP address', async () => {
    expect(
      await probeDns(
        { ...target(), server: { address: 'localhost', port: server.port } },
        new AbortController().signal,
      ),
    ).toMatchObject({
      outcome: 'error',
      queries: 0,
    });
  });

  it('queries a name with a trailing dot once, in fqdn and in search mode', async () => {
    expect(await probe({ name: `${API}.` })).toMatchObject({ outcome: 'success', queries: 1 });
    expect(await probe({ name: `${API}.`, mode: 'search' })).toMatchObject({
      outcome: 'success',
      queries: 1,
    });
  });
});

describe('probeDns, search mode (glibc search list and ndots)', () => {
  it('finds kubernetes.default on the second candidate: 2 wire queries', async () => {
    const result = await probe({ name: 'kubernetes.default', mode: 'search' });
    expect(result).toMatchObject({ outcome: 'success', answers: 1, queries: 2, name: API });
    expect(server.received.map((q) => q.name)).toEqual([`kubernetes.default.default.svc.cluster.local`, API]);
  });

  it('pays 4 queries for a full cluster name without the trailing dot under ndots:5', async () => {
    expect(await probe({ mode: 'search' })).toMatchObject({ outcome: 'success', queries: 4, name: API });
  });

  it('tries the name as is first when it has ndots dots', async () => {
    expect(await probe({ mode: 'search', ndots: 4 })).toMatchObject({ outcome: 'success', queries: 1 });
  });

  it('goes through every candidate for a missing name and reports NXDOMAIN', async () => {
    const result = await probe({ name: 'nothere', mode: 'search' });
    expect(result).toMatchObject({ outcome: 'nxdomain', rcode: 'NXDOMAIN', queries: 4, name: 'nothere' });
  });

  it('continues past NODATA, and reports it (as success, no answers) when nothing else answers', async () => {
    const result = await probe({ name: 'kubernetes.default', mode: 'search', type: 'AAAA' });
    expect(result).toMatchObject({ outcome: 'success', answers: 0, queries: 4, name: API });
  });

  it('continues past SERVFAIL to the next candidate', async () => {
    server.setModeFor('kubernetes.default.default.svc.cluster.local', 'servfail');
    expect(await probe({ name: 'kubernetes.default', mode: 'search' })).toMatchObject({
      outcome: 'success',
      queries: 2,
    });
  });

  it('reports SERVFAIL when every candidate fails so', async () => {
    server.setMode('servfail');
    expect(await probe({ name: 'kubernetes.default', mode: 'search' })).toMatchObject({
      outcome: 'servfail',
      queries: 4,
    });
  });

  it('stops the search list at REFUSED, then tries the name as is (as glibc does)', async () => {
    server.setMode('refused');
    const result = await probe({ name: 'kubernetes.default', mode: 'search' });
    expect(result).toMatchObject({ outcome: 'refused', queries: 2 });
    expect(server.received.map((q) => q.name)).toEqual([
      'kubernetes.default.default.svc.cluster.local',
      'kubernetes.default',
    ]);
  });

  it('reports the as-is result when the name was tried as is first', async () => {
    server.setModeFor('a.b.c.d.e.f', 'servfail');
    const result = await probe({ name: 'a.b.c.d.e.f', mode: 'search' });
    expect(result).toMatchObject({ outcome: 'servfail', queries: 4, name: 'a.b.c.d.e.f' });
  });

  it('stops at the first timeout: the timeout is the budget of the whole lookup', async () => {
    server.setMode('drop');
    expect(await probe({ name: 'kubernetes.default', mode: 'search', timeoutSeconds: 0.2 })).toMatchObject({
      outcome: 'timeout',
      queries: 1,
    });
  });

  it('gives each query its own timeout: a server that drops queries costs one, not the search budget', async () => {
    server.setMode('drop');
    // Without a per-query deadline the lookup would run until the caller gives up here.
    const result = await probe(
      { name: 'kubernetes.default', mode: 'search', timeoutSeconds: 30, queryTimeoutSeconds: 0.2 },
      AbortSignal.timeout(3000),
    );
    expect(result).toMatchObject({ outcome: 'timeout', queries: 1 });
    expect(result.detail).not.toContain('aborted');
  });

  it('moves on to the next candidate when a query answers within its own timeout', async () => {
    server.setMode('nxdomain');
    expect(
      await probe({ name: 'kubernetes.default', mode: 'search', timeoutSeconds: 5, queryTimeoutSeconds: 1 }),
    ).toMatchObject({ outcome: 'nxdomain', queries: 4 });
  });

  it('counts the TCP retry of a truncated candidate', async () => {
    server.setMode('truncate');
    expect(await probe({ name: 'kubernetes.default', mode: 'search' })).toMatchObject({
      outcome: 'success',
      answers: 1,
      queries: 4,
      name: API,
    });
  });
});
