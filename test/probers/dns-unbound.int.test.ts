import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeDns, type DnsTarget } from '../../src/probers/dns.js';

// A real recursive server from Debian, serving cluster.local as a static local zone. Everything
// outside it is REFUSED by a local zone, so unbound never tries to reach the internet.
const UNBOUND = '/usr/sbin/unbound';
const ADDRESS = '127.0.0.77';
const API = 'kubernetes.default.svc.cluster.local';
const K8S_SEARCH = ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'];
// Three 200-octet TXT strings: over 512 bytes, so unbound truncates the UDP reply.
const BIG_TXT = ['a', 'b', 'c'].map((c) => `"${c.repeat(200)}"`).join(' ');

let dir = '';
let unbound: ChildProcess | undefined;
let port = 0;
let log = '';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, ADDRESS, () => {
      const address = server.address();
      const found = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(found));
    });
  });
}

function config(): string {
  return [
    'server:',
    `  interface: ${ADDRESS}@${port}`,
    `  port: ${port}`,
    '  do-daemonize: no',
    '  chroot: ""',
    '  username: ""',
    `  directory: "${dir}"`,
    '  pidfile: ""',
    '  use-syslog: no',
    '  logfile: ""',
    '  do-ip6: no',
    '  num-threads: 1',
    '  access-control: 127.0.0.0/8 allow',
    '  module-config: "iterator"',
    '  local-zone: "." refuse',
    '  local-zone: "cluster.local." static',
    `  local-data: "${API}. 30 IN A 10.96.0.1"`,
    `  local-data: "_https._tcp.${API}. 30 IN SRV 0 100 443 ${API}."`,
    `  local-data: 'big.cluster.local. 30 IN TXT ${BIG_TXT}'`,
    'remote-control:',
    '  control-enable: no',
    '',
  ].join('\n');
}

function probe(overrides: Partial<DnsTarget> = {}) {
  const target: DnsTarget = {
    server: { address: ADDRESS, port },
    name: API,
    type: 'A',
    mode: 'fqdn',
    search: K8S_SEARCH,
    ndots: 5,
    timeoutSeconds: 2,
    ...overrides,
  };
  return probeDns(target, new AbortController().signal);
}

async function waitUntilAnswering(): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    if (unbound?.exitCode !== null) throw new Error(`unbound exited: ${log}`);
    const result = await probe({ timeoutSeconds: 0.2 });
    if (result.outcome === 'success') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`unbound did not answer within about 15 s: ${log}`);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netprobe-unbound-'));
  port = await freePort();
  const file = join(dir, 'unbound.conf');
  await writeFile(file, config());
  unbound = spawn(UNBOUND, ['-d', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  unbound.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  unbound.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  await waitUntilAnswering();
});

afterAll(async () => {
  const child = unbound;
  if (child !== undefined && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe('probeDns against unbound', () => {
  it('resolves a cluster name given in full', async () => {
    expect(await probe()).toMatchObject({ outcome: 'success', rcode: 'NOERROR', answers: 1, queries: 1 });
  });

  it('resolves an SRV record', async () => {
    expect(await probe({ name: `_https._tcp.${API}`, type: 'SRV' })).toMatchObject({
      outcome: 'success',
      answers: 1,
    });
  });

  it('reports NXDOMAIN for a missing cluster name', async () => {
    expect(await probe({ name: `nothere.${K8S_SEARCH[0]}` })).toMatchObject({
      outcome: 'nxdomain',
      rcode: 'NXDOMAIN',
    });
  });

  it('reports REFUSED outside the served zone', async () => {
    expect(await probe({ name: 'example.com' })).toMatchObject({ outcome: 'refused', rcode: 'REFUSED' });
  });

  it('expands kubernetes.default through the search list: NXDOMAIN, then the answer', async () => {
    expect(await probe({ name: 'kubernetes.default', mode: 'search' })).toMatchObject({
      outcome: 'success',
      answers: 1,
      queries: 2,
      name: API,
    });
  });

  it('retries over TCP when unbound truncates the UDP reply', async () => {
    expect(await probe({ name: 'big.cluster.local', type: 'TXT' })).toMatchObject({
      outcome: 'success',
      answers: 1,
      queries: 2,
    });
  });
});
