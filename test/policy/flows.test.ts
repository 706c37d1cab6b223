// Flows with IP ends, the Kubernetes documentation's NetworkPolicy examples, "could not evaluate"
// apart from "denied", and the explanation of a verdict.
import {
  compilePolicies,
  effectivePolicyTypes,
  type EndpointRef,
  type EngineOptions,
} from '../../src/policy/engine.js';
import { renderText } from '../../src/policy/explain.js';
import { toPolicyInfo, type NamespaceInfo, type PodInfo, type Protocol } from '../../src/policy/model.js';

const namespaces: NamespaceInfo[] = ['default', 'myproject', 'other'].map((name) => ({
  name,
  labels: { 'kubernetes.io/metadata.name': name, ...(name === 'myproject' ? { project: 'myproject' } : {}) },
}));

function pod(ref: string, labels: Record<string, string>, ip: string, ports: PodInfo['ports'] = []): PodInfo {
  const [namespace = '', name = ''] = ref.split('/');
  return { namespace, name, labels, ips: [ip], ports };
}

const pods: PodInfo[] = [
  pod('default/db', { role: 'db' }, '10.244.0.10', [{ name: 'redis', port: 6379, protocol: 'TCP' }]),
  pod('default/frontend', { role: 'frontend' }, '10.244.0.11'),
  pod('default/other', { role: 'batch' }, '10.244.0.12'),
  pod('myproject/any', { app: 'x' }, '10.244.1.10'),
  pod('other/frontend', { role: 'frontend' }, '10.244.2.10'),
];

// The example policy of https://kubernetes.io/docs/concepts/services-networking/network-policies/
const docsExample = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'test-network-policy', namespace: 'default' },
  spec: {
    podSelector: { matchLabels: { role: 'db' } },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [
      {
        from: [
          { ipBlock: { cidr: '172.17.0.0/16', except: ['172.17.1.0/24'] } },
          { namespaceSelector: { matchLabels: { project: 'myproject' } } },
          { podSelector: { matchLabels: { role: 'frontend' } } },
        ],
        ports: [{ protocol: 'TCP', port: 6379 }],
      },
    ],
    egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/24' } }], ports: [{ protocol: 'TCP', port: 5978 }] }],
  },
};

function ref(text: string): EndpointRef {
  const [namespace, name] = text.split('/');
  return name === undefined || namespace === undefined ? { ip: text } : { namespace, pod: name };
}

function engineFor(policies: unknown[], options?: EngineOptions) {
  return compilePolicies(policies.map(toPolicyInfo), namespaces, pods, options);
}

type Row = [from: string, to: string, port: number | string, protocol: Protocol, allowed: boolean];

describe('the documentation example test-network-policy', () => {
  const engine = engineFor([docsExample]);
  it.each<Row>([
    ['default/frontend', 'default/db', 6379, 'TCP', true],
    ['default/frontend', 'default/db', 'redis', 'TCP', true],
    ['default/other', 'default/db', 6379, 'TCP', false],
    ['myproject/any', 'default/db', 6379, 'TCP', true],
    ['other/frontend', 'default/db', 6379, 'TCP', false],
    ['default/frontend', 'default/db', 5432, 'TCP', false],
    ['default/frontend', 'default/db', 6379, 'UDP', false],
    ['172.17.0.5', 'default/db', 6379, 'TCP', true],
    ['172.17.1.5', 'default/db', 6379, 'TCP', false],
    ['172.17.2.5', 'default/db', 6379, 'TCP', true],
    ['172.18.0.1', 'default/db', 6379, 'TCP', false],
    ['default/db', '10.0.0.7', 5978, 'TCP', true],
    ['default/db', '10.0.1.7', 5978, 'TCP', false],
    ['default/db', '10.0.0.7', 5979, 'TCP', false],
    ['default/db', 'default/frontend', 80, 'TCP', false],
    ['default/frontend', '10.0.1.7', 443, 'TCP', true],
  ])('%s -> %s %s/%s allowed=%s', (from, to, port, protocol, allowed) => {
    const verdict = engine.evaluate({ from: ref(from), to: ref(to), port, protocol });
    expect(verdict.status).toBe(allowed ? 'allowed' : 'denied');
    expect(verdict.allowed).toBe(allowed);
  });

  it('applies only the egress side to a destination that is not a pod, only ingress from a source that is not a pod', () => {
    const out = engine.evaluate({ from: ref('default/db'), to: ref('10.0.0.7'), port: 5978 });
    expect(out.ingress).toMatchObject({ subject: null, isolated: false, allowed: true });
    expect(out.egress).toMatchObject({
      subject: 'default/db',
      isolated: true,
      policies: ['default/test-network-policy'],
    });
    const incoming = engine.evaluate({ from: ref('172.17.0.5'), to: ref('default/db'), port: 6379 });
    expect(incoming.egress).toMatchObject({ subject: null, allowed: true });
    expect(incoming.ingress.allowedBy).toEqual([
      { policy: 'default/test-network-policy', rule: 0, peer: 0, port: 0 },
    ]);
  });
});

