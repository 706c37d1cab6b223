// The "Done when" of the probing issues, checked on the sandbox's real /metrics: each planted fault
// shows up in the series a user would look at, and the healthy sandbox shows none of them.
import type { Sandbox } from '../../sandbox/cluster.js';
import { roleMetrics as metrics, startTestSandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait.js';

/** The value of the one sample with exactly these labels (in any order), or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)\{(.*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name || m[2] === undefined) continue;
    const got: Record<string, string> = {};
    for (const x of m[2].matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)) got[x[1] ?? ''] = x[2] ?? '';
    const want = Object.entries(labels);
    if (want.length === Object.keys(got).length && want.every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/** Sum of the samples of a metric whose labels include these. */
function sum(text: string, name: string, labels: Record<string, string>): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      total += Number(line.split(' ').pop());
  }
  return total;
}

const shop = (service: string): Record<string, string> => ({ namespace: 'shop', service });
const route = (ingress: string, host: string, path = '/'): Record<string, string> => ({
  namespace: 'shop',
  ingress,
  host,
  path,
});

/** Waits until every prober of both roles has run a few times. */
async function settled(sb: Sandbox): Promise<{ cluster: string; node: string }> {
  const nodeUrl = sb.urls.nodes[0] ?? '';
  const got = await waitFor(
    'three rounds of DNS, path and ingress probes',
    async () => {
      const cluster = await metrics(sb.urls.cluster);
      const node = await metrics(nodeUrl);
      const rounds =
        sum(node, 'netprobe_dns_lookup_duration_seconds_count', {
          server: 'coredns-b',
          check: 'cluster-fqdn',
        }) >= 3 &&
        sum(node, 'netprobe_path_probes_total', { path: 'checkout-to-payments-db' }) >= 2 &&
        sum(cluster, 'netprobe_ingress_probes_total', { host: 'admin.shop.example' }) >= 2;
      return rounds ? { cluster, node } : undefined;
    },
    45_000,
    250,
  );
  if (!got) throw new Error('no metrics');
  return got;
}

