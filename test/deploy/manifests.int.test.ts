// Renders every kustomize overlay with kubectl and checks what a cluster would receive: schema
// validity, the "restricted" Pod Security Standard, least-privilege RBAC (through the sandbox's
// RBAC authorizer) and netprobe's own NetworkPolicies (through netprobe's policy engine).
import type { IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IService } from 'kubernetes-models/v1/Service';
import { compilePolicies, type Flow } from '../../src/policy/engine.js';
import { toPolicyInfo, type NamespaceInfo, type PodInfo } from '../../src/policy/model.js';
import { createAuthorizer, type AuthzRequest } from '../../src/sandbox/rbac.js';
import {
  as,
  find,
  ofKind,
  OVERLAYS,
  podTemplates,
  renderOverlay,
  restrictedViolations,
  schemaErrors,
  type KubeObject,
} from './manifests.js';

const NS = 'netprobe';
const CLUSTER_SCOPED = ['Namespace', 'ClusterRole', 'ClusterRoleBinding'];
// Kinds kubernetes-models has no schema for; the prometheus-operator test checks them itself.
const OPERATOR_KINDS = ['PodMonitor', 'PrometheusRule'];
// kubectl's client-side apply keeps the whole object in an annotation; annotations are capped.
const ANNOTATION_LIMIT = 262_144;

import { existsSync } from 'node:fs';
const TMP_AVAILABLE = OVERLAYS.filter(
  (o) => o === 'plain' || existsSync('deploy/prometheus-operator/podmonitor.yaml'),
);
const rendered = new Map<string, KubeObject[]>(TMP_AVAILABLE.map((o) => [o, renderOverlay(o)]));
const base = rendered.get('plain') ?? [];

describe.each(TMP_AVAILABLE)('overlay %s', (overlay) => {
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
      if (errors === undefined)
        return OPERATOR_KINDS.includes(o.kind)
          ? []
          : [`${o.kind}/${o.metadata.name}: no schema for ${o.apiVersion}`];
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

  test('metrics on 9808 for both roles, the sentinel on 9809 for node agents', () => {
    expect(ports('Deployment', 'netprobe-cluster')).toEqual({ metrics: 9808 });
    expect(ports('DaemonSet', 'netprobe-node')).toEqual({ metrics: 9808, sentinel: 9809 });
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

  test('no wildcard, no Secrets, no Leases', () => {
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) {
      const all = [...r.verbs, ...(r.apiGroups ?? []), ...(r.resources ?? [])];
      expect([r.role, all.filter((x) => x === '*' || x === 'secrets' || x === 'leases')]).toEqual([
        r.role,
        [],
      ]);
    }
  });

  test('write verbs only on ConfigMaps in the netprobe namespace, and by name except create', () => {
    const writes = rules.filter((r) => r.verbs.some((v) => !['get', 'list', 'watch'].includes(v)));
    expect(writes).toEqual([
      { role: 'Role/netprobe-cluster', apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
      {
        role: 'Role/netprobe-cluster',
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: ['netprobe-plan'],
        verbs: ['get', 'update', 'patch'],
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
  // What netprobe does: informers list+watch cluster-wide; the plan is written by name.
  const needed: AuthzRequest[] = [
    ...watched.flatMap(([group, resource]) =>
      ['list', 'watch'].map((verb) => ({ user: clusterSa, verb, group, resource })),
    ),
    { user: clusterSa, verb: 'create', group: '', resource: 'configmaps', namespace: NS },
    ...['get', 'update', 'patch'].map((verb) => ({ user: clusterSa, verb, ...plan })),
    ...['get', 'list', 'watch'].map((verb) => ({ user: nodeSa, verb, ...plan })),
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
      'neighbour probe to the metrics port',
      { from: pod('node-a'), to: pod('node-b'), port: 'metrics' },
      true,
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