describe('more documentation examples', () => {
  it('targets a range of ports (endPort 32000-32768) towards an ipBlock', () => {
    const engine = engineFor([
      {
        kind: 'NetworkPolicy',
        metadata: { name: 'multi-port-egress', namespace: 'default' },
        spec: {
          podSelector: { matchLabels: { role: 'db' } },
          policyTypes: ['Egress'],
          egress: [
            {
              to: [{ ipBlock: { cidr: '10.0.0.0/24' } }],
              ports: [{ protocol: 'TCP', port: 32000, endPort: 32768 }],
            },
          ],
        },
      },
    ]);
    const allowed = (port: number) =>
      engine.evaluate({ from: ref('default/db'), to: ref('10.0.0.9'), port }).allowed;
    expect([31999, 32000, 32500, 32768, 32769].map(allowed)).toEqual([false, true, true, true, false]);
  });

  it('targets multiple namespaces by the automatic name label with NotIn', () => {
    const engine = engineFor([
      {
        kind: 'NetworkPolicy',
        metadata: { name: 'egress-namespaces', namespace: 'default' },
        spec: {
          podSelector: { matchLabels: { role: 'frontend' } },
          policyTypes: ['Egress'],
          egress: [
            {
              to: [
                {
                  namespaceSelector: {
                    matchExpressions: [
                      { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['default', 'other'] },
                    ],
                  },
                },
              ],
            },
          ],
        },
      },
    ]);
    expect(
      engine.evaluate({ from: ref('default/frontend'), to: ref('myproject/any'), port: 80 }).allowed,
    ).toBe(true);
    expect(
      engine.evaluate({ from: ref('default/frontend'), to: ref('other/frontend'), port: 80 }).allowed,
    ).toBe(false);
    expect(
      engine.evaluate({ from: ref('default/frontend'), to: ref('default/db'), port: 6379 }).allowed,
    ).toBe(false);
  });

  it('tells the two-element OR from the one-element AND of the "Behavior of to and from selectors" section', () => {
    const spec = (from: unknown[]) => ({
      kind: 'NetworkPolicy',
      metadata: { name: 'p', namespace: 'default' },
      spec: { podSelector: { matchLabels: { role: 'db' } }, ingress: [{ from }] },
    });
    const and = engineFor([
      spec([
        {
          namespaceSelector: { matchLabels: { project: 'myproject' } },
          podSelector: { matchLabels: { role: 'frontend' } },
        },
      ]),
    ]);
    const or = engineFor([
      spec([
        { namespaceSelector: { matchLabels: { project: 'myproject' } } },
        { podSelector: { matchLabels: { role: 'frontend' } } },
      ]),
    ]);
    const flows = ['myproject/any', 'default/frontend'].map((from) => ({
      from: ref(from),
      to: ref('default/db'),
      port: 6379,
    }));
    expect(flows.map((f) => and.evaluate(f).allowed)).toEqual([false, false]);
    expect(flows.map((f) => or.evaluate(f).allowed)).toEqual([true, true]);
  });
});

