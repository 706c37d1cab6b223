import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { probePath, type PathTarget } from '../../src/probers/path.js';
import { createNetnsLab, netnsUnavailableReason, type NetnsPod } from '../helpers/netns.js';
import { describeRequiring } from '../helpers/prerequisites.js';

/*
 * A dual-stack pod (a network namespace with an IPv4 and an IPv6 address): the node agent's
 * listeners on their default address answer on both, and a policy that drops one family only is
 * seen on that family only.
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sentinelModule = path.join(repoRoot, 'src/probers/sentinel.ts');
const schemaModule = path.join(repoRoot, 'src/config/schema.ts');

// The pod binds exactly what a default config binds: node.sentinelAddress as shipped.
const POD_SCRIPT = `
const { startSentinel } = await import(${JSON.stringify(sentinelModule)});
const { configSchema } = await import(${JSON.stringify(schemaModule)});
const dgram = await import('node:dgram');
const address = configSchema.parse({}).node.sentinelAddress;
for (const port of [9810, 8082, 8084]) await startSentinel({ address, port });
const socket = dgram.createSocket({ type: 'udp6', ipv6Only: false });
socket.on('message', (msg, peer) => {
  const reply = Buffer.from(msg);
  reply[2] |= 0x80;
  socket.send(reply, peer.port, peer.address);
});
await new Promise((resolve) => socket.bind(53, '::', resolve));
console.log('ready');
`;

/** inet: one table for both families; the rules name the family they drop. */
const RULESET = `
table inet netprobe_test6 {
  chain input {
    type filter hook input priority 0; policy accept;
    meta nfproto ipv6 tcp dport 8082 drop
    meta nfproto ipv6 tcp dport 8084 reject with icmpv6 type admin-prohibited
  }
}
`;

const describeNetns = describeRequiring(netnsUnavailableReason(), 'NETPROBE_SKIP_NETNS');

describeNetns('paths to a dual-stack pod', () => {
  const lab = createNetnsLab();
  let pod: NetnsPod;
  const signal = new AbortController().signal;
  const connect = (address: string, port: number): PathTarget => ({
    kind: 'neighbour',
    address,
    port,
    protocol: 'TCP',
    check: 'connect',
    timeoutSeconds: 1,
  });

  beforeAll(async () => {
    pod = lab.pod('v6');
    pod.exec('nft', ['-f', '-'], RULESET);
    await pod.start(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', POD_SCRIPT], 'ready');
  });
  afterAll(() => lab.cleanup());

  test('the pod has an IPv6 address', () => {
    expect(pod.exec('ip', ['-6', '-o', 'addr', 'show', 'dev', 'eth0'])).toContain(pod.address6);
  });

  test('the default listener answers neighbour probes on the IPv4 and the IPv6 pod IP', async () => {
    expect((await probePath(connect(pod.address, 9810), signal)).outcome).toBe('open');
    expect((await probePath(connect(pod.address6, 9810), signal)).outcome).toBe('open');
  });

  test('a drop of IPv6 only blocks the IPv6 path and leaves IPv4 open', async () => {
    expect((await probePath(connect(pod.address, 8082), signal)).verdict).toBe('reachable');
    const v6 = await probePath(connect(pod.address6, 8082), signal);
    expect(v6).toMatchObject({ outcome: 'timeout', verdict: 'blocked' });
  });

  test('an ICMPv6 admin-prohibited reject is read as blocked by policy', async () => {
    // Linux reports this reject only at the SYN's first retransmission (about 1 s), unlike IPv4's
    // immediate one: a timeout shorter than that would read it as a silent drop.
    const v6 = await probePath({ ...connect(pod.address6, 8084), timeoutSeconds: 3 }, signal);
    expect(v6).toMatchObject({ outcome: 'unreachable', verdict: 'blocked' });
    expect((await probePath(connect(pod.address, 8084), signal)).outcome).toBe('open');
  });

  test('a DNS path over IPv6 gets its answer', async () => {
    const r = await probePath(
      {
        kind: 'dns-egress',
        address: pod.address6,
        port: 53,
        protocol: 'UDP',
        check: 'dns',
        timeoutSeconds: 1,
      },
      signal,
    );
    expect(r.verdict).toBe('reachable');
  });
});
