/**
 * The sandbox cluster: a small production-like cluster (kube-dns, a frontend / backend-api /
 * database app, an ingress controller, default-deny policies with explicit allows) and, unless
 * healthy, one planted instance of each classic failure. Addresses are loopback so that every
 * probe really happens on this machine.
 */

/** Loopback addresses the sandbox uses. */
export const SANDBOX_IPS = {
  kubeDnsService: '127.0.10.10',
  corednsA: '127.0.10.1',
  corednsB: '127.0.10.2',
  ingress: '127.0.30.1',
  agentA: '127.0.50.1',
  agentB: '127.0.50.2',
  paymentsDb: '127.0.60.1',
} as const;

/** A pod of the app and the HTTP (or TCP) server that stands in for it. */
export interface SandboxPod {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  ip: string;
  port: number;
  portName: string;
  ready: boolean;
  node: string;
}

/** The faults, each a name the demo prints and the doctor must find. */
export const PLANTED_FAULTS = [
  'label mismatch: Service shop/orders selects app=orders, its pods are labelled app=orders-v2',
  'readiness failure: every pod of Service shop/inventory fails its readiness probe',
  'unresolved named targetPort: Service shop/reports targets port "metrics-http", no container declares it',
  'egress policy forgets DNS: namespace batch denies all egress except to the database',
  'Ingress path to a missing Service: shop/storefront /api -> Service api-gateway',
  'host routed nowhere: Ingress shop/legacy host old.shop.example (class nginx-legacy) is not served',
  'certificate expiring in 5 days: pay.shop.example',
  'wrong certificate hostname: admin.shop.example',
  'slow CoreDNS replica: kube-system/coredns-b answers after 150 ms',
  'declared path blocked: checkout-to-payments-db (payments/payments-db:5432) times out',
  'Ingress backend the controller may not reach: Service shop/status-api (Ingress shop/status) admits only the frontend pods, not ingress-nginx',
  'NetworkPolicy not enforced: declared path agents-to-shop-database (shop/database:5432) is denied by policy but reachable (the sandbox has no CNI)',
] as const;

const meta = (namespace: string, name: string, labels: Record<string, string> = {}) => ({
  name,
  namespace,
  labels,
});

/** The app's pods (their servers are started by the sandbox). */
export function sandboxPods(healthy: boolean): SandboxPod[] {
  const pod = (
    namespace: string,
    name: string,
    app: string,
    ip: string,
    extra: Partial<SandboxPod> = {},
  ): SandboxPod => ({
    namespace,
    name,
    labels: { app },
    ip,
    port: 8080,
    portName: 'http',
    ready: true,
    node: name.endsWith('-2') || name.endsWith('-b') ? 'node-b' : 'node-a',
    ...extra,
  });
  return [
    pod('shop', 'frontend-1', 'frontend', '127.0.40.1'),
    pod('shop', 'frontend-2', 'frontend', '127.0.40.2'),
    pod('shop', 'backend-api-1', 'backend-api', '127.0.40.3'),
    pod('shop', 'backend-api-2', 'backend-api', '127.0.40.4'),
    pod('shop', 'database-0', 'database', '127.0.40.5', { port: 5432, portName: 'postgres' }),
    pod('shop', 'orders-1', healthy ? 'orders' : 'orders-v2', '127.0.40.6'),
    pod('shop', 'inventory-1', 'inventory', '127.0.40.7', { ready: healthy }),
    pod('shop', 'reports-1', 'reports', '127.0.40.8', healthy ? { portName: 'metrics-http' } : {}),
    pod('batch', 'nightly-export-1', 'nightly-export', '127.0.40.9'),
    pod('shop', 'status-api-1', 'status-api', '127.0.40.10'),
    pod('payments', 'payments-db-0', 'payments-db', SANDBOX_IPS.paymentsDb, {
      port: 5432,
      portName: 'postgres',
    }),
  ];
}

function podObject(p: SandboxPod): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta(p.namespace, p.name, p.labels),
    spec: {
      nodeName: p.node,
      containers: [{ name: 'main', image: 'sandbox', ports: [{ name: p.portName, containerPort: p.port }] }],
    },
    status: {
      phase: 'Running',
      podIP: p.ip,
      podIPs: [{ ip: p.ip }],
      conditions: [{ type: 'Ready', status: p.ready ? 'True' : 'False' }],
    },
  };
}

function service(
  namespace: string,
  name: string,
  opts: {
    ip: string;
    selector?: Record<string, string>;
    port: number;
    targetPort: number | string;
    protocol?: string;
    portName?: string;
  },
): object {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(namespace, name),
    spec: {
      type: 'ClusterIP',
      clusterIP: opts.ip,
      clusterIPs: [opts.ip],
      ...(opts.selector ? { selector: opts.selector } : {}),
      ports: [
        {
          name: opts.portName ?? 'http',
          port: opts.port,
          targetPort: opts.targetPort,
          protocol: opts.protocol ?? 'TCP',
        },
      ],
    },
  };
}