describe('evaluation details', () => {
  const denyAll = {
    kind: 'NetworkPolicy',
    metadata: { name: 'deny', namespace: 'default' },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  };

  it('keeps "could not evaluate" apart from "denied"', () => {
    const engine = engineFor([denyAll]);
    expect(engine.evaluate({ from: ref('default/nope'), to: ref('default/db'), port: 80 })).toMatchObject({
      status: 'unknown',
      allowed: null,
      reason: 'unknown pod default/nope',
    });
    expect(
      engine.evaluate({ from: ref('default/frontend'), to: ref('default/db'), port: 'http' }),
    ).toMatchObject({
      status: 'unknown',
      reason: 'destination default/db declares no container port named "http"/TCP',
    });
    expect(engine.evaluate({ from: ref('default/frontend'), to: ref('10.0.0.1'), port: 'http' }).status).toBe(
      'unknown',
    );
    expect(engine.evaluate({ from: ref('999.1.1.1'), to: ref('default/db'), port: 80 }).reason).toBe(
      'invalid IP address "999.1.1.1"',
    );
    expect(
      engine.evaluate({ from: ref('default/frontend'), to: ref('default/db'), port: 'redis' }).status,
    ).toBe('denied');
  });

  it('a named port the destination does not declare matches nothing, with a note', () => {
    const engine = engineFor([
      {
        kind: 'NetworkPolicy',
        metadata: { name: 'named', namespace: 'default' },
        spec: { podSelector: { matchLabels: { role: 'db' } }, ingress: [{ ports: [{ port: 'metrics' }] }] },
      },
      {
        kind: 'NetworkPolicy',
        metadata: { name: 'out', namespace: 'default' },
        spec: {
          podSelector: { matchLabels: { role: 'frontend' } },
          policyTypes: ['Egress'],
          egress: [{ ports: [{ port: 'redis' }] }],
        },
      },
    ]);
    const verdict = engine.evaluate({ from: ref('default/frontend'), to: ref('default/db'), port: 6379 });
    expect(verdict.status).toBe('denied');
    expect(verdict.egress.allowed).toBe(true);
    expect(verdict.ingress.notes).toEqual([
      'named port "metrics"/TCP is not declared by the destination; that port entry matches nothing',
    ]);
    const external = engine.evaluate({ from: ref('default/frontend'), to: ref('10.9.9.9'), port: 6379 });
    expect(external.status).toBe('denied');
    expect(external.egress.notes).toEqual([
      'named port "redis"/TCP is not declared by the destination; that port entry matches nothing',
    ]);
  });

  it('resolves an IP that belongs to a pod to that pod', () => {
    const engine = engineFor([denyAll]);
    const verdict = engine.evaluate({ from: ref('10.244.0.11'), to: ref('default/db'), port: 6379 });
    expect(verdict.egress).toMatchObject({ subject: 'default/frontend', isolated: true, allowed: false });
    expect(verdict.notes).toEqual(['source 10.244.0.11 is pod default/frontend']);
  });

  it('lets a pod reach itself unless allowSelfTraffic is false', () => {
    const flow = { from: ref('default/db'), to: ref('default/db'), port: 6379 };
    expect(engineFor([denyAll]).evaluate(flow)).toMatchObject({
      allowed: true,
      notes: ['a pod reaching itself is not filtered (allowSelfTraffic)'],
    });
    expect(engineFor([denyAll], { allowSelfTraffic: false }).evaluate(flow).allowed).toBe(false);
  });

  it.each([
    [{}, ['Ingress']],
    [{ egress: [] }, ['Ingress']],
    [{ egress: [{}] }, ['Ingress', 'Egress']],
    [{ policyTypes: [], egress: [{}] }, ['Ingress', 'Egress']],
    [{ policyTypes: ['Egress'] }, ['Egress']],
  ])('policyTypes of %j default to %j', (spec, types) => {
    expect(
      effectivePolicyTypes(
        toPolicyInfo({ kind: 'NetworkPolicy', metadata: { name: 'p' }, spec: { podSelector: {}, ...spec } }),
      ),
    ).toEqual(types);
  });
});

