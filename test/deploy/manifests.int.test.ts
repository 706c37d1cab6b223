// Renders every kustomize overlay with kubectl and checks what a cluster would receive: schema
// validity, the "restricted" Pod Security Standard, least-privilege RBAC (through the sandbox's
// RBAC authorizer) and netprobe's own NetworkPolicies (through netprobe's policy engine).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IService } from 'kubernetes-models/v1/Service';
import { compilePolicies, type Flow } from '../../src/policy/engine.js';
import { toPolicyInfo, type NamespaceInfo, type PodInfo } from '../../src/policy/model.js';
import { createAuthorizer, type AuthzRequest } from '../../sandbox/rbac.js';
import {
  as,
  find,
  ofKind,
  OVERLAYS,
  podTemplates,
  renderOverlay,
  REPO,
  restrictedViolations,
  schemaErrors,
  type KubeObject,
} from './manifests.js';

const NS = 'netprobe';
const CLUSTER_SCOPED = ['Namespace', 'ClusterRole', 'ClusterRoleBinding'];
// kubectl's client-side apply keeps the whole object in an annotation; annotations are capped.
const ANNOTATION_LIMIT = 262_144;

const rendered = new Map<string, KubeObject[]>(OVERLAYS.map((o) => [o, renderOverlay(o)]));
const base = rendered.get('plain') ?? [];

describe.each(OVERLAYS)('overlay %s', (overlay) => {
  const objects = rendered.get(overlay) ?? [];

  test('renders the netprobe workloads', () => {
    const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'Namespace/netprobe',
        'Deployment/netprobe-cluster',
        'DaemonSet/netprobe-node',
        'ConfigMap/netprobe-config',
        'Service/netprobe-cluster',
      ]),
    );
  });

  test('every object validates against the Kubernetes schema', () => {
    const problems = objects.flatMap((o) => {
      const errors = schemaErrors(o);
      if (errors === undefined) return [`${o.kind}/${o.metadata.name}: no schema for ${o.apiVersion}`];
      return errors.map((e) => `${o.kind}/${o.metadata.name}: ${e}`);
    });
    expect(problems).toEqual([]);
  });

  test('every object is labelled and namespaced as netprobe', () => {
    for (const o of objects) {
      expect([o.kind, o.metadata.labels?.['app.kubernetes.io/part-of']]).toEqual([o.kind, 'netprobe']);
      expect([o.kind, o.metadata.namespace]).toEqual([
        o.kind,
        CLUSTER_SCOPED.includes(o.kind) ? undefined : NS,
      ]);
    }
  });

  test('every object fits kubectl client-side apply', () => {
    const tooBig = objects
      .filter((o) => JSON.stringify(o).length >= ANNOTATION_LIMIT)
      .map((o) => `${o.kind}/${o.metadata.name}`);
    expect(tooBig).toEqual([]);
  });

  test('every netprobe container has liveness on /healthz, readiness on /readyz, requests and a memory limit', () => {
    for (const t of podTemplates(objects)) {
      for (const c of t.spec.containers) {
        const where = `${t.name}/${c.name}`;
        expect([where, c.livenessProbe?.httpGet?.path, c.readinessProbe?.httpGet?.path]).toEqual([
          where,
          '/healthz',
          '/readyz',
        ]);
        // The probes must hit the port the server listens on (named in the container's ports).
        const ports = (c.ports ?? []).map((p) => p.name);
        expect([where, ports]).toEqual([where, expect.arrayContaining([c.livenessProbe?.httpGet?.port])]);
        expect([
          where,
          c.resources?.requests?.cpu,
          c.resources?.requests?.memory,
          c.resources?.limits?.memory,
        ]).toEqual([where, expect.any(String), expect.any(String), expect.any(String)]);
      }
    }
  });

  test('every pod template meets the restricted Pod Security Standard', () => {
    const templates = podTemplates(objects);
    expect(templates.map((t) => t.name).sort()).toEqual([
      'DaemonSet/netprobe-node',
      'Deployment/netprobe-cluster',
    ]);
    for (const t of templates)
      expect([t.name, restrictedViolations(t.spec, t.metadata.annotations)]).toEqual([t.name, []]);
  });
});