describe('the faulty sandbox, as /metrics shows it', () => {
  let sb: Sandbox;
  let cluster = '';
  let node = '';
  beforeAll(async () => {
    sb = await startTestSandbox();
    ({ cluster, node } = await settled(sb));
  }, 90_000);
  afterAll(() => sb?.stop());

  it('Service endpoints: label mismatch, readiness failure, unresolved named targetPort', () => {
    expect(sample(cluster, 'netprobe_service_selector_pods', shop('orders'))).toBe(0);
    expect(sample(cluster, 'netprobe_service_endpoints', { ...shop('inventory'), state: 'ready' })).toBe(0);
    expect(sample(cluster, 'netprobe_service_endpoints', { ...shop('inventory'), state: 'not_ready' })).toBe(
      1,
    );
    expect(
      sample(cluster, 'netprobe_service_target_port_unresolved', { ...shop('reports'), port: 'http' }),
    ).toBe(1);
    // A healthy Service of the same app, for contrast.
    expect(sample(cluster, 'netprobe_service_endpoints', { ...shop('frontend'), state: 'ready' })).toBe(2);
  });

  it('Ingress: missing backend, host routed nowhere, expiring and wrong-hostname certificates', () => {
    expect(sample(cluster, 'netprobe_ingress_route_up', route('storefront', 'shop.example', '/api'))).toBe(0);
    expect(
      sample(cluster, 'netprobe_ingress_route_problem', {
        ...route('storefront', 'shop.example', '/api'),
        problem: 'backend_service_missing',
      }),
    ).toBe(1);
    expect(sample(cluster, 'netprobe_ingress_route_up', route('legacy', 'old.shop.example'))).toBe(0);
    expect(
      sample(cluster, 'netprobe_ingress_probes_total', {
        ...route('legacy', 'old.shop.example'),
        result: 'no_route',
      }),
    ).toBeGreaterThan(0);
    const expiry = sample(cluster, 'netprobe_tls_cert_expiry_timestamp_seconds', {
      namespace: 'shop',
      ingress: 'pay',
      host: 'pay.shop.example',
    });
    const days = ((expiry ?? 0) - Date.now() / 1000) / 86_400;
    expect(days).toBeGreaterThan(4);
    expect(days).toBeLessThan(6);
    const admin = { namespace: 'shop', ingress: 'admin', host: 'admin.shop.example' };
    expect(sample(cluster, 'netprobe_tls_cert_hostname_match', admin)).toBe(0);
    expect(sample(cluster, 'netprobe_ingress_route_up', route('admin', 'admin.shop.example'))).toBe(0);
    expect(sample(cluster, 'netprobe_ingress_route_up', route('storefront', 'shop.example'))).toBe(1);
  });

  it('NetworkPolicy: the batch egress policy forgets DNS; status-api does not admit the ingress controller', () => {
    expect(
      sample(cluster, 'netprobe_policy_dns_egress_blocked_pods', { namespace: 'batch' }),
    ).toBeGreaterThan(0);
    expect(sample(cluster, 'netprobe_policy_dns_egress_blocked_pods', { namespace: 'shop' }) ?? 0).toBe(0);
    const backend = (ingress: string, service: string): number | undefined =>
      sample(cluster, 'netprobe_policy_ingress_backend_blocked', { namespace: 'shop', ingress, service });
    expect(backend('status', 'status-api')).toBe(1);
    expect(backend('storefront', 'frontend')).toBe(0);
  });

  it('DNS: no answer of the slow replica beats its 150 ms delay, and both replicas still answer', () => {
    const mean = (server: string): number =>
      sum(node, 'netprobe_dns_lookup_duration_seconds_sum', {
        server,
        check: 'cluster-fqdn',
        via: 'replica',
      }) /
      sum(node, 'netprobe_dns_lookup_duration_seconds_count', {
        server,
        check: 'cluster-fqdn',
        via: 'replica',
      });
    // The sandbox delays every coredns-b answer by 150 ms: a lower bound, whatever the machine's load,
    // so no lookup of it lands in a bucket below 150 ms (how much slower it is goes to bench/).
    expect(mean('coredns-b')).toBeGreaterThan(0.1);
    const fasterThanDelay = node
      .split('\n')
      .filter(
        (l) =>
          l.startsWith('netprobe_dns_lookup_duration_seconds_bucket{') &&
          l.includes('server="coredns-b"') &&
          l.includes('via="replica"'),
      )
      .filter((l) => Number(/le="([^"]+)"/.exec(l)?.[1]) < 0.15)
      .map((l) => Number(l.split(' ').pop()));
    expect(fasterThanDelay.length).toBeGreaterThan(0);
    expect(Math.max(...fasterThanDelay)).toBe(0);
    for (const server of ['coredns-a', 'coredns-b'])
      expect(sum(node, 'netprobe_dns_lookups_total', { server, result: 'timeout' })).toBe(0);
  });

  it('Paths: a path expected allowed is blocked (value 0), one expected denied is reachable (value 1)', () => {
    const labels = { node: 'node-a', path: 'checkout-to-payments-db', kind: 'declared', family: 'ipv4' };
    expect(sample(node, 'netprobe_path_expected', { ...labels, expected: 'allow' })).toBe(1);
    expect(sample(node, 'netprobe_path_reachable', labels)).toBe(0);
    expect(
      sum(node, 'netprobe_path_probes_total', { path: 'checkout-to-payments-db', result: 'timeout' }),
    ).toBeGreaterThan(0);
    expect(
      sample(node, 'netprobe_path_reachable', { ...labels, path: 'neighbour-node-b', kind: 'neighbour' }),
    ).toBe(1);
    // Denied by shop's default-deny, yet the connection is refused by the host, not dropped: the
    // packets got through, as they do without a CNI that enforces NetworkPolicy.
    const denied = { node: 'node-a', path: 'agents-to-shop-database', kind: 'declared', family: 'ipv4' };
    expect(sample(node, 'netprobe_path_expected', { ...denied, expected: 'deny' })).toBe(1);
    expect(sample(node, 'netprobe_path_reachable', denied)).toBe(1);
    expect(
      sum(node, 'netprobe_path_probes_total', { path: 'agents-to-shop-database', result: 'refused' }),
    ).toBeGreaterThan(0);
  });

  // Runs last: it breaks a replica the other tests count on.
  it('DNS: a stopped replica moves to timeout while the Service and the other replica still answer', async () => {
    sb.dnsReplicas['coredns-a'].stop();
    const nodeUrl = sb.urls.nodes[0] ?? '';
    const after = await waitFor(
      'timeouts from coredns-a',
      async () => {
        const text = await metrics(nodeUrl);
        return (
          sum(text, 'netprobe_dns_lookups_total', { server: 'coredns-a', result: 'timeout' }) > 0 && text
        );
      },
      30_000,
      250,
    );
    expect(sum(after || '', 'netprobe_dns_lookups_total', { server: 'coredns-b', result: 'timeout' })).toBe(
      0,
    );
  });
});

describe('the healthy sandbox, as /metrics shows it', () => {
  let sb: Sandbox;
  let cluster = '';
  let node = '';
  beforeAll(async () => {
    sb = await startTestSandbox({ healthy: true });
    ({ cluster, node } = await settled(sb));
  }, 90_000);
  afterAll(() => sb?.stop());

  it('has every route up, every Service with ready endpoints, and no policy or path findings', () => {
    for (const line of cluster.split('\n').filter((l) => l.startsWith('netprobe_ingress_route_up{')))
      expect(line).toMatch(/ 1$/);
    for (const line of cluster
      .split('\n')
      .filter((l) => l.startsWith('netprobe_service_endpoints{') && l.includes('state="ready"')))
      expect(line).not.toMatch(/ 0$/);
    expect(sum(cluster, 'netprobe_service_target_port_unresolved', {})).toBe(0);
    expect(sum(cluster, 'netprobe_policy_dns_egress_blocked_pods', {})).toBe(0);
    for (const line of node.split('\n').filter((l) => l.startsWith('netprobe_path_reachable{')))
      expect(line).toMatch(/ 1$/);
    expect(sum(node, 'netprobe_dns_lookups_total', { result: 'timeout' })).toBe(0);
  });
});
