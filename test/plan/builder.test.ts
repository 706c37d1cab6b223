import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { EndpointP, EndpointSliceP, Meta, PodP, ServiceP } from '../../src/kube/projections.js';
import {
  agentList,
  buildPlan,
  dnsServers,
  planContentKey,
  type ExpectFn,
  type PathQuery,
  type PlanInputs,
} from '../../src/plan/builder.js';
import { PLAN_VERSION, planSchema } from '../../src/plan/schema.js';

const config: Config = loadConfig(undefined, {});

function meta(namespace: string, name: string, labels: Record<string, string> = {}): Meta {
  return { namespace, name, labels, resourceVersion: '1' };
}

function service(namespace: string, name: string, ip: string, ports: ServiceP['ports'] = []): ServiceP {
  return {
    metadata: meta(namespace, name),
    type: 'ClusterIP',
    clusterIPs: [ip],
    selector: {},
    ports,
    headless: ip === 'None',
  };
}

function endpoint(pod: string, address: string, state: Partial<EndpointP> = {}): EndpointP {
  return { addresses: [address], ready: true, serving: true, terminating: false, targetPod: pod, ...state };
}

function slice(name: string, endpoints: EndpointP[], extra: Partial<EndpointSliceP> = {}): EndpointSliceP {
  return {
    metadata: meta('kube-system', name, { 'kubernetes.io/service-name': 'kube-dns' }),
    serviceName: 'kube-dns',
    addressType: 'IPv4',
    endpoints,
    ports: [
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP' },
    ],
    ...extra,
  };
}

const AGENT_LABELS = { 'app.kubernetes.io/name': 'netprobe', 'app.kubernetes.io/component': 'node' };

function agentPod(name: string, node: string, ip: string, extra: Partial<PodP> = {}): PodP {
  return {
    metadata: meta('netprobe', name, AGENT_LABELS),
    nodeName: node,
    phase: 'Running',
    ready: true,
    terminating: false,
    ips: [ip],
    ports: [],
    hostNetwork: false,
    unreadyContainers: [],
    ...extra,
  };
}