describe('pod security', () => {
  test('the namespace enforces the restricted profile', () => {
    expect(find(base, 'Namespace', NS).metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe(
      'restricted',
    );
  });

  const template = (): IPodSpec => structuredClone(podTemplates(base)[0]?.spec ?? { containers: [] });
  const container = (spec: IPodSpec): IContainer => {
    const c = spec.containers[0];
    if (c === undefined) throw new Error('no container');
    return c;
  };
  // Each mutation of a compliant template must be caught: the checker itself can fail.
  test.each<[string, (spec: IPodSpec) => void, string]>([
    ['hostNetwork', (s) => (s.hostNetwork = true), 'hostNetwork is true'],
    ['hostPID', (s) => (s.hostPID = true), 'hostPID is true'],
    [
      'hostPath volume',
      (s) => s.volumes?.push({ name: 'h', hostPath: { path: '/' } }),
      'volume h has type hostPath',
    ],
    [
      'privileged',
      (s) => (container(s).securityContext = { ...container(s).securityContext, privileged: true }),
      'privileged',
    ],
    [
      'extra capability',
      (s) =>
        (container(s).securityContext = {
          ...container(s).securityContext,
          capabilities: { drop: ['ALL'], add: ['NET_RAW'] },
        }),
      'adds capability NET_RAW',
    ],
    [
      'no drop ALL',
      (s) => (container(s).securityContext = { ...container(s).securityContext, capabilities: {} }),
      'must drop ALL',
    ],
    [
      'privilege escalation',
      (s) =>
        (container(s).securityContext = { ...container(s).securityContext, allowPrivilegeEscalation: true }),
      'allowPrivilegeEscalation',
    ],
    [
      'unconfined seccomp',
      (s) => (s.securityContext = { ...s.securityContext, seccompProfile: { type: 'Unconfined' } }),
      'seccompProfile',
    ],
    [
      'root allowed on the pod',
      (s) => (s.securityContext = { ...s.securityContext, runAsNonRoot: false }),
      'pod runAsNonRoot is false',
    ],
    [
      'runAsNonRoot nowhere',
      (s) => {
        s.securityContext = { ...s.securityContext, runAsNonRoot: undefined };
        container(s).securityContext = { ...container(s).securityContext, runAsNonRoot: undefined };
      },
      'runAsNonRoot must be true',
    ],
    [
      'root user',
      (s) => (container(s).securityContext = { ...container(s).securityContext, runAsUser: 0 }),
      'runAsUser is 0',
    ],
    [
      'proc mount',
      (s) => (container(s).securityContext = { ...container(s).securityContext, procMount: 'Unmasked' }),
      'procMount Unmasked',
    ],
    [
      'unsafe sysctl',
      (s) =>
        (s.securityContext = { ...s.securityContext, sysctls: [{ name: 'net.core.somaxconn', value: '1' }] }),
      'unsafe sysctl',
    ],
    ['hostPort', (s) => container(s).ports?.push({ containerPort: 80, hostPort: 80 }), 'hostPort 80'],
  ])('detects %s', (_name, mutate, message) => {
    const spec = template();
    expect(restrictedViolations(spec)).toEqual([]);
    mutate(spec);
    expect(restrictedViolations(spec).join('\n')).toContain(message);
  });

  test('both roles run read-only, non-root, with their own service account token', () => {
    for (const t of podTemplates(base)) {
      const c = t.spec.containers[0];
      expect([
        t.name,
        c?.securityContext?.readOnlyRootFilesystem,
        t.spec.securityContext?.runAsUser,
        t.spec.automountServiceAccountToken,
      ]).toEqual([t.name, true, 65532, true]);
      expect(t.spec.volumes?.find((v) => v.name === 'tmp')?.emptyDir).toBeDefined();
    }
  });
});

describe('workloads', () => {
  const ports = (kind: string, name: string): Record<string, number> => {
    const t = podTemplates(base).find((p) => p.name === `${kind}/${name}`);
    return Object.fromEntries(
      (t?.spec.containers[0]?.ports ?? []).map((p) => [p.name ?? '', p.containerPort]),
    );
  };

  test('metrics on 9808 for both roles, the sentinel on 9809 and the neighbour port 9810 for node agents', () => {
    expect(ports('Deployment', 'netprobe-cluster')).toEqual({ metrics: 9808 });
    expect(ports('DaemonSet', 'netprobe-node')).toEqual({ metrics: 9808, sentinel: 9809, neighbour: 9810 });
    const svc = as<IService>(find(base, 'Service', 'netprobe-cluster'), 'Service');
    expect(svc.spec?.ports).toEqual([
      { name: 'metrics', port: 9808, targetPort: 'metrics', protocol: 'TCP' },
    ]);
  });

  test('node agents run on every node and roll a tenth at a time', () => {
    const ds = as<IDaemonSet>(find(base, 'DaemonSet', 'netprobe-node'), 'DaemonSet');
    expect(ds.spec?.template.spec?.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(ds.spec?.updateStrategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: '10%' },
    });
  });

  test('each role gets the downward API env, its role argument and the config file', () => {
    for (const [t, role] of podTemplates(base).map(
      (p) => [p, p.name.startsWith('DaemonSet') ? 'node' : 'cluster'] as const,
    )) {
      const c = t.spec.containers[0];
      expect(c?.args).toEqual([role, '--config', '/etc/netprobe/config.yaml']);
      const env = Object.fromEntries((c?.env ?? []).map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath]));
      expect(env).toMatchObject({
        NODE_NAME: 'spec.nodeName',
        POD_NAME: 'metadata.name',
        POD_NAMESPACE: 'metadata.namespace',
        POD_IP: 'status.podIP',
      });
      expect(c?.volumeMounts?.find((m) => m.name === 'config')?.mountPath).toBe('/etc/netprobe');
      expect(t.spec.volumes?.find((v) => v.name === 'config')?.configMap?.name).toBe('netprobe-config');
      expect(t.spec.serviceAccountName).toBe(`netprobe-${role}`);
    }
  });
});

