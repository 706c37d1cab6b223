// Issue 2's "Done when": deleting one CoreDNS replica's endpoint in the API changes every node
// role's plan (its DNS server list) within 2 seconds, and the node stops exporting that replica
// (its DNS lookup series and the series of its DNS egress paths).
import type { Sandbox } from '../../sandbox/cluster.js';
import { roleMetrics, roleStatus, startTestSandbox, waitForSandboxWorking } from '../helpers/sandbox.js';
import { seriesLines, waitFor } from '../helpers/wait.js';

// The spec's bound on how fast a node follows an EndpointSlice change.
const PLAN_UPDATE_DEADLINE_MS = 2000;
const GONE = 'coredns-b';

let sandbox: Sandbox | undefined;

beforeAll(async () => {
  sandbox = await startTestSandbox();
}, 360_000);

afterAll(async () => {
  await sandbox?.stop();
});

async function planServers(nodeUrl: string): Promise<string[]> {
  return ((await roleStatus(nodeUrl)).plan?.dns?.servers ?? []).map((s) => s.name);
}

/** Every series the node exports about a replica: DNS lookups (server=) and its DNS egress paths (path=). */
async function replicaSeries(nodeUrl: string, replica: string): Promise<string[]> {
  return (await roleMetrics(nodeUrl))
    .split('\n')
    .filter((l) => !l.startsWith('#') && (l.includes(`server="${replica}"`) || l.includes(`-${replica}"`)));
}

/** Successful lookups against a replica so far, summed over checks. */
async function successes(nodeUrl: string, replica: string): Promise<number> {
  return seriesLines(await roleMetrics(nodeUrl), 'netprobe_dns_lookups_total')
    .filter((l) => l.includes(`server="${replica}"`) && l.includes('result="success"'))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

/** Removes one replica's endpoint from the kube-dns EndpointSlice, as the endpoints controller would. */
function removeReplicaEndpoint(s: Sandbox, pod: string): void {
  const slice = s.api.store
    .list('EndpointSlice', 'kube-system')
    .find((o) => o.metadata.labels?.['kubernetes.io/service-name'] === 'kube-dns');
  if (slice === undefined) throw new Error('the sandbox has no kube-dns EndpointSlice');
  const endpoints = (slice.endpoints ?? []) as Array<{ targetRef?: { name?: string } }>;
  const kept = endpoints.filter((e) => e.targetRef?.name !== pod);
  if (kept.length !== endpoints.length - 1) throw new Error(`no single endpoint of ${pod} in the slice`);
  s.api.store.apply({ ...slice, endpoints: kept });
}

test('a removed CoreDNS endpoint leaves every node plan within 2 s, and its series go', async () => {
  if (sandbox === undefined) throw new Error('sandbox did not start');
  const { urls } = sandbox;
  await waitForSandboxWorking(sandbox);
  for (const node of urls.nodes) {
    expect(await planServers(node)).toEqual(expect.arrayContaining(['coredns-a', GONE]));
    // The replica must have been measured, or its series' disappearance would prove nothing.
    await waitFor(`${node} has measured ${GONE}`, async () => (await successes(node, GONE)) > 0);
    // Its failure streak gauge exists too, so the check below proves that it goes as well.
    expect(
      (await replicaSeries(node, GONE)).some((l) => l.startsWith('netprobe_dns_consecutive_failures{')),
    ).toBe(true);
  }

  removeReplicaEndpoint(sandbox, GONE);
  await waitFor(
    `every node plan without ${GONE}`,
    async () => (await Promise.all(urls.nodes.map(planServers))).every((names) => !names.includes(GONE)),
    PLAN_UPDATE_DEADLINE_MS,
  );

  for (const node of urls.nodes) {
    expect(await planServers(node)).toContain('coredns-a');
    // On timeout the assertion below lists the series that stayed.
    let left: string[] = [];
    await waitFor(
      `${node} drops the series of ${GONE}`,
      async () => (left = await replicaSeries(node, GONE)).length === 0,
    ).catch(() => undefined);
    expect(left).toEqual([]);
    // A probe of the old replica that was in flight must not bring the series back: wait for a
    // later round of probes (coredns-a measured again) and look again.
    const before = await successes(node, 'coredns-a');
    await waitFor(
      `${node} probes coredns-a again`,
      async () => (await successes(node, 'coredns-a')) > before,
    );
    expect(await replicaSeries(node, GONE)).toEqual([]);
  }
});
