// Both netprobe roles run against the sandbox while its fake API enforces the RBAC rendered from
// deploy/overlays/plain, each role with its own ServiceAccount token: nothing the code does is
// refused, and nothing the manifests grant goes unused. Then the other way: a grant removed from
// the ClusterRole shows up as a 403, a down watch and an unready cluster role, which keeps running.
import type { Sandbox } from '../../sandbox/cluster.js';
import { SANDBOX_USERS, type ForbiddenRequest, type SandboxRbac } from '../../sandbox/cluster.js';
import type { RuleUse } from '../../sandbox/rbac.js';
import { renderOverlay, type KubeObject } from '../deploy/manifests.js';
import { roleMetrics, roleStatus, startTestSandbox, waitForSandboxWorking } from '../helpers/sandbox.js';
import { seriesLines, waitFor } from '../helpers/wait.js';

// The sandbox lock may be held by another test file for a while.
const START_TIMEOUT = 360_000;

function describeUse(u: RuleUse): string {
  const role = `${u.roleKind} ${u.roleNamespace ? `${u.roleNamespace}/` : ''}${u.roleName} rule ${u.ruleIndex}`;
  return `${role}: ${u.verb} ${u.resource}${u.group ? `.${u.group}` : ''}`;
}

function describeRefusal(f: ForbiddenRequest): string {
  const r = f.request;
  const resource = `${r.resource}${r.subresource ? `/${r.subresource}` : ''}${r.group ? `.${r.group}` : ''}`;
  return `${r.user} ${r.verb} ${resource}${r.name ? ` ${r.name}` : ''}`;
}

/** The rendered objects with one verb taken away from the rule that grants it on `resource`. */
function withoutVerb(
  objects: readonly KubeObject[],
  role: string,
  resource: string,
  verb: string,
): KubeObject[] {
  const copy = structuredClone(objects) as KubeObject[];
  const target = copy.find((o) => o.kind === 'ClusterRole' && o.metadata.name === role);
  const rules = (target?.rules ?? []) as Array<{ resources?: string[]; verbs?: string[] }>;
  const rule = rules.find((r) => r.resources?.includes(resource) && r.verbs?.includes(verb));
  if (rule === undefined) throw new Error(`ClusterRole ${role} grants no ${verb} on ${resource}`);
  rule.verbs = (rule.verbs ?? []).filter((v) => v !== verb);
  return copy;
}

/** A node agent joins: a copy of an existing agent pod on a new node, so the plan changes. */
function addAgentPod(sandbox: Sandbox): void {
  const pod = sandbox.api.store.get('Pod', 'netprobe', 'netprobe-node-b');
  if (pod === undefined) throw new Error('the sandbox has no pod netprobe/netprobe-node-b');
  const ip = '127.0.50.3';
  sandbox.api.store.apply({
    ...pod,
    metadata: { ...pod.metadata, name: 'netprobe-node-c', resourceVersion: undefined, uid: undefined },
    spec: { ...(pod.spec as object), nodeName: 'node-c' },
    status: { ...(pod.status as object), podIP: ip, podIPs: [{ ip }] },
  });
}

const rendered = renderOverlay('plain');

test('the sandbox authenticates the roles as the ServiceAccounts the manifests bind', () => {
  const accounts = rendered
    .filter((o) => o.kind === 'ServiceAccount')
    .map((o) => `system:serviceaccount:${o.metadata.namespace ?? ''}:${o.metadata.name ?? ''}`);
  expect(accounts.sort()).toEqual(Object.values(SANDBOX_USERS).sort());
});

/** Starts a sandbox enforcing `objects` before the tests of the enclosing describe, stops it after. */
function sandboxEnforcing(objects: () => readonly KubeObject[]): () => Sandbox & { rbac: SandboxRbac } {
  let sandbox: Sandbox | undefined;
  beforeAll(async () => {
    sandbox = await startTestSandbox({ rbac: { objects: objects() } });
  }, START_TIMEOUT);
  afterAll(async () => {
    await sandbox?.stop();
  });
  return () => {
    const rbac = sandbox?.rbac;
    if (sandbox === undefined || rbac === undefined) throw new Error('sandbox did not start with RBAC');
    return { ...sandbox, rbac };
  };
}

describe('with the rendered RBAC enforced', () => {
  const current = sandboxEnforcing(() => rendered);

  test('no request is refused and every granted rule is used', async () => {
    const sandbox = current();
    const { rbac, urls } = sandbox;
    // First plan: informers list+watch, the plan is read (404) and created, nodes list+watch it.
    const first = await waitForSandboxWorking(sandbox);
    // A node joins: the plan changes, so the cluster role replaces the existing ConfigMap.
    addAgentPod(sandbox);
    await waitFor('the new plan in use on every node', async () => {
      const gens = await Promise.all(urls.nodes.map(async (u) => (await roleStatus(u)).plan?.generation));
      return gens.every((g) => g !== undefined && g > first);
    });
    // The leader renews its Lease (created at start) every retryPeriod.
    await waitFor('the leader lease renewed', () => {
      const spec = sandbox.api.store.get('Lease', 'netprobe', 'netprobe-cluster')?.spec as
        { acquireTime?: string; renewTime?: string } | undefined;
      return spec !== undefined && spec.renewTime !== spec.acquireTime;
    });

    expect(rbac.forbidden().map(describeRefusal)).toEqual([]);
    expect(rbac.unused().map(describeUse)).toEqual([]);
  });
});

describe('with list endpointslices removed from the ClusterRole', () => {
  const current = sandboxEnforcing(() => withoutVerb(rendered, 'netprobe-cluster', 'endpointslices', 'list'));

  test('the cluster role gets 403, reports the watch down and not ready, and keeps running', async () => {
    const { rbac, urls } = current();
    // Retried with backoff: two restarts show the informer survives the 403 and keeps trying.
    await waitFor('two restarts of the endpointslices watch', async () => {
      const line = seriesLines(await roleMetrics(urls.cluster), 'netprobe_kube_watch_restarts_total').find(
        (l) => l.includes('resource="endpointslices"'),
      );
      return Number(line?.split(' ').pop() ?? 0) >= 2;
    });

    const refused = new Set(rbac.forbidden().map(describeRefusal));
    expect([...refused]).toEqual([`${SANDBOX_USERS.cluster} list endpointslices.discovery.k8s.io`]);
    const metrics = await roleMetrics(urls.cluster);
    expect(
      seriesLines(metrics, 'netprobe_kube_watch_up').filter((l) => l.includes('endpointslices')),
    ).toEqual(['netprobe_kube_watch_up{resource="endpointslices"} 0']);
    const readyz = await fetch(`${urls.cluster}/readyz`);
    expect(readyz.status).toBe(503);
    expect(await readyz.text()).toContain('caches not synced');
    expect((await fetch(`${urls.cluster}/healthz`)).status).toBe(200);
  });
});