describe('RBAC', () => {
  const rbacObjects = base.filter((o) => o.apiVersion.startsWith('rbac.authorization.k8s.io/'));
  type Rule = { verbs: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[] };
  const rules = rbacObjects.flatMap((o) =>
    ((o.rules as Rule[] | undefined) ?? []).map((r) => ({ role: `${o.kind}/${o.metadata.name}`, ...r })),
  );

  test('no wildcard, no Secrets; Leases only in the namespaced Role', () => {
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) {
      const all = [...r.verbs, ...(r.apiGroups ?? []), ...(r.resources ?? [])];
      const leases = r.role.startsWith('Role/') ? [] : all.filter((x) => x === 'leases');
      expect([r.role, [...all.filter((x) => x === '*' || x === 'secrets'), ...leases]]).toEqual([r.role, []]);
    }
  });

  test('write verbs only on the plan ConfigMap and the leader Lease in the netprobe namespace, by name except create', () => {
    const writes = rules.filter((r) => r.verbs.some((v) => !['get', 'list', 'watch'].includes(v)));
    expect(writes).toEqual([
      { role: 'Role/netprobe-cluster', apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
      {
        role: 'Role/netprobe-cluster',
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: ['netprobe-plan'],
        verbs: ['get', 'update'],
      },
      {
        role: 'Role/netprobe-cluster',
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        verbs: ['create'],
      },
      {
        role: 'Role/netprobe-cluster',
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: ['netprobe-cluster'],
        verbs: ['get', 'update'],
      },
    ]);
  });

  const clusterSa = 'system:serviceaccount:netprobe:netprobe-cluster';
  const nodeSa = 'system:serviceaccount:netprobe:netprobe-node';
  const watched: Array<[string, string]> = [
    ['', 'namespaces'],
    ['', 'pods'],
    ['', 'services'],
    ['discovery.k8s.io', 'endpointslices'],
    ['networking.k8s.io', 'ingresses'],
    ['networking.k8s.io', 'ingressclasses'],
    ['networking.k8s.io', 'networkpolicies'],
  ];
  const plan = { group: '', resource: 'configmaps', namespace: NS, name: 'netprobe-plan' };
  const lease = { group: 'coordination.k8s.io', resource: 'leases', namespace: NS, name: 'netprobe-cluster' };
  // What netprobe does: informers list+watch cluster-wide; the plan is written by name.
  const needed: AuthzRequest[] = [
    ...watched.flatMap(([group, resource]) =>
      ['list', 'watch'].map((verb) => ({ user: clusterSa, verb, group, resource })),
    ),
    { user: clusterSa, verb: 'create', group: '', resource: 'configmaps', namespace: NS },
    ...['get', 'update', 'list', 'watch'].map((verb) => ({ user: clusterSa, verb, ...plan })),
    ...['list', 'watch'].map((verb) => ({ user: nodeSa, verb, ...plan })),
    // Leader election: the Lease is created once, then read and renewed by name.
    { user: clusterSa, verb: 'create', group: 'coordination.k8s.io', resource: 'leases', namespace: NS },
    ...['get', 'update'].map((verb) => ({ user: clusterSa, verb, ...lease })),
  ];
  const forbidden: AuthzRequest[] = [
    { user: clusterSa, verb: 'get', group: '', resource: 'pods', namespace: 'default', name: 'p' },
    { user: clusterSa, verb: 'list', group: '', resource: 'secrets' },
    {
      user: clusterSa,
      verb: 'update',
      group: '',
      resource: 'configmaps',
      namespace: NS,
      name: 'netprobe-config',
    },
    { user: clusterSa, verb: 'delete', ...plan },
    { user: clusterSa, verb: 'create', group: '', resource: 'configmaps', namespace: 'default' },
    { user: clusterSa, verb: 'list', group: '', resource: 'configmaps' },
    {
      user: clusterSa,
      verb: 'get',
      group: 'coordination.k8s.io',
      resource: 'leases',
      namespace: NS,
      name: 'netprobe',
    },
    { user: clusterSa, verb: 'delete', ...lease },
    { user: clusterSa, verb: 'update', ...lease, namespace: 'kube-system', name: 'kube-controller-manager' },
    { user: nodeSa, verb: 'update', ...lease },
    { user: clusterSa, verb: 'list', group: '', resource: 'nodes' },
    { user: nodeSa, verb: 'list', group: '', resource: 'configmaps', namespace: NS },
    { user: nodeSa, verb: 'get', group: '', resource: 'configmaps', namespace: NS, name: 'netprobe-config' },
    { user: nodeSa, verb: 'update', ...plan },
    { user: nodeSa, verb: 'watch', group: '', resource: 'configmaps', name: 'netprobe-plan' },
    { user: nodeSa, verb: 'list', group: '', resource: 'pods' },
    { user: 'system:serviceaccount:default:default', verb: 'get', ...plan },
  ];

  test('grants what netprobe does, and every grant is used by it', () => {
    const authz = createAuthorizer(rbacObjects);
    const denied = needed.filter((r) => !authz.authorize(r)).map((r) => authz.decide(r).reason);
    expect(denied).toEqual([]);
    expect(authz.unused()).toEqual([]);
  });

  test.each(
    forbidden.map(
      (r) =>
        [
          `${r.user.split(':').pop() ?? ''} ${r.verb} ${r.resource} ${r.name ?? ''} ${r.namespace ?? '(all)'}`,
          r,
        ] as const,
    ),
  )('denies %s', (_name, request) => {
    expect(createAuthorizer(rbacObjects).authorize(request)).toBe(false);
  });
});

