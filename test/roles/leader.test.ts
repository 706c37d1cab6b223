// Two cluster-role replicas against the fake API: only the leader publishes the plan and exports
// the inventory; the standby exports netprobe_leader 0 and no inventory series; when the leader
// stops (the lease released) or dies (not renewed), the standby takes over and exports them.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { silentLogger } from '../../src/log/logger.js';
import { startClusterRole } from '../../src/roles/cluster.js';
import { clusterFeatures } from '../../src/roles/cluster-features.js';
import type { RoleHandle } from '../../src/roles/runtime.js';
import { startFakeApi, type FakeApi } from '../../sandbox/fake-api/index.js';
import { seriesLines, waitFor } from '../helpers/wait.js';

let api: FakeApi;
let config: Config;
const roles: RoleHandle[] = [];

beforeAll(async () => {
  api = await startFakeApi({
    bookmarkIntervalMs: 500,
    // Each replica authenticates as itself, so the request log tells who wrote what.
    tokens: { 'token-a': 'replica-a', 'token-b': 'replica-b', 'token-c': 'replica-c' },
  });
  for (const obj of [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'netprobe' } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'shop' },
      spec: {
        selector: { app: 'web' },
        ports: [{ name: 'http', port: 80, targetPort: 8080 }],
        clusterIP: '10.0.0.10',
      },
    },
  ])
    api.store.apply(obj);
  const base = loadConfig(undefined, {}, { listen: '127.0.0.1:0' });
  config = {
    ...base,
    cluster: {
      ...base.cluster,
      ingress: { ...base.cluster.ingress, enabled: false },
      leaderElection: {
        ...base.cluster.leaderElection,
        leaseDuration: 2,
        renewDeadline: 1.2,
        retryPeriod: 0.2,
      },
    },
  };
});

afterAll(async () => {
  for (const r of roles) await r.stop();
  await api.close();
});

async function start(identity: string, onLost?: () => void): Promise<RoleHandle> {
  const kc = new KubeConfig();
  kc.loadFromString(api.kubeconfig(`token-${identity.slice(-1)}`));
  const cfg: Config = {
    ...config,
    cluster: { ...config.cluster, leaderElection: { ...config.cluster.leaderElection, identity } },
  };
  const role = await startClusterRole(
    cfg,
    { kubeConfig: kc, logger: silentLogger(), ...(onLost ? { onLostLeadership: onLost } : {}) },
    clusterFeatures(),
  );
  roles.push(role);
  return role;
}

async function metrics(role: RoleHandle): Promise<string> {
  const res = await fetch(`http://${role.address.host}:${role.address.port}/metrics`);
  return res.text();
}

const leaderValue = async (role: RoleHandle): Promise<string | undefined> =>
  seriesLines(await metrics(role), 'netprobe_leader')[0]
    ?.split(' ')
    .pop();

const inventory = async (role: RoleHandle): Promise<string[]> =>
  seriesLines(await metrics(role), 'netprobe_service_endpoints').filter((l) => l.includes('service="web"'));

async function status(role: RoleHandle): Promise<{ leader: { leading: boolean; holder: string } }> {
  const res = await fetch(`http://${role.address.host}:${role.address.port}/status`);
  return (await res.json()) as { leader: { leading: boolean; holder: string } };
}

test('one leader exports the inventory and publishes the plan; the standby exports neither', async () => {
  const a = await start('replica-a');
  await waitFor(
    'a leads and exports web',
    async () => (await leaderValue(a)) === '1' && (await inventory(a)).length > 0,
  );
  const b = await start('replica-b');
  await waitFor('b sees a as leader', async () => (await status(b)).leader.holder === 'replica-a');
  // Give b time to (wrongly) start its features, had it done so.
  await new Promise((r) => setTimeout(r, 1000));
  expect(await leaderValue(b)).toBe('0');
  expect(await inventory(b)).toEqual([]);
  expect(api.store.get('ConfigMap', 'netprobe', 'netprobe-plan')).toBeDefined();
  const planWriters = api.requests
    .filter((r) => r.resource === 'configmaps' && (r.verb === 'create' || r.verb === 'update'))
    .map((r) => r.user);
  expect(planWriters).toContain('replica-a');
  expect(planWriters).not.toContain('replica-b');
  const page = await (await fetch(`http://${b.address.host}:${b.address.port}/`)).text();
  expect(page).toContain('standby (leader: replica-a)');

  // A clean stop releases the lease: b takes over and exports the inventory from its warm cache.
  await a.stop();
  roles.splice(roles.indexOf(a), 1);
  await waitFor(
    'b leads and exports web',
    async () => (await leaderValue(b)) === '1' && (await inventory(b)).length > 0,
  );
  expect((await status(b)).leader).toMatchObject({ leading: true, holder: 'replica-b' });
});

test('a leader that loses the lease to another holder stops; the standby takes over after it expires', async () => {
  const lost: string[] = [];
  const c = await start('replica-c', () => lost.push('c'));
  await waitFor('c sees a leader', async () => (await status(c)).leader.holder === 'replica-b');
  const b = roles.find((r) => r !== c);
  if (b === undefined) throw new Error('no other replica running');
  // Another holder renews the lease once and never again.
  const lease = api.store.get('Lease', 'netprobe', 'netprobe-cluster');
  if (lease === undefined) throw new Error('no lease');
  api.store.apply({
    ...lease,
    spec: { ...(lease.spec as object), holderIdentity: 'someone-else', renewTime: new Date().toISOString() },
  });
  // b has no onLostLeadership: the role stops itself, so its server goes away.
  await waitFor(
    'b stops',
    async () =>
      !(await fetch(`http://${b.address.host}:${b.address.port}/healthz`).then(
        () => true,
        () => false,
      )),
    10_000,
  );
  roles.splice(roles.indexOf(b), 1);
  await waitFor(
    'c leads and exports web',
    async () => (await leaderValue(c)) === '1' && (await inventory(c)).length > 0,
    10_000,
  );
  expect(lost).toEqual([]);
  expect((await status(c)).leader.holder).toBe('replica-c');
});
