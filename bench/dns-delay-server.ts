// The benchmark's DNS server, in its own process so that its CPU time is not counted as netprobe's.
// Usage: node --import tsx bench/dns-delay-server.ts ADDRESS DELAY_MS; prints "ready PORT", stops on SIGTERM.
import { startSandboxDns } from '../sandbox/dns-server.js';

const [address = '127.0.0.60', delay = '20'] = process.argv.slice(2);
const server = await startSandboxDns({
  address,
  port: 0,
  delayMs: Number(delay),
  records: (name, type) =>
    name === 'kubernetes.default.svc.cluster.local' && type === 'A'
      ? [{ type: 'A', address: '10.96.0.1' }]
      : 'nxdomain',
});
process.stdout.write(`ready ${server.port}\n`);
process.once('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
