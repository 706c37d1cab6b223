// The cluster role watches its own plan ConfigMap: deleted or edited by hand, it is written again
// within seconds (before: only the 60 s resync repaired it, and new agents waited for it).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log/logger.js';
import { startClusterRole } from '../../src/roles/cluster.js';
import type { RoleHandle } from '../../src/roles/runtime.js';
import { startFakeApi, type FakeApi } from '../../sandbox/fake-api/index.js';
import { waitFor } from '../helpers/wait.js';

let api: FakeApi;
let role: RoleHandle;

const planData = (): string | undefined => {
  const cm = api.store.get('ConfigMap', 'netprobe', 'netprobe-plan') as
    { data?: Record<string, string> } | undefined;
  return cm?.data?.['plan.json'];
};

beforeAll(async () => {
  api = await startFakeApi({ bookmarkIntervalMs: 500 });
  api.store.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'netprobe' } });
  const base = loadConfig(undefined, {}, { listen: '127.0.0.1:0' });
  const config = {
    ...base,
    cluster: {
      ...base.cluster,
      ingress: { ...base.cluster.ingress, enabled: false },
      leaderElection: { ...base.cluster.leaderElection, enabled: false },
    },
  };
  const kc = new KubeConfig();
  kc.loadFromString(api.kubeconfig());
  role = await startClusterRole(config, { kubeConfig: kc, logger: silentLogger() }, []);
  await waitFor('first plan', () => planData() !== undefined, 20_000);
});

afterAll(async () => {
  await role?.stop();
  await api?.close();
});

test('a deleted plan ConfigMap is written again within seconds, with a higher generation', async () => {
  const before = JSON.parse(planData() ?? '{}') as { generation: number };
  api.store.remove('ConfigMap', 'netprobe', 'netprobe-plan');
  expect(planData()).toBeUndefined();
  const started = Date.now();
  await waitFor('plan re-created', () => planData() !== undefined, 10_000, 50);
  // The debounce is at most 1 s; generous for a loaded machine, far under the old 60 s resync.
  expect(Date.now() - started).toBeLessThan(5_000);
  expect((JSON.parse(planData() ?? '{}') as { generation: number }).generation).toBeGreaterThan(
    before.generation,
  );
});

test('a plan edited by hand is put back', async () => {
  const good = planData();
  api.store.apply({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'netprobe-plan', namespace: 'netprobe' },
    data: { 'plan.json': '{"version":1,"tampered":true}' },
  });
  await waitFor('plan restored', () => planData()?.includes('tampered') === false, 10_000, 50);
  const restored = JSON.parse(planData() ?? '{}') as Record<string, unknown>;
  const original = JSON.parse(good ?? '{}') as Record<string, unknown>;
  expect({ ...restored, generation: 0, generatedAt: '' }).toEqual({
    ...original,
    generation: 0,
    generatedAt: '',
  });
});