describe('renderText', () => {
  const engine = engineFor([docsExample]);

  it('explains which policy, rule, peer and port allowed each side', () => {
    const verdict = engine.evaluate({ from: ref('default/frontend'), to: ref('default/db'), port: 'redis' });
    expect(renderText(verdict)).toBe(
      [
        'default/frontend -> default/db redis (6379)/TCP: ALLOWED',
        '  egress: allowed: default/frontend is not isolated for egress (no policy selects it)',
        '  ingress: allowed: default/db is isolated by default/test-network-policy',
        '    allowed by default/test-network-policy ingress[0] (from[2], ports[0])',
      ].join('\n'),
    );
  });

  it('says when no rule allowed it, and prints one line without explain', () => {
    const verdict = engine.evaluate({ from: ref('default/db'), to: ref('10.0.1.7'), port: 5978 });
    expect(renderText(verdict)).toBe(
      [
        'default/db -> 10.0.1.7 5978/TCP: DENIED',
        '  egress: denied: default/db is isolated by default/test-network-policy',
        '    no rule of these policies allows the flow',
        '  ingress: not applicable',
        '    note: 10.0.1.7 is not a pod; no ingress policy applies',
      ].join('\n'),
    );
    expect(renderText(verdict, false)).toBe('default/db -> 10.0.1.7 5978/TCP: DENIED');
  });
});

describe('namespaces the caller did not list', () => {
  it('get the kubernetes.io/metadata.name label, so namespaceSelectors on it still match', () => {
    const engine = compilePolicies(
      [
        toPolicyInfo({
          kind: 'NetworkPolicy',
          metadata: { name: 'p', namespace: 'default' },
          spec: {
            podSelector: {},
            ingress: [
              {
                from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'unlisted' } } }],
              },
            ],
          },
        }),
      ],
      [],
      [...pods, pod('unlisted/client', {}, '10.244.9.9')],
    );
    expect(engine.evaluate({ from: ref('unlisted/client'), to: ref('default/db'), port: 6379 }).allowed).toBe(
      true,
    );
    expect(engine.evaluate({ from: ref('other/frontend'), to: ref('default/db'), port: 6379 }).allowed).toBe(
      false,
    );
  });
});

// "NetworkPolicy behaviour for hostNetwork pods is undefined" (Kubernetes docs); netprobe takes the
// common case: podSelector and namespaceSelector never match them, and their traffic is the node's,
// so only an ipBlock holding the node IP matches a host-network peer. One rule for the CLI and live.
describe('host-network pods', () => {
  const nodeIp = '192.168.10.5';
  const hostPods: PodInfo[] = [
    ...pods,
    { ...pod('default/node-exporter', { role: 'frontend' }, nodeIp), hostNetwork: true },
  ];
  const policy = (name: string, from: unknown[]): unknown => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: 'default' },
    spec: { podSelector: { matchLabels: { role: 'db' } }, policyTypes: ['Ingress'], ingress: [{ from }] },
  });
  const denyEgress = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'deny-egress', namespace: 'default' },
    spec: { podSelector: {}, policyTypes: ['Egress'] },
  };
  type HostRow = [name: string, policies: unknown[], from: string, to: string, allowed: boolean];
  it.each<HostRow>([
    [
      'ipBlock on the node IP matches it',
      [policy('p', [{ ipBlock: { cidr: `${nodeIp}/32` } }])],
      'default/node-exporter',
      'default/db',
      true,
    ],
    [
      'an ipBlock without the node IP does not',
      [policy('p', [{ ipBlock: { cidr: '10.0.0.0/8' } }])],
      'default/node-exporter',
      'default/db',
      false,
    ],
    [
      'a podSelector matching its labels does not',
      [policy('p', [{ podSelector: { matchLabels: { role: 'frontend' } } }])],
      'default/node-exporter',
      'default/db',
      false,
    ],
    [
      'the same podSelector matches an ordinary pod',
      [policy('p', [{ podSelector: { matchLabels: { role: 'frontend' } } }])],
      'default/frontend',
      'default/db',
      true,
    ],
    [
      'a default-deny egress policy does not select it',
      [denyEgress],
      'default/node-exporter',
      '10.9.9.9',
      true,
    ],
    ['the same policy isolates an ordinary pod', [denyEgress], 'default/frontend', '10.9.9.9', false],
  ])('%s', (_name, policies, from, to, allowed) => {
    const engine = compilePolicies(policies.map(toPolicyInfo), namespaces, hostPods);
    const v = engine.evaluate({ from: ref(from), to: ref(to), port: 6379, protocol: 'TCP' });
    expect(v.status).toBe(allowed ? 'allowed' : 'denied');
  });
});