/** The EndpointSlice the endpoints controller would write for a Service and its matching pods. */
function slice(
  namespace: string,
  svc: string,
  pods: SandboxPod[],
  port: { name: string; port: number | null; protocol?: string },
): object {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: meta(namespace, `${svc}-abc12`, { 'kubernetes.io/service-name': svc }),
    addressType: 'IPv4',
    endpoints: pods.map((p) => ({
      addresses: [p.ip],
      conditions: { ready: p.ready, serving: p.ready, terminating: false },
      targetRef: { kind: 'Pod', name: p.name, namespace: p.namespace },
      nodeName: p.node,
    })),
    ports: [{ name: port.name, port: port.port, protocol: port.protocol ?? 'TCP' }],
  };
}

const ns = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } },
});

function policy(namespace: string, name: string, spec: object): object {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta(namespace, name), spec };
}

interface IngressSeed {
  className: string;
  host: string;
  paths: Array<[string, string]>;
  tls: boolean;
}

function ingress(namespace: string, name: string, { className, host, paths, tls }: IngressSeed): object {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: meta(namespace, name),
    spec: {
      ingressClassName: className,
      ...(tls ? { tls: [{ hosts: [host], secretName: `${name}-tls` }] } : {}),
      rules: [
        {
          host,
          http: {
            paths: paths.map(([path, svc]) => ({
              path,
              pathType: 'Prefix',
              backend: { service: { name: svc, port: { number: 80 } } },
            })),
          },
        },
      ],
    },
  };
}

