import { fileURLToPath } from 'node:url';
import path from 'node:path';
import {
  compare,
  probePath,
  type ExpectedVerdict,
  type PathOutcome,
  type PathTarget,
} from '../../src/probers/path.js';
import { createNetnsLab, netnsUnavailableReason, type NetnsPod } from '../helpers/netns.js';
import { describeRequiring } from '../helpers/prerequisites.js';

/*
 * The path prober against a real network: a namespace plays the pod, the host plays the probing
 * node, and nftables inside the namespace plays the NetworkPolicy (drop, reject with a TCP reset,
 * reject with ICMP admin-prohibited) and the MTU black hole (full-size segments from the server
 * vanish, the handshake and small replies pass).
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sentinelModule = path.join(repoRoot, 'src/probers/sentinel.ts');

/** Listeners inside the pod: the real sentinel on most TCP ports, a DNS echo responder on UDP. */
const TCP_LISTENERS = [8080, 8082, 8083, 8084, 8085, 8086, 8087, 5357, 5358];
const UDP_LISTENERS = [53, 5355, 5356, 5358];
/** Bound and silent: a DNS server that has stopped answering but still accepts TCP (5357 above). */
const SILENT_UDP = [5357];

const POD_SCRIPT = `
const { startSentinel } = await import(${JSON.stringify(sentinelModule)});
const dgram = await import('node:dgram');
for (const port of ${JSON.stringify(TCP_LISTENERS)}) await startSentinel({ address: '0.0.0.0', port });
for (const port of ${JSON.stringify(UDP_LISTENERS)}) {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, peer) => {
    const reply = Buffer.from(msg);
    reply[2] |= 0x80;
    socket.send(reply, peer.port, peer.address);
  });
  await new Promise((resolve) => socket.bind(port, '0.0.0.0', resolve));
}
for (const port of ${JSON.stringify(SILENT_UDP)}) {
  const socket = dgram.createSocket('udp4');
  await new Promise((resolve) => socket.bind(port, '0.0.0.0', resolve));
}
console.log('ready');
`;

/** The "policies": one port per behaviour; 8081 and UDP 5354 simply have no listener. */
const RULESET = `
table ip netprobe_test {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 8082 drop
    tcp dport 8083 reject with tcp reset
    tcp dport 8084 reject with icmp type admin-prohibited
    tcp dport 8086 reject with icmp type host-unreachable
    tcp dport 8087 reject with icmp type net-prohibited
    udp dport 5355 drop
    udp dport 5356 reject with icmp type admin-prohibited
    udp dport 5358 drop
    tcp dport 5358 drop
  }
  chain output {
    type filter hook output priority 0; policy accept;
    tcp sport 8085 ip length > 1000 drop
  }
}
`;

// Root, network namespaces and nft are required: missing, the tests fail (NETPROBE_SKIP_NETNS=1
// skips them outside CI, and the summary line says so).
const describeNetns = describeRequiring(netnsUnavailableReason(), 'NETPROBE_SKIP_NETNS');

interface Row {
  name: string;
  target: Omit<PathTarget, 'address' | 'kind' | 'timeoutSeconds'>;
  outcome: PathOutcome;
  errno?: string;
  /** What a policy engine would have said, and what comparing it with the observation gives. */
  expected: ExpectedVerdict;
  comparison: string;
}

const tcp = (port: number): Row['target'] => ({ port, protocol: 'TCP', check: 'connect' });
const http = (port: number, bytes: number): Row['target'] => ({
  port,
  protocol: 'TCP',
  check: 'http',
  httpPayloadBytes: bytes,
});
const dns = (port: number): Row['target'] => ({ port, protocol: 'UDP', check: 'dns' });

