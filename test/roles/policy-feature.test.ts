import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log/logger.js';
import { startClusterRole } from '../../src/roles/cluster.js';
import { createPolicyFeature } from '../../src/roles/policy-feature.js';
import type { RoleHandle } from '../../src/roles/runtime.js';
import { startFakeApi, type FakeApi } from '../../sandbox/fake-api/index.js';
import { seriesLines, waitFor } from '../helpers/wait.js';

function pod(namespace: string, name: string, ip: string, extra: Record<string, unknown> = {}): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: name } },
    spec: { nodeName: 'node-a', containers: [{ name: 'c' }], ...extra },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
  };
}

// The live findings must apply the same host-network rule as `netprobe policy lint`.
describe('policy feature in the cluster role', () => {
  let api: FakeApi;
  let role: RoleHandle;

  beforeAll(async () => {
    api = await startFakeApi({ bookmarkIntervalMs: 500 });
    const objects = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'monitoring' } },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'kube-dns', namespace: 'kube-system' },
        spec: {
          clusterIP: '10.96.0.10',
          selector: { app: 'coredns' },
          ports: [
            { name: 'dns', port: 53, protocol: 'UDP' },
            { name: 'dns-tcp', port: 53, protocol: 'TCP' },
          ],
        },
      },
      pod('kube-system', 'coredns', '10.1.0.10'),
      pod('monitoring', 'grafana', '10.1.0.20'),
      // node-exporter shares the node's network: NetworkPolicy does not select it.
      pod('monitoring', 'node-exporter', '192.168.0.5', { hostNetwork: true }),
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'default-deny-egress', namespace: 'monitoring' },
        spec: { podSelector: {}, policyTypes: ['Egress'] },
      },
    ];
    for (const obj of objects) api.store.apply(obj);
    const kc = new KubeConfig();
    kc.loadFromString(api.kubeconfig());
    const config = loadConfig(undefined, {}, { listen: '127.0.0.1:0' });
    role = await startClusterRole(config, { kubeConfig: kc, logger: silentLogger() }, [createPolicyFeature]);
  }, 60_000);

  afterAll(async () => {
    await role?.stop();
    await api?.close();
  });

  test('a default-deny-egress namespace counts only its pod-network pods as DNS-blocked', async () => {
    const lines = async (): Promise<string[]> => {
      const res = await fetch(`http://${role.address.host}:${role.address.port}/metrics`);
      return seriesLines(await res.text(), 'netprobe_policy_dns_egress_blocked_pods');
    };
    const want = 'netprobe_policy_dns_egress_blocked_pods{namespace="monitoring"} 1';
    await waitFor(
      want,
      async () =>
        (await lines()).some((l) =>
          l.startsWith('netprobe_policy_dns_egress_blocked_pods{namespace="monitoring"}'),
        ),
      20_000,
    ).catch(() => undefined);
    expect(await lines()).toContain(want);
  });
});
