import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log/logger.js';
import { createDnsFeature } from '../../src/roles/dns-feature.js';
import { createRuntime, type Runtime } from '../../src/roles/runtime.js';
import type { SandboxAnswer } from '../../sandbox/dns-server.js';
import { startTestDnsServer, type TestDnsServer } from '../helpers/dns-test-server.js';
import { seriesLines, waitFor } from '../helpers/wait.js';

const NAME = 'kubernetes.default.svc.cluster.local';
const RECORDS = new Map<string, SandboxAnswer[]>([
  [
    NAME,
    [
      { type: 'A', address: '10.96.0.1' },
      { type: 'AAAA', address: 'fd00:96::1' },
    ],
  ],
]);

describe('DNS feature on IPv4 and IPv6 servers', () => {
  let v4: TestDnsServer;
  let v6: TestDnsServer;
  let rt: Runtime;

  beforeAll(async () => {
    v4 = await startTestDnsServer(RECORDS);
    v6 = await startTestDnsServer(RECORDS, '::1');
    const config = loadConfig(undefined, {}, {});
    rt = createRuntime(
      {
        ...config,
        node: {
          ...config.node,
          name: 'n1',
          dns: {
            ...config.node.dns,
            interval: 1,
            timeout: 1,
            resolvConf: '/nonexistent/resolv.conf',
            servers: [
              { name: 'coredns-a', address: v4.address, port: v4.port },
              { name: 'coredns-a', address: '::1', port: v6.port },
            ],
          },
        },
      },
      'node',
      silentLogger(),
    );
  });

  afterAll(async () => {
    await rt.scheduler.stop(1);
    await v4.close();
    await v6.close();
  });

  test('a server name in both families gets one series per family, and an IPv6 server adds the AAAA check', async () => {
    const feature = createDnsFeature(rt);
    rt.scheduler.start();
    const streaks = async (): Promise<string[]> =>
      seriesLines(await rt.registry.metrics(), 'netprobe_dns_consecutive_failures');
    // Default checks: cluster-fqdn, cluster-short, cluster-srv, plus cluster-fqdn-aaaa for the IPv6 server.
    await waitFor('every check probed on both servers', async () => (await streaks()).length === 8);
    const fqdn = (await streaks()).filter((l) => l.includes('check="cluster-fqdn'));
    expect(fqdn).toEqual([
      'netprobe_dns_consecutive_failures{node="n1",check="cluster-fqdn",via="config",server="coredns-a",family="ipv4"} 0',
      'netprobe_dns_consecutive_failures{node="n1",check="cluster-fqdn",via="config",server="coredns-a",family="ipv6"} 0',
      'netprobe_dns_consecutive_failures{node="n1",check="cluster-fqdn-aaaa",via="config",server="coredns-a",family="ipv4"} 0',
      'netprobe_dns_consecutive_failures{node="n1",check="cluster-fqdn-aaaa",via="config",server="coredns-a",family="ipv6"} 0',
    ]);
    // The IPv6 server really was asked, over IPv6, for the AAAA record.
    expect(v6.received.some((q) => q.name === NAME && q.type === 'AAAA')).toBe(true);
    await feature.stop();
  });
});

describe('DNS check types', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netprobe-dns-checks-'));
  const configWith = (checks: string): string => {
    const file = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, `node:\n  dns:\n    checks:\n${checks}`);
    return file;
  };

  test('a check may ask A, AAAA or both: a list becomes one check per type', () => {
    const file = configWith(
      '      - { name: web, query: web.example., type: [A, AAAA] }\n      - { name: v6, query: v6.example., type: AAAA }\n',
    );
    expect(loadConfig(file, {}).node.dns.checks?.map((c) => `${c.name} ${c.type}`)).toEqual([
      'web-a A',
      'web-aaaa AAAA',
      'v6 AAAA',
    ]);
  });

  test('a name the expansion makes twice is refused with the file and key', () => {
    const file = configWith(
      '      - { name: web, query: web.example., type: [A, AAAA] }\n      - { name: web-a, query: x.example. }\n',
    );
    expect(() => loadConfig(file, {})).toThrow(ConfigError);
    expect(() => loadConfig(file, {})).toThrow(/node\.dns\.checks: check name web-a is used twice/);
    expect(() => loadConfig(file, {})).toThrow(file);
  });
});