describe('NetworkPolicies', () => {
  const labels = (component: string): Record<string, string> => {
    const t = podTemplates(base).find(
      (p) => p.metadata.labels?.['app.kubernetes.io/component'] === component,
    );
    return t?.metadata.labels ?? {};
  };
  const podPorts = (component: string): PodInfo['ports'] =>
    (
      podTemplates(base).find((p) => p.metadata.labels?.['app.kubernetes.io/component'] === component)?.spec
        .containers[0]?.ports ?? []
    ).map((p) => ({
      name: p.name ?? '',
      port: p.containerPort,
      protocol: 'TCP',
    }));
  // Pods as the workloads would create them, plus the peers netprobe talks to. The addresses are
  // only labels for the engine: nothing is sent anywhere.
  const pods: PodInfo[] = [
    { namespace: NS, name: 'node-a', labels: labels('node'), ips: ['10.244.1.10'], ports: podPorts('node') },
    { namespace: NS, name: 'node-b', labels: labels('node'), ips: ['10.244.2.10'], ports: podPorts('node') },
    {
      namespace: NS,
      name: 'cluster',
      labels: labels('cluster'),
      ips: ['10.244.1.20'],
      ports: podPorts('cluster'),
    },
    {
      namespace: 'kube-system',
      name: 'coredns',
      labels: { 'k8s-app': 'kube-dns' },
      ips: ['10.244.3.2'],
      ports: [{ name: 'dns', port: 53, protocol: 'UDP' }],
    },
    {
      namespace: 'kube-system',
      name: 'other',
      labels: { 'k8s-app': 'metrics-server' },
      ips: ['10.244.3.3'],
      ports: [],
    },
    {
      namespace: 'monitoring',
      name: 'prometheus',
      labels: { app: 'prometheus' },
      ips: ['10.244.4.2'],
      ports: [],
    },
    {
      namespace: 'shop',
      name: 'web',
      labels: { app: 'web' },
      ips: ['10.244.5.2'],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    },
  ];
  const namespaces: NamespaceInfo[] = [NS, 'kube-system', 'monitoring', 'shop'].map((name) => ({
    name,
    labels: { 'kubernetes.io/metadata.name': name },
  }));
  const engine = compilePolicies(ofKind(base, 'NetworkPolicy').map(toPolicyInfo), namespaces, pods);
  const pod = (ref: string): Flow['from'] => {
    const [namespace = '', name = ''] = ref.includes('/') ? ref.split('/') : [NS, ref];
    return { namespace, pod: name };
  };
  const ip = (address: string): Flow['from'] => ({ ip: address });

  test.each<[string, Flow, boolean]>([
    [
      'neighbour probe to the neighbour port',
      { from: pod('node-a'), to: pod('node-b'), port: 'neighbour' },
      true,
    ],
    [
      "a node agent to another agent's metrics port is denied (neighbour partitions stay apart from scrapes)",
      { from: pod('node-a'), to: pod('node-b'), port: 'metrics' },
      false,
    ],
    [
      'neighbour probe to the sentinel is denied',
      { from: pod('node-a'), to: pod('node-b'), port: 'sentinel' },
      false,
    ],
    [
      'node agent DNS over UDP',
      { from: pod('node-a'), to: pod('kube-system/coredns'), port: 53, protocol: 'UDP' },
      true,
    ],
    [
      'cluster role DNS over TCP',
      { from: pod('cluster'), to: pod('kube-system/coredns'), port: 53, protocol: 'TCP' },
      true,
    ],
    [
      'cluster role to another kube-system pod',
      { from: pod('cluster'), to: pod('kube-system/other'), port: 53, protocol: 'UDP' },
      false,
    ],
    ['cluster role to the API server', { from: pod('cluster'), to: ip('203.0.113.10'), port: 6443 }, true],
    [
      'cluster role to a managed API server',
      { from: pod('cluster'), to: ip('203.0.113.10'), port: 443 },
      true,
    ],
    ['cluster role to anything else', { from: pod('cluster'), to: ip('203.0.113.10'), port: 22 }, false],
    [
      'cluster role probes an Ingress over HTTP',
      { from: pod('cluster'), to: pod('shop/web'), port: 80 },
      true,
    ],
    ['cluster role to a node agent', { from: pod('cluster'), to: pod('node-a'), port: 'metrics' }, false],
    ['node agent probes an app', { from: pod('node-a'), to: pod('shop/web'), port: 8080 }, true],
    [
      'node agent probes outside the cluster',
      { from: pod('node-a'), to: ip('198.51.100.7'), port: 443 },
      true,
    ],
    [
      'Prometheus scrapes a node agent',
      { from: pod('monitoring/prometheus'), to: pod('node-a'), port: 9808 },
      true,
    ],
    [
      'Prometheus scrapes the cluster role',
      { from: pod('monitoring/prometheus'), to: pod('cluster'), port: 9808 },
      true,
    ],
    [
      'Prometheus to the sentinel',
      { from: pod('monitoring/prometheus'), to: pod('node-b'), port: 9809 },
      false,
    ],
    ['an app to a node agent', { from: pod('shop/web'), to: pod('node-a'), port: 9808 }, false],
    [
      'an outside address to the sentinel',
      { from: ip('198.51.100.7'), to: pod('node-a'), port: 9809 },
      false,
    ],
  ])('%s', (_name, flow, allowed) => {
    expect(engine.evaluate(flow).status).toBe(allowed ? 'allowed' : 'denied');
  });

  test('no source at all reaches the sentinel port', () => {
    const agent = engine.findPod(NS, 'node-a');
    expect(agent).toBeDefined();
    if (agent) expect(engine.admitsAnySource(agent, 9809, 'TCP')).toBe(false);
  });
});