const ROWS: Row[] = [
  { name: 'listener', target: tcp(8080), outcome: 'open', expected: 'allow', comparison: 'ok' },
  {
    name: 'closed port',
    target: tcp(8081),
    outcome: 'refused',
    errno: 'ECONNREFUSED',
    expected: 'allow',
    comparison: 'ok',
  },
  { name: 'nft drop', target: tcp(8082), outcome: 'timeout', expected: 'deny', comparison: 'ok' },
  {
    name: 'nft drop where allowed',
    target: tcp(8082),
    outcome: 'timeout',
    expected: 'allow',
    comparison: 'blocked_but_allowed',
  },
  {
    name: 'nft reject with tcp reset',
    target: tcp(8083),
    outcome: 'refused',
    errno: 'ECONNREFUSED',
    expected: 'deny',
    comparison: 'reachable_but_denied',
  },
  {
    name: 'nft reject with icmp admin-prohibited',
    target: tcp(8084),
    outcome: 'unreachable',
    errno: 'EHOSTUNREACH',
    expected: 'deny',
    comparison: 'ok',
  },
  {
    name: 'nft reject with icmp host-unreachable',
    target: tcp(8086),
    outcome: 'unreachable',
    errno: 'EHOSTUNREACH',
    expected: 'unknown',
    comparison: 'inconclusive',
  },
  {
    name: 'nft reject with icmp net-prohibited',
    target: tcp(8087),
    outcome: 'unreachable',
    errno: 'ENETUNREACH',
    expected: 'deny',
    comparison: 'ok',
  },
  {
    name: 'HTTP 64 KiB payload',
    target: http(8080, 65_536),
    outcome: 'open',
    expected: 'allow',
    comparison: 'ok',
  },
  {
    name: 'HTTP small payload through the MTU black hole',
    target: http(8085, 100),
    outcome: 'open',
    expected: 'allow',
    comparison: 'ok',
  },
  {
    name: 'HTTP 64 KiB payload through the MTU black hole',
    target: http(8085, 65_536),
    outcome: 'timeout',
    expected: 'allow',
    comparison: 'blocked_but_allowed',
  },
  {
    name: 'TCP connect through the MTU black hole',
    target: tcp(8085),
    outcome: 'open',
    expected: 'allow',
    comparison: 'ok',
  },
  {
    name: 'HTTP on a dropped port',
    target: http(8082, 100),
    outcome: 'timeout',
    expected: 'deny',
    comparison: 'ok',
  },
  { name: 'DNS responder', target: dns(53), outcome: 'open', expected: 'allow', comparison: 'ok' },
  {
    name: 'UDP closed port',
    target: dns(5354),
    outcome: 'refused',
    errno: 'ECONNREFUSED',
    expected: 'allow',
    comparison: 'ok',
  },
  {
    name: 'UDP nft drop',
    target: dns(5355),
    outcome: 'timeout',
    expected: 'allow',
    comparison: 'blocked_but_allowed',
  },
  {
    name: 'DNS server that stops answering while TCP to it connects',
    target: dns(5357),
    outcome: 'no_answer',
    expected: 'allow',
    comparison: 'inconclusive',
  },
  {
    name: 'UDP and TCP both dropped by nft (a policy drop) stays blocked',
    target: dns(5358),
    outcome: 'timeout',
    expected: 'allow',
    comparison: 'blocked_but_allowed',
  },
  {
    name: 'UDP nft reject with icmp admin-prohibited',
    target: dns(5356),
    outcome: 'unreachable',
    errno: 'EHOSTUNREACH',
    expected: 'deny',
    comparison: 'ok',
  },
];

describeNetns('probePath through network namespaces and nftables', () => {
  const lab = createNetnsLab();
  let pod: NetnsPod;

  beforeAll(async () => {
    pod = lab.pod('a');
    pod.exec('nft', ['-f', '-'], RULESET);
    await pod.start(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', POD_SCRIPT], 'ready');
  });
  afterAll(() => lab.cleanup());

  test('the rules are in place in the pod, not on the host', () => {
    expect(pod.exec('nft', ['list', 'table', 'ip', 'netprobe_test'])).toContain('admin-prohibited');
    expect(pod.address).toMatch(/^169\.254\.213\.\d+$/);
  });

  test.each(ROWS)('$name: $outcome', async (row) => {
    const target: PathTarget = { ...row.target, kind: 'declared', address: pod.address, timeoutSeconds: 1 };
    const result = await probePath(target, new AbortController().signal);
    expect(result.outcome).toBe(row.outcome);
    expect(result.errno).toBe(row.errno);
    expect(result.reason).toBeUndefined();
    expect(compare(row.expected, result.verdict)).toBe(row.comparison);
    if (row.target.check === 'http' && row.target.port === 8085) {
      // The black hole passed the handshake: the timeout is in the body, not the connect.
      expect(result.connectSeconds).toBeGreaterThan(0);
    }
  });

  test('verdicts follow outcomes: reachable, blocked', async () => {
    const signal = new AbortController().signal;
    const base = { kind: 'declared' as const, address: pod.address, timeoutSeconds: 1 };
    expect((await probePath({ ...base, ...tcp(8083) }, signal)).verdict).toBe('reachable');
    expect((await probePath({ ...base, ...tcp(8084) }, signal)).verdict).toBe('blocked');
    expect((await probePath({ ...base, ...tcp(8082) }, signal)).verdict).toBe('blocked');
    expect((await probePath({ ...base, ...dns(53) }, signal)).verdict).toBe('reachable');
  });
});