/** Everything the fake API is seeded with. */
export function sandboxObjects(opts: { healthy: boolean; apiPort: number; dnsPort: number }): object[] {
  const { healthy, apiPort, dnsPort } = opts;
  const pods = sandboxPods(healthy);
  const podsOf = (namespace: string, app: string) =>
    pods.filter((p) => p.namespace === namespace && p.labels.app === app);
  const coredns: SandboxPod[] = [
    {
      namespace: 'kube-system',
      name: 'coredns-a',
      labels: { 'k8s-app': 'kube-dns' },
      ip: SANDBOX_IPS.corednsA,
      port: dnsPort,
      portName: 'dns',
      ready: true,
      node: 'node-a',
    },
    {
      namespace: 'kube-system',
      name: 'coredns-b',
      labels: { 'k8s-app': 'kube-dns' },
      ip: SANDBOX_IPS.corednsB,
      port: dnsPort,
      portName: 'dns',
      ready: true,
      node: 'node-b',
    },
  ];
  const agents: SandboxPod[] = [
    {
      namespace: 'netprobe',
      name: 'netprobe-node-a',
      labels: { 'app.kubernetes.io/name': 'netprobe', 'app.kubernetes.io/component': 'node' },
      ip: SANDBOX_IPS.agentA,
      port: 9808,
      portName: 'metrics',
      ready: true,
      node: 'node-a',
    },
    {
      namespace: 'netprobe',
      name: 'netprobe-node-b',
      labels: { 'app.kubernetes.io/name': 'netprobe', 'app.kubernetes.io/component': 'node' },
      ip: SANDBOX_IPS.agentB,
      port: 9808,
      portName: 'metrics',
      ready: true,
      node: 'node-b',
    },
  ];
  const controller: SandboxPod = {
    namespace: 'ingress-nginx',
    name: 'ingress-nginx-controller-1',
    labels: { 'app.kubernetes.io/name': 'ingress-nginx' },
    ip: SANDBOX_IPS.ingress,
    port: 80,
    portName: 'http',
    ready: true,
    node: 'node-a',
  };
  const appSvc = (name: string, ip: string, targetPort: number | string = 'http', port = 80) =>
    service('shop', name, { ip, selector: { app: name }, port, targetPort });
  const sliceFor = (name: string, portName: string, port: number | null) =>
    slice('shop', name, podsOf('shop', name), { name: portName, port });
  const dnsEgress = {
    to: [
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
        podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      },
    ],
    ports: [
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ],
  };
  return [
    ...['default', 'kube-system', 'netprobe', 'shop', 'batch', 'payments', 'ingress-nginx'].map((n) => ns(n)),
    { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' } },
    { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-b' } },
    // The API server itself: the `kubernetes` Service points at the fake API.
    service('default', 'kubernetes', {
      ip: '127.0.0.1',
      port: apiPort,
      targetPort: apiPort,
      portName: 'https',
    }),
    // The API server writes this slice itself (the Service has no selector), as in every cluster.
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: meta('default', 'kubernetes', { 'kubernetes.io/service-name': 'kubernetes' }),
      addressType: 'IPv4',
      endpoints: [
        { addresses: ['127.0.0.1'], conditions: { ready: true, serving: true, terminating: false } },
      ],
      ports: [{ name: 'https', port: apiPort, protocol: 'TCP' }],
    },
    // kube-dns: one Service, two CoreDNS replicas.
    ...coredns.map(podObject),
    service('kube-system', 'kube-dns', {
      ip: SANDBOX_IPS.kubeDnsService,
      selector: { 'k8s-app': 'kube-dns' },
      port: dnsPort,
      targetPort: dnsPort,
      protocol: 'UDP',
      portName: 'dns',
    }),
    slice('kube-system', 'kube-dns', coredns, { name: 'dns', port: dnsPort, protocol: 'UDP' }),
    // netprobe's own node agents and the ingress controller.
    ...agents.map(podObject),
    podObject(controller),
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: 'nginx', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } },
      spec: { controller: 'k8s.io/ingress-nginx' },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: 'nginx-legacy' },
      spec: { controller: 'k8s.io/ingress-nginx-legacy' },
    },
    // The app.
    ...pods.map(podObject),
    appSvc('frontend', '127.0.20.1'),
    sliceFor('frontend', 'http', 8080),
    appSvc('backend-api', '127.0.20.2'),
    sliceFor('backend-api', 'http', 8080),
    service('shop', 'database', {
      ip: '127.0.20.3',
      selector: { app: 'database' },
      port: 5432,
      targetPort: 'postgres',
      portName: 'postgres',
    }),
    sliceFor('database', 'postgres', 5432),
    appSvc('orders', '127.0.20.4'),
    sliceFor('orders', 'http', 8080),
    appSvc('inventory', '127.0.20.5'),
    sliceFor('inventory', 'http', 8080),
    appSvc('status-api', '127.0.20.8'),
    sliceFor('status-api', 'http', 8080),
    appSvc('reports', '127.0.20.6', 'metrics-http'),
    // A named targetPort that no pod declares: the endpoints controller publishes no port.
    sliceFor('reports', 'http', healthy ? 8080 : null),
    service('payments', 'payments-db', {
      ip: SANDBOX_IPS.paymentsDb,
      selector: { app: 'payments-db' },
      port: 5432,
      targetPort: 'postgres',
      portName: 'postgres',
    }),
    slice('payments', 'payments-db', podsOf('payments', 'payments-db'), { name: 'postgres', port: 5432 }),
    ...(healthy
      ? [
          // The gateway fronts the backend-api pods.
          service('shop', 'api-gateway', {
            ip: '127.0.20.7',
            selector: { app: 'backend-api' },
            port: 80,
            targetPort: 'http',
          }),
          slice('shop', 'api-gateway', podsOf('shop', 'backend-api'), { name: 'http', port: 8080 }),
        ]
      : []),
    // Policies: default deny in shop and payments, with explicit allows.
    policy('shop', 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
    policy('shop', 'allow-dns', { podSelector: {}, policyTypes: ['Egress'], egress: [dnsEgress] }),
    policy('shop', 'allow-app', {
      // Unless healthy, status-api is left out here and admits only the frontend (below).
      podSelector: healthy
        ? {}
        : { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['status-api'] }] },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          from: [
            { podSelector: {} },
            { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } },
          ],
        },
      ],
      egress: [{ to: [{ podSelector: {} }] }],
    }),
    ...(healthy
      ? []
      : [
          policy('shop', 'allow-status-api', {
            podSelector: { matchLabels: { app: 'status-api' } },
            policyTypes: ['Ingress'],
            ingress: [{ from: [{ podSelector: { matchLabels: { app: 'frontend' } } }] }],
          }),
        ]),
    // Healthy, the agents may reach the database, so the declared path agents-to-shop-database is
    // expected to connect; without this policy shop's default-deny denies it (the not-enforced fault).
    ...(healthy
      ? [
          policy('shop', 'allow-netprobe-database', {
            podSelector: { matchLabels: { app: 'database' } },
            policyTypes: ['Ingress'],
            ingress: [
              {
                from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'netprobe' } } }],
                ports: [{ port: 5432 }],
              },
            ],
          }),
        ]
      : []),
    policy('payments', 'default-deny', { podSelector: {}, policyTypes: ['Ingress'] }),
    policy('payments', 'allow-netprobe', {
      podSelector: { matchLabels: { app: 'payments-db' } },
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'netprobe' } } }],
          ports: [{ port: 5432 }],
        },
      ],
    }),
    policy('batch', 'default-deny-egress', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } },
              podSelector: { matchLabels: { app: 'database' } },
            },
          ],
          ports: [{ port: 5432 }],
        },
        ...(healthy ? [dnsEgress] : []),
      ],
    }),
    // Ingresses.
    // Unless healthy, the Service api-gateway does not exist: the /api path points at nothing.
    ingress('shop', 'storefront', {
      className: 'nginx',
      host: 'shop.example',
      paths: [
        ['/', 'frontend'],
        ['/api', 'api-gateway'],
      ],
      tls: false,
    }),
    ingress('shop', 'pay', {
      className: 'nginx',
      host: 'pay.shop.example',
      paths: [['/', 'frontend']],
      tls: true,
    }),
    ingress('shop', 'status', {
      className: 'nginx',
      host: 'status.shop.example',
      paths: [['/', 'status-api']],
      tls: false,
    }),
    ingress('shop', 'admin', {
      className: 'nginx',
      host: 'admin.shop.example',
      paths: [['/', 'backend-api']],
      tls: true,
    }),
    ...(healthy
      ? []
      : [
          ingress('shop', 'legacy', {
            className: 'nginx-legacy',
            host: 'old.shop.example',
            paths: [['/', 'frontend']],
            tls: false,
          }),
        ]),
  ];
}