interface PodMonitorSpec {
  selector: { matchLabels?: Record<string, string> };
  podMetricsEndpoints: Array<{
    port?: string;
    honorLabels?: boolean;
    relabelings?: Array<{ targetLabel?: string; replacement?: string }>;
  }>;
}
interface RuleGroup {
  name: string;
  rules: Array<{ alert?: string; record?: string; expr: string }>;
}

describe('overlay prometheus-operator', () => {
  const objects = rendered.get('prometheus-operator') ?? [];
  const templates = podTemplates(objects);
  const monitors = ofKind(objects, 'PodMonitor').map((o) => ({
    name: o.metadata.name,
    spec: o.spec as PodMonitorSpec,
  }));
  const jobOf = (m: (typeof monitors)[number]): string | undefined =>
    m.spec.podMetricsEndpoints[0]?.relabelings?.find((r) => r.targetLabel === 'job')?.replacement;

  test('one PodMonitor per role, each selecting that role pods by their metrics port', () => {
    expect(monitors.map((m) => m.name).sort()).toEqual(['netprobe-cluster', 'netprobe-node']);
    for (const m of monitors) {
      const selected = templates.filter((t) =>
        Object.entries(m.spec.selector.matchLabels ?? {}).every(([k, v]) => t.metadata.labels?.[k] === v),
      );
      expect([m.name, selected.length]).toEqual([m.name, 1]);
      const portNames = selected[0]?.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => p.name)) ?? [];
      for (const endpoint of m.spec.podMetricsEndpoints) expect(portNames).toContain(endpoint.port);
    }
  });

  test("the operator's CRD schemas check PodMonitor and PrometheusRule (a broken copy fails)", () => {
    const monitor = ofKind(objects, 'PodMonitor')[0];
    const rule = ofKind(objects, 'PrometheusRule')[0];
    if (monitor === undefined || rule === undefined) throw new Error('no PodMonitor or PrometheusRule');
    expect([schemaErrors(monitor), schemaErrors(rule)]).toEqual([[], []]);
    const broken = { ...monitor, spec: { ...(monitor.spec as object), podMetricsEndpoints: 'all' } };
    expect(schemaErrors(broken)?.join('\n')).toMatch(/podMetricsEndpoints/);
  });

  test('scrapes keep netprobe own namespace label (honorLabels)', () => {
    for (const m of monitors)
      for (const e of m.spec.podMetricsEndpoints) expect([m.name, e.honorLabels]).toEqual([m.name, true]);
  });

  test('the alert rules pass promtool and select only jobs the PodMonitors create', () => {
    const groups = (find(objects, 'PrometheusRule', 'netprobe').spec as { groups: RuleGroup[] }).groups;
    const dir = mkdtempSync(join(tmpdir(), 'netprobe-rules-'));
    try {
      const file = join(dir, 'rules.yaml');
      writeFileSync(file, stringifyYaml({ groups }));
      execFileSync('promtool', ['check', 'rules', file], { stdio: 'pipe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const jobs = new Set(
      groups.flatMap((g) => g.rules.flatMap((r) => [...r.expr.matchAll(/job="([^"]+)"/g)].map((m) => m[1]))),
    );
    expect(jobs.size).toBeGreaterThan(0);
    expect([...jobs].filter((j) => !monitors.some((m) => jobOf(m) === j))).toEqual([]);
  });

  test('the dashboards ConfigMap is found by the Grafana sidecar and holds valid dashboards', () => {
    const cm = find(objects, 'ConfigMap', 'netprobe-dashboards');
    expect(cm.metadata.labels?.grafana_dashboard).toBe('1');
    const data = Object.entries((cm.data as Record<string, string> | undefined) ?? {});
    expect(data.length).toBeGreaterThan(0);
    for (const [key, json] of data) {
      const board = JSON.parse(json) as { uid?: string; title?: string };
      expect([key, typeof board.uid, typeof board.title]).toEqual([key, 'string', 'string']);
    }
  });
});

describe('plain Prometheus scrape config (deploy/prometheus/scrape-config.yaml)', () => {
  interface Relabel {
    source_labels?: string[];
    separator?: string;
    regex?: string;
    target_label?: string;
    replacement?: string;
    action?: string;
  }
  interface ScrapeConfig {
    job_name: string;
    honor_labels?: boolean;
    kubernetes_sd_configs?: unknown[];
    relabel_configs: Relabel[];
  }
  const file = join(REPO, 'deploy', 'prometheus', 'scrape-config.yaml');
  const config = parseYaml(readFileSync(file, 'utf8')) as { scrape_configs: ScrapeConfig[] };

  // Prometheus' keep/replace relabelling (anchored regex, ";"-joined sources, $1 replacement).
  function relabel(
    labels: Record<string, string>,
    rules: readonly Relabel[],
  ): Record<string, string> | undefined {
    const out = { ...labels };
    for (const r of rules) {
      const value = (r.source_labels ?? []).map((l) => out[l] ?? '').join(r.separator ?? ';');
      const match = new RegExp(`^(?:${r.regex ?? '(.*)'})$`).exec(value);
      if ((r.action ?? 'replace') === 'keep') {
        if (match === null) return undefined;
      } else if (match !== null && r.target_label !== undefined) {
        out[r.target_label] = (r.replacement ?? '$1').replace(
          /\$(\d)/g,
          (_, i: string) => match[Number(i)] ?? '',
        );
      }
    }
    return Object.fromEntries(Object.entries(out).filter(([k]) => !k.startsWith('__')));
  }
  const discovered = (component: string, port: string): Record<string, string> => ({
    __meta_kubernetes_namespace: NS,
    __meta_kubernetes_pod_name: `${component}-x`,
    __meta_kubernetes_pod_node_name: 'node-1',
    __meta_kubernetes_pod_label_app_kubernetes_io_name: 'netprobe',
    __meta_kubernetes_pod_label_app_kubernetes_io_component: component,
    __meta_kubernetes_pod_container_port_name: port,
  });

  test('promtool accepts it (with static targets: Debian builds Prometheus without Kubernetes discovery)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netprobe-scrape-'));
    try {
      const jobs = config.scrape_configs.map(({ kubernetes_sd_configs: _sd, ...job }) => ({
        ...job,
        static_configs: [{ targets: ['127.0.0.1:9808'] }],
      }));
      writeFileSync(join(dir, 'prometheus.yml'), stringifyYaml({ scrape_configs: jobs }));
      execFileSync('promtool', ['check', 'config', join(dir, 'prometheus.yml')], { stdio: 'pipe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    for (const job of config.scrape_configs)
      expect([job.job_name, job.kubernetes_sd_configs?.length]).toEqual([job.job_name, 1]);
  });

  test('one job per role, with the labels the PodMonitors give and honor_labels', () => {
    const targets = config.scrape_configs.flatMap((job) =>
      ['node', 'cluster'].flatMap((component) =>
        ['metrics', 'sentinel'].map((port) => {
          const labels = relabel(discovered(component, port), job.relabel_configs);
          return labels === undefined
            ? []
            : [{ job: job.job_name, honor: job.honor_labels, component, port, ...labels }];
        }),
      ),
    );
    expect(targets.flat()).toEqual([
      {
        job: 'netprobe-node',
        honor: true,
        component: 'node',
        port: 'metrics',
        netprobe_namespace: NS,
        pod: 'node-x',
        node: 'node-1',
      },
      {
        job: 'netprobe-cluster',
        honor: true,
        component: 'cluster',
        port: 'metrics',
        netprobe_namespace: NS,
        pod: 'cluster-x',
      },
    ]);
    const monitorJobs = ofKind(rendered.get('prometheus-operator') ?? [], 'PodMonitor').map(
      (m) =>
        (m.spec as PodMonitorSpec).podMetricsEndpoints[0]?.relabelings?.find((r) => r.targetLabel === 'job')
          ?.replacement,
    );
    expect(config.scrape_configs.map((j) => j.job_name).sort()).toEqual(monitorJobs.sort());
  });
});