/** A small cluster: kube-dns with three CoreDNS replicas over two slices, three agents, the API Service. */
function clusterInputs(): PlanInputs {
  return {
    services: [
      service('kube-system', 'kube-dns', '10.96.0.10', [
        { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' },
      ]),
      service('default', 'kubernetes', '10.96.0.1', [
        { name: 'https', port: 443, targetPort: 6443, protocol: 'TCP' },
      ]),
      service('shop', 'db', '10.96.5.5', [{ name: 'pg', port: 5432, targetPort: 5432, protocol: 'TCP' }]),
      // Same name in another namespace: must not be taken for kube-dns.
      service('other', 'kube-dns', '10.96.9.9'),
    ],
    endpointSlices: [
      slice('kube-dns-abc', [endpoint('coredns-b', '10.0.1.2'), endpoint('coredns-a', '10.0.0.2')]),
      slice('kube-dns-def', [endpoint('coredns-c', '10.0.2.2')]),
      // A slice of another Service in the same namespace is not DNS.
      slice('metrics-xyz', [endpoint('metrics-server-1', '10.0.3.3')], { serviceName: 'metrics-server' }),
    ],
    pods: [
      agentPod('netprobe-node-zz', 'node-c', '10.0.2.10'),
      agentPod('netprobe-node-aa', 'node-a', '10.0.0.10'),
      agentPod('netprobe-node-mm', 'node-b', '10.0.1.10'),
      // Not agents: another component, another namespace, pending, terminating.
      {
        ...agentPod('netprobe-cluster-1', 'node-a', '10.0.0.11'),
        metadata: meta('netprobe', 'netprobe-cluster-1', {
          ...AGENT_LABELS,
          'app.kubernetes.io/component': 'cluster',
        }),
      },
      {
        ...agentPod('lookalike', 'node-d', '10.0.4.10'),
        metadata: meta('default', 'lookalike', AGENT_LABELS),
      },
      agentPod('netprobe-node-pending', 'node-e', '10.0.5.10', { phase: 'Pending' }),
      agentPod('netprobe-node-old', 'node-f', '10.0.6.10', { terminating: true }),
    ],
  };
}

/** Every rotation of each list, so each item is seen first once. */
function reorderings(inputs: PlanInputs): PlanInputs[] {
  const rotate = <T>(xs: readonly T[], k: number): T[] => xs.map((_, i) => xs[(i + k) % xs.length] as T);
  const n = Math.max(inputs.services.length, inputs.endpointSlices.length, inputs.pods.length);
  const out: PlanInputs[] = [];
  for (let k = 0; k < n; k++) {
    out.push({
      services: rotate(inputs.services, k).reverse(),
      endpointSlices: rotate(inputs.endpointSlices, k),
      pods: rotate(inputs.pods, k + 1).reverse(),
    });
  }
  return out;
}

describe('dnsServers', () => {
  test('the kube-dns Service first, then one entry per ready CoreDNS endpoint named by its pod', () => {
    expect(dnsServers(clusterInputs(), 'kube-system/kube-dns')).toEqual([
      { name: 'kube-dns', via: 'service', address: '10.96.0.10', port: 53 },
      { name: 'coredns-a', via: 'replica', address: '10.0.0.2', port: 53 },
      { name: 'coredns-b', via: 'replica', address: '10.0.1.2', port: 53 },
      { name: 'coredns-c', via: 'replica', address: '10.0.2.2', port: 53 },
    ]);
  });

  test("probes the Service on its own DNS port, as the replicas on their slice's port", () => {
    const inputs = clusterInputs();
    inputs.services = inputs.services.map((s) =>
      s.metadata.name === 'kube-dns' && s.metadata.namespace === 'kube-system'
        ? { ...s, ports: [{ name: 'dns', port: 1053, targetPort: 1053, protocol: 'UDP' }] }
        : s,
    );
    expect(dnsServers(inputs, 'kube-system/kube-dns')[0]).toEqual({
      name: 'kube-dns',
      via: 'service',
      address: '10.96.0.10',
      port: 1053,
    });
  });

  test.each<[string, Partial<EndpointP>]>([
    ['terminating', { ready: false, serving: true, terminating: true }],
    ['not ready (starting, or failing its readiness probe)', { ready: false, serving: false }],
  ])('leaves out a replica that is %s: the Service sends it no queries', (_what, state) => {
    const inputs = clusterInputs();
    inputs.endpointSlices = [
      slice('kube-dns-abc', [endpoint('coredns-a', '10.0.0.2'), endpoint('coredns-b', '10.0.1.2', state)]),
    ];
    expect(dnsServers(inputs, 'kube-system/kube-dns').map((s) => s.name)).toEqual(['kube-dns', 'coredns-a']);
  });

  test('the UDP port of the slice is the replica port (the Service port may differ)', () => {
    const inputs = clusterInputs();
    inputs.endpointSlices = [
      slice('kube-dns-abc', [endpoint('coredns-a', '10.0.0.2')], {
        ports: [
          { name: 'dns-tcp', port: 5353, protocol: 'TCP' },
          { name: 'dns', port: 1053, protocol: 'UDP' },
        ],
      }),
    ];
    expect(dnsServers(inputs, 'kube-system/kube-dns')[1]).toEqual({
      name: 'coredns-a',
      via: 'replica',
      address: '10.0.0.2',
      port: 1053,
    });
  });

  test('an endpoint without a pod reference is named by its address', () => {
    const inputs = clusterInputs();
    inputs.endpointSlices = [
      slice('kube-dns-abc', [{ addresses: ['10.0.9.9'], ready: true, serving: true, terminating: false }]),
    ];
    expect(dnsServers(inputs, 'kube-system/kube-dns')[1]).toMatchObject({
      name: '10.0.9.9',
      address: '10.0.9.9',
    });
  });

  test('no Service (or a headless one) still lists the replicas; nothing at all is an empty list', () => {
    const inputs = clusterInputs();
    inputs.services = [service('kube-system', 'kube-dns', 'None')];
    expect(dnsServers(inputs, 'kube-system/kube-dns').map((s) => s.via)).toEqual([
      'replica',
      'replica',
      'replica',
    ]);
    expect(dnsServers({ services: [], endpointSlices: [], pods: [] }, 'kube-system/kube-dns')).toEqual([]);
  });

  test('a dual-stack replica (in an IPv4 and an IPv6 slice) is probed in each family, the same whatever the slice order', () => {
    const v4 = slice('kube-dns-v4', [endpoint('coredns-a', '10.0.0.2')]);
    const v6 = slice('kube-dns-v6', [endpoint('coredns-a', 'fd00::2')], { addressType: 'IPv6' });
    const a = dnsServers({ services: [], endpointSlices: [v4, v6], pods: [] }, 'kube-system/kube-dns');
    const b = dnsServers({ services: [], endpointSlices: [v6, v4], pods: [] }, 'kube-system/kube-dns');
    expect(a.map((s) => `${s.name} ${s.address}`)).toEqual(['coredns-a 10.0.0.2', 'coredns-a fd00::2']);
    expect(b).toEqual(a);
  });

  test('a dual-stack kube-dns Service is probed on each of its ClusterIPs; FQDN slices are ignored', () => {
    const svc = {
      ...service('kube-system', 'kube-dns', '10.96.0.10'),
      clusterIPs: ['10.96.0.10', 'fd00:96::a'],
    };
    const fqdn = slice('kube-dns-fqdn', [endpoint('coredns-a', 'dns.example')], { addressType: 'FQDN' });
    const servers = dnsServers({ services: [svc], endpointSlices: [fqdn], pods: [] }, 'kube-system/kube-dns');
    expect(servers.map((s) => `${s.via} ${s.address}`)).toEqual(['service 10.96.0.10', 'service fd00:96::a']);
  });
});

describe('agentList', () => {
  test('a dual-stack agent lists its primary IP and one IP per family; single-stack ones only the address', () => {
    const dual = agentPod('netprobe-node-a', 'node-a', '10.0.0.10', { ips: ['10.0.0.10', 'fd00:10::a'] });
    const v6only = agentPod('netprobe-node-b', 'node-b', 'fd00:10::b');
    expect(agentList({ services: [], endpointSlices: [], pods: [dual, v6only] }, config)).toEqual([
      { node: 'node-a', address: '10.0.0.10', addresses: ['10.0.0.10', 'fd00:10::a'] },
      { node: 'node-b', address: 'fd00:10::b' },
    ]);
  });

  test('running node-agent pods of netprobe namespace, one per node, sorted by node', () => {
    expect(agentList(clusterInputs(), config)).toEqual([
      { node: 'node-a', address: '10.0.0.10' },
      { node: 'node-b', address: '10.0.1.10' },
      { node: 'node-c', address: '10.0.2.10' },
    ]);
  });

  test('two agents on one node (a rolling update): the same one whatever the pod order', () => {
    const old = agentPod('netprobe-node-old', 'node-a', '10.0.0.10');
    const surge = agentPod('netprobe-node-new', 'node-a', '10.0.0.20', { ready: false });
    const a = agentList({ services: [], endpointSlices: [], pods: [old, surge] }, config);
    const b = agentList({ services: [], endpointSlices: [], pods: [surge, old] }, config);
    expect(b).toEqual(a);
    // The ready one answers neighbour probes; the other may not listen yet.
    expect(a).toEqual([{ node: 'node-a', address: '10.0.0.10' }]);
  });

  test('custom agent labels and namespace come from the config', () => {
    const custom = loadConfig(undefined, { POD_NAMESPACE: 'mon' });
    const pods = [
      { ...agentPod('x', 'node-a', '10.0.0.10'), metadata: meta('mon', 'x', AGENT_LABELS) },
      agentPod('y', 'node-b', '10.0.1.10'),
    ];
    expect(agentList({ services: [], endpointSlices: [], pods }, custom)).toEqual([
      { node: 'node-a', address: '10.0.0.10' },
    ]);
  });
});

describe('buildPlan', () => {
  test('a valid plan of the current version, generation left to the publisher', () => {
    const plan = buildPlan(clusterInputs(), config);
    expect(planSchema.parse(plan)).toEqual(plan);
    expect(plan).toMatchObject({
      version: PLAN_VERSION,
      generation: 0,
      generatedAt: '',
      clusterDomain: 'cluster.local',
    });
    expect(plan.agents).toEqual({
      port: 9810,
      sentinelPort: 9809,
      neighbourExpected: 'unknown',
      sentinelExpected: 'unknown',
      ring: { k: 5, vnodes: 1 },
      list: agentList(clusterInputs(), config),
    });
  });

  test('paths: DNS egress over UDP and TCP to every server, then the API server', () => {
    const plan = buildPlan(clusterInputs(), config);
    expect(plan.paths.map((p) => [p.name, p.address, p.port, p.protocol, p.check])).toEqual([
      ['dns-udp-kube-dns', '10.96.0.10', 53, 'UDP', 'dns'],
      ['dns-tcp-kube-dns', '10.96.0.10', 53, 'TCP', 'connect'],
      ['dns-udp-coredns-a', '10.0.0.2', 53, 'UDP', 'dns'],
      ['dns-tcp-coredns-a', '10.0.0.2', 53, 'TCP', 'connect'],
      ['dns-udp-coredns-b', '10.0.1.2', 53, 'UDP', 'dns'],
      ['dns-tcp-coredns-b', '10.0.1.2', 53, 'TCP', 'connect'],
      ['dns-udp-coredns-c', '10.0.2.2', 53, 'UDP', 'dns'],
      ['dns-tcp-coredns-c', '10.0.2.2', 53, 'TCP', 'connect'],
      ['apiserver', '10.96.0.1', 443, 'TCP', 'connect'],
    ]);
    expect(plan.paths.every((p) => p.expected === 'unknown' && p.decidedBy === 'no policy engine')).toBe(
      true,
    );
  });

  test('dual-stack Services: DNS egress, the API server and declared Service paths once per ClusterIP', () => {
    const inputs = clusterInputs();
    const dual: Record<string, string> = {
      'kube-dns': 'fd00:96::a',
      kubernetes: 'fd00:96::1',
      db: 'fd00:96::5',
    };
    inputs.services = inputs.services.map((svc) =>
      svc.metadata.namespace !== 'other' && dual[svc.metadata.name]
        ? { ...svc, clusterIPs: [...svc.clusterIPs, dual[svc.metadata.name] ?? ''] }
        : svc,
    );
    const withPaths = loadConfig(undefined, {});
    withPaths.cluster.paths = [
      { name: 'to-db', to: { service: 'shop/db', port: 'pg' }, protocol: 'TCP', expect: 'auto' },
      { name: 'to-v6-host', to: { host: 'fd00:1::80', port: 80 }, protocol: 'TCP', expect: 'allow' },
    ];
    const asked: string[] = [];
    const plan = buildPlan(inputs, withPaths, (q) => {
      asked.push(q.address);
      return { expected: 'allow', decidedBy: 'x' };
    });
    const rows = plan.paths
      .filter((p) => p.kind !== 'dns-egress' || p.name.endsWith('kube-dns'))
      .map((p) => `${p.name} ${p.address}`);
    expect(rows).toEqual([
      'dns-udp-kube-dns 10.96.0.10',
      'dns-tcp-kube-dns 10.96.0.10',
      'dns-udp-kube-dns fd00:96::a',
      'dns-tcp-kube-dns fd00:96::a',
      'apiserver 10.96.0.1',
      'apiserver fd00:96::1',
      'to-db 10.96.5.5',
      'to-db fd00:96::5',
      'to-v6-host fd00:1::80',
    ]);
    // The policy engine is asked about each family's address on its own.
    expect(asked).toEqual(expect.arrayContaining(['fd00:96::1', 'fd00:96::5', 'fd00:96::a']));
  });

  test('declared paths: a Service port by name or number, a host, a fixed verdict; a missing Service is left out', () => {
    const withPaths = loadConfig(undefined, {});
    withPaths.cluster.paths = [
      { name: 'to-db', to: { service: 'shop/db', port: 'pg' }, protocol: 'TCP', expect: 'auto' },
      { name: 'to-db-num', to: { service: 'shop/db', port: 5432 }, protocol: 'TCP', expect: 'deny' },
      {
        name: 'to-host',
        to: { host: '192.0.2.1', port: 80 },
        protocol: 'TCP',
        expect: 'allow',
        httpPayloadBytes: 2000,
      },
      { name: 'to-nowhere', to: { service: 'shop/gone', port: 80 }, protocol: 'TCP', expect: 'auto' },
      { name: 'to-bad-port', to: { service: 'shop/db', port: 'http' }, protocol: 'TCP', expect: 'auto' },
    ];
    const asked: PathQuery[] = [];
    const expect_: ExpectFn = (q) => {
      asked.push(q);
      return { expected: 'allow', decidedBy: 'shop/allow-db' };
    };
    const declared = buildPlan(clusterInputs(), withPaths, expect_).paths.filter(
      (p) => p.kind === 'declared',
    );
    expect(declared).toEqual([
      {
        name: 'to-db',
        kind: 'declared',
        address: '10.96.5.5',
        port: 5432,
        protocol: 'TCP',
        check: 'connect',
        expected: 'allow',
        decidedBy: 'shop/allow-db',
      },
      {
        name: 'to-db-num',
        kind: 'declared',
        address: '10.96.5.5',
        port: 5432,
        protocol: 'TCP',
        check: 'connect',
        expected: 'deny',
        decidedBy: 'declared in config',
      },
      {
        name: 'to-host',
        kind: 'declared',
        address: '192.0.2.1',
        port: 80,
        protocol: 'TCP',
        check: 'http',
        expected: 'allow',
        decidedBy: 'declared in config',
        httpPayloadBytes: 2000,
      },
    ]);
    expect(asked.filter((q) => q.kind === 'declared')).toEqual([
      {
        kind: 'declared',
        address: '10.96.5.5',
        port: 5432,
        protocol: 'TCP',
        service: { namespace: 'shop', name: 'db' },
      },
    ]);
  });

  test('"mixed" is not a neighbour or sentinel verdict: it becomes unknown', () => {
    const plan = buildPlan(clusterInputs(), config, () => ({ expected: 'mixed', decidedBy: 'some pods' }));
    expect(plan.agents.neighbourExpected).toBe('unknown');
    expect(plan.agents.sentinelExpected).toBe('unknown');
    expect(plan.paths[0]?.expected).toBe('mixed');
  });

  test('deterministic: the same cluster listed in any order gives the same plan', () => {
    const inputs = clusterInputs();
    // Dual-stack DNS and a second agent pod on a node make order matter if the builder lets it.
    inputs.endpointSlices = [
      ...inputs.endpointSlices,
      slice('kube-dns-v6', [endpoint('coredns-a', 'fd00::2')], { addressType: 'IPv6' }),
    ];
    inputs.pods = [...inputs.pods, agentPod('netprobe-node-surge', 'node-b', '10.0.1.20')];
    const expected = JSON.stringify(buildPlan(inputs, config));
    for (const reordered of reorderings(inputs))
      expect(JSON.stringify(buildPlan(reordered, config))).toBe(expected);
  });
});

describe('planContentKey', () => {
  test('ignores generation and timestamp, sees any content change', () => {
    const plan = buildPlan(clusterInputs(), config);
    const key = planContentKey(plan);
    expect(planContentKey({ ...plan, generation: 9, generatedAt: '2030-01-01T00:00:00Z' })).toBe(key);
    expect(planContentKey({ ...plan, dns: { servers: plan.dns.servers.slice(1) } })).not.toBe(key);
  });
});

describe('plan size', () => {
  test('a 5,000-node cluster fits in one ConfigMap (under 1 MiB) with long node names', () => {
    const inputs = clusterInputs();
    inputs.pods = Array.from({ length: 5000 }, (_, i) =>
      agentPod(
        `netprobe-node-${i.toString(36).padStart(5, '0')}`,
        `ip-10-${(i >> 8) & 255}-${i & 255}-17.eu-west-1.compute.internal`,
        `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      ),
    );
    const plan = buildPlan(inputs, config);
    expect(plan.agents.list).toHaveLength(5000);
    // The ConfigMap stores the plan as JSON under one key; the API server's limit is 1 MiB.
    expect(Buffer.byteLength(JSON.stringify(plan))).toBeLessThan(1024 * 1024);
  });
});
