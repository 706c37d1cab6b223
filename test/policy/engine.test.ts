// Reachability truth tables for the upstream e2e NetworkPolicy model (test/e2e/network/netpol):
// each scenario is a policy set and, per port, the expected 9x9 grid of allowed/denied pairs.
import { ALL_PODS, netpol, observe, podIp, podIp6, renderGrid, truth, type Scenario } from './support.js';

const tcp80 = { port: 80, protocol: 'TCP' } as const;
const tcp81 = { port: 81, protocol: 'TCP' } as const;
const x = { namespace: 'x' };
const y = { namespace: 'y' };
const z = { namespace: 'z' };
const xa = { namespace: 'x', pod: 'a' };
const xb = { namespace: 'x', pod: 'b' };
const ya = { namespace: 'y', pod: 'a' };
const yb = { namespace: 'y', pod: 'b' };
const podA = { matchLabels: { pod: 'a' } };
const nsY = { namespaceSelector: { matchLabels: { ns: 'y' } } };

const scenarios: Scenario[] = [
  {
    name: 'default-deny-ingress: podSelector {} with policyTypes [Ingress] and no rules',
    policies: [netpol('deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] })],
    probes: [{ ...tcp80, expect: truth(true).expectAllIngress(x, false).allowLoopback() }],
  },
  {
    name: 'default-deny-all: ingress and egress of every pod in x',
    policies: [netpol('deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })],
    probes: [
      { ...tcp80, expect: truth(true).expectAllIngress(x, false).expectAllEgress(x, false).allowLoopback() },
    ],
  },
  {
    name: 'podSelector peer alone means pods of the policy namespace',
    policies: [
      netpol('allow-b', {
        podSelector: podA,
        ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }],
      }),
    ],
    probes: [
      { ...tcp80, expect: truth(true).expectAllIngress(xa, false).expectPeer(xb, xa, true).allowLoopback() },
    ],
  },
  {
    name: 'namespaceSelector peer alone means every pod of the selected namespaces',
    policies: [netpol('allow-y', { podSelector: podA, ingress: [{ from: [nsY] }] })],
    probes: [
      { ...tcp80, expect: truth(true).expectAllIngress(xa, false).expectPeer(y, xa, true).allowLoopback() },
    ],
  },
  {
    name: 'namespaceSelector with matchExpressions In',
    policies: [
      netpol('allow-yz', {
        podSelector: podA,
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchExpressions: [{ key: 'ns', operator: 'In', values: ['y', 'z'] }] },
              },
            ],
          },
        ],
      }),
    ],
    probes: [
      {
        ...tcp80,
        expect: truth(true)
          .expectAllIngress(xa, false)
          .expectPeer(y, xa, true)
          .expectPeer(z, xa, true)
          .allowLoopback(),
      },
    ],
  },
  {
    name: 'podSelector with matchExpressions In',
    policies: [
      netpol('allow-b-expr', {
        podSelector: podA,
        ingress: [
          { from: [{ podSelector: { matchExpressions: [{ key: 'pod', operator: 'In', values: ['b'] }] } }] },
        ],
      }),
    ],
    probes: [
      { ...tcp80, expect: truth(true).expectAllIngress(xa, false).expectPeer(xb, xa, true).allowLoopback() },
    ],
  },
  {
    name: 'two peers are ORed: podSelector NotIn [a] or namespaceSelector NotIn [x] (loopback not exempt)',
    options: { allowSelfTraffic: false },
    policies: [
      netpol('or', {
        podSelector: podA,
        ingress: [
          {
            from: [
              { podSelector: { matchExpressions: [{ key: 'pod', operator: 'NotIn', values: ['a'] }] } },
              { namespaceSelector: { matchExpressions: [{ key: 'ns', operator: 'NotIn', values: ['x'] }] } },
            ],
          },
        ],
      }),
    ],
    probes: [{ ...tcp80, expect: truth(true).expectPeer(xa, xa, false) }],
  },
  {
    name: 'podSelector and namespaceSelector in one peer are ANDed',
    policies: [
      netpol('and', {
        podSelector: podA,
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchExpressions: [{ key: 'ns', operator: 'NotIn', values: ['x'] }] },
                podSelector: { matchExpressions: [{ key: 'pod', operator: 'In', values: ['b', 'c'] }] },
              },
            ],
          },
        ],
      }),
    ],
    probes: [
      {
        ...tcp80,
        expect: truth(true)
          .expectAllIngress(xa, false)
          .expectPeer({ namespace: 'y', pod: 'b' }, xa, true)
          .expectPeer({ namespace: 'y', pod: 'c' }, xa, true)
          .expectPeer({ namespace: 'z', pod: 'b' }, xa, true)
          .expectPeer({ namespace: 'z', pod: 'c' }, xa, true)
          .allowLoopback(),
      },
    ],
  },
  {
    name: 'namespaceSelector {} with a podSelector selects those pods in every namespace',
    policies: [
      netpol('b-anywhere', {
        podSelector: podA,
        ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { pod: 'b' } } }] }],
      }),
    ],
    probes: [
      {
        ...tcp80,
        expect: truth(true).expectAllIngress(xa, false).expectPeer({ pod: 'b' }, xa, true).allowLoopback(),
      },
    ],
  },
  {
    name: 'numeric port: only 81 from y is allowed',
    policies: [
      netpol('port-81', {
        podSelector: podA,
        ingress: [{ from: [nsY], ports: [{ port: 81, protocol: 'TCP' }] }],
      }),
    ],
    probes: [
      { ...tcp80, expect: truth(true).expectAllIngress(xa, false).allowLoopback() },
      { ...tcp81, expect: truth(true).expectAllIngress(xa, false).expectPeer(y, xa, true).allowLoopback() },
    ],
  },
  {
    name: 'stacked policies with overlapping podSelectors are additive; protocol defaults to TCP',
    policies: [
      netpol('y-80', { podSelector: podA, ingress: [{ from: [nsY], ports: [{ port: 80 }] }] }),
      netpol('y-81', { podSelector: podA, ingress: [{ from: [nsY], ports: [{ port: 81 }] }] }),
    ],
    probes: [
      { ...tcp80, expect: truth(true).expectAllIngress(xa, false).expectPeer(y, xa, true).allowLoopback() },
      { ...tcp81, expect: truth(true).expectAllIngress(xa, false).expectPeer(y, xa, true).allowLoopback() },
      { port: 80, protocol: 'UDP', expect: truth(true).expectAllIngress(xa, false).allowLoopback() },
    ],
  },
  {
    name: 'allow-all ingress ({} rule) outweighs a default-deny in the same namespace',
    policies: [
      netpol('deny', { podSelector: {}, policyTypes: ['Ingress'] }),
      netpol('allow-all', { podSelector: {}, ingress: [{}] }),
      netpol('deny', { podSelector: {}, policyTypes: ['Ingress'] }, 'y'),
    ],
    probes: [{ ...tcp80, expect: truth(true).expectAllIngress(y, false).allowLoopback() }],
  },
  {
    name: 'named port on ingress resolves in the destination pod',
    policies: [netpol('named', { podSelector: podA, ingress: [{ ports: [{ port: 'serve-81-tcp' }] }] })],
    probes: [
      { ...tcp80, expect: truth(true).expectAllIngress(xa, false).allowLoopback() },
      { ...tcp81, expect: truth(true) },
    ],
  },
  {
    name: 'named port from one namespace',
    policies: [
      netpol('named-y', { podSelector: podA, ingress: [{ from: [nsY], ports: [{ port: 'serve-80-tcp' }] }] }),
    ],
    probes: [
      { ...tcp80, expect: truth(true).expectAllIngress(xa, false).expectPeer(y, xa, true).allowLoopback() },
      { ...tcp81, expect: truth(true).expectAllIngress(xa, false).allowLoopback() },
    ],
  },
  {
    name: 'named port on egress resolves in the destination pod',
    policies: [
      netpol('egress-named', {
        podSelector: podA,
        policyTypes: ['Egress'],
        egress: [{ ports: [{ port: 'serve-80-tcp' }] }],
      }),
    ],
    probes: [
      { ...tcp80, expect: truth(true) },
      { ...tcp81, expect: truth(true).expectAllEgress(xa, false).allowLoopback() },
      { port: 80, protocol: 'UDP', expect: truth(true).expectAllEgress(xa, false).allowLoopback() },
    ],
  },
  {
    name: 'podSelector {} peer admits only the policy namespace',
    policies: [netpol('same-ns', { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] })],
    probes: [
      { ...tcp80, expect: truth(true).expectPeer(y, x, false).expectPeer(z, x, false).allowLoopback() },
    ],
  },
  {
    name: 'egress isolation of one pod with no egress rules',
    policies: [netpol('deny-egress-a', { podSelector: podA, policyTypes: ['Egress'] })],
    probes: [{ ...tcp80, expect: truth(true).expectAllEgress(xa, false).allowLoopback() }],
  },
  {
    name: 'egress isolation of a whole namespace',
    policies: [netpol('deny-egress', { podSelector: {}, policyTypes: ['Egress'] })],
    probes: [{ ...tcp80, expect: truth(true).expectAllEgress(x, false).allowLoopback() }],
  },
  {
    name: 'ingress and egress rules in one policy are independent',
    policies: [
      netpol('both', {
        podSelector: podA,
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }],
        egress: [{ to: [nsY] }],
      }),
    ],
    probes: [
      {
        ...tcp80,
        expect: truth(true)
          .expectAllIngress(xa, false)
          .expectPeer(xb, xa, true)
          .expectAllEgress(xa, false)
          .expectPeer(xa, y, true)
          .allowLoopback(),
      },
    ],
  },
  {
    name: "the client's egress denies even when the server's ingress allows",
    policies: [
      netpol('client', {
        podSelector: podA,
        policyTypes: ['Egress'],
        egress: [{ to: [{ ...nsY, podSelector: { matchLabels: { pod: 'b' } } }] }],
      }),
      netpol(
        'server',
        {
          podSelector: podA,
          ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'x' } }, podSelector: podA }] }],
        },
        'y',
      ),
    ],
    probes: [
      {
        ...tcp80,
        expect: truth(true)
          .expectAllEgress(xa, false)
          .expectPeer(xa, yb, true)
          .expectAllIngress(ya, false)
          .allowLoopback(),
      },
    ],
  },
  {
    name: 'egress to one pod of another namespace by namespaceSelector AND podSelector',
    policies: [
      netpol('to-ya', {
        podSelector: podA,
        policyTypes: ['Egress'],
        egress: [{ to: [{ ...nsY, podSelector: podA }] }],
      }),
    ],
    probes: [
      { ...tcp80, expect: truth(true).expectAllEgress(xa, false).expectPeer(xa, ya, true).allowLoopback() },
    ],
  },
  {
    name: 'a port entry with only a protocol matches every port of that protocol',
    policies: [netpol('tcp-any', { podSelector: podA, ingress: [{ ports: [{ protocol: 'TCP' }] }] })],
    probes: [
      { ...tcp80, expect: truth(true) },
      { ...tcp81, expect: truth(true) },
      { port: 80, protocol: 'UDP', expect: truth(true).expectAllIngress(xa, false).allowLoopback() },
    ],
  },
  {
    name: 'multiple ingress policies: allow-all takes precedence',
    policies: [
      netpol('b-80', {
        podSelector: podA,
        ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }], ports: [{ port: 80 }] }],
      }),
      netpol('all', { podSelector: podA, ingress: [{}] }),
      netpol('deny', { podSelector: {}, policyTypes: ['Ingress'] }, 'z'),
    ],
    probes: [{ ...tcp81, expect: truth(true).expectAllIngress(z, false).allowLoopback() }],
  },
  {
    name: 'multiple egress policies: allow-all takes precedence',
    policies: [
      netpol('b-80', {
        podSelector: podA,
        policyTypes: ['Egress'],
        egress: [{ to: [{ podSelector: { matchLabels: { pod: 'b' } } }], ports: [{ port: 80 }] }],
      }),
      netpol('all', { podSelector: podA, policyTypes: ['Egress'], egress: [{}] }),
      netpol('deny', { podSelector: {}, policyTypes: ['Egress'] }, 'z'),
    ],
    probes: [{ ...tcp81, expect: truth(true).expectAllEgress(z, false).allowLoopback() }],
  },
  {
    name: 'ipBlock /32 of a pod IP, with ipBlockMatchesPods',
    options: { ipBlockMatchesPods: true },
    policies: [
      netpol('cidr', {
        podSelector: podA,
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: `${podIp('y/b')}/32` } }] }],
      }),
    ],
    probes: [
      { ...tcp80, expect: truth(true).expectAllEgress(xa, false).expectPeer(xa, yb, true).allowLoopback() },
    ],
  },
  {
    name: 'ipBlock of a pod IP matches no pod by default (ipBlockMatchesPods false)',
    policies: [
      netpol('cidr', {
        podSelector: podA,
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: `${podIp('y/b')}/32` } }] }],
      }),
    ],
    probes: [{ ...tcp80, expect: truth(true).expectAllEgress(xa, false).allowLoopback() }],
  },
  {
    name: 'ipBlock except carves a pod out of the CIDR',
    options: { ipBlockMatchesPods: true },
    policies: [
      netpol('except', {
        podSelector: podA,
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '10.1.0.0/16', except: [`${podIp('y/b')}/32`] } }] }],
      }),
    ],
    probes: [{ ...tcp80, expect: truth(true).expectPeer(xa, yb, false) }],
  },
  {
    name: 'an IP in one policy except and another policy cidr is allowed',
    options: { ipBlockMatchesPods: true },
    policies: [
      netpol('except-y', {
        podSelector: podA,
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '10.1.0.0/16', except: ['10.1.2.0/24'] } }] }],
      }),
      netpol('allow-yb', {
        podSelector: podA,
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: `${podIp('y/b')}/32` } }] }],
      }),
    ],
    probes: [{ ...tcp80, expect: truth(true).expectPeer(xa, y, false).expectPeer(xa, yb, true) }],
  },
  {
    name: 'IPv6 ipBlock with except',
    options: { ipBlockMatchesPods: true },
    policies: [
      netpol('v6', {
        podSelector: podA,
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: 'fd00:1::/64', except: ['fd00:1::200/120'] } }] }],
      }),
    ],
    probes: [{ ...tcp80, expect: truth(true).expectPeer(xa, y, false) }],
  },
  {
    name: 'IPv6 /128 of one pod',
    options: { ipBlockMatchesPods: true },
    policies: [
      netpol('v6-one', {
        podSelector: podA,
        ingress: [{ from: [{ ipBlock: { cidr: `${podIp6('z/c')}/128` } }] }],
      }),
    ],
    probes: [
      {
        ...tcp80,
        expect: truth(true)
          .expectAllIngress(xa, false)
          .expectPeer({ namespace: 'z', pod: 'c' }, xa, true)
          .allowLoopback(),
      },
    ],
  },
  {
    name: "'protocol: SCTP' is not TCP",
    policies: [netpol('sctp', { podSelector: podA, ingress: [{ ports: [{ protocol: 'SCTP', port: 80 }] }] })],
    probes: [
      { port: 80, protocol: 'SCTP', expect: truth(true) },
      { ...tcp80, expect: truth(true).expectAllIngress(xa, false).allowLoopback() },
    ],
  },
  {
    name: 'a UDP-only policy gives no TCP access',
    policies: [netpol('udp', { podSelector: podA, ingress: [{ ports: [{ protocol: 'UDP', port: 81 }] }] })],
    probes: [
      { port: 81, protocol: 'UDP', expect: truth(true) },
      { ...tcp81, expect: truth(true).expectAllIngress(xa, false).allowLoopback() },
    ],
  },
  {
    name: 'endPort 80-81 allows the range',
    policies: [
      netpol('range', { podSelector: podA, ingress: [{ from: [nsY], ports: [{ port: 80, endPort: 81 }] }] }),
    ],
    probes: [
      { ...tcp80, expect: truth(true).expectAllIngress(xa, false).expectPeer(y, xa, true).allowLoopback() },
      { ...tcp81, expect: truth(true).expectAllIngress(xa, false).expectPeer(y, xa, true).allowLoopback() },
    ],
  },
  {
    name: 'endPort 81-82 leaves 80 out',
    policies: [
      netpol('range', { podSelector: podA, ingress: [{ from: [nsY], ports: [{ port: 81, endPort: 82 }] }] }),
    ],
    probes: [
      { ...tcp80, expect: truth(true).expectAllIngress(xa, false).allowLoopback() },
      { ...tcp81, expect: truth(true).expectAllIngress(xa, false).expectPeer(y, xa, true).allowLoopback() },
    ],
  },
  {
    name: 'namespaceSelector on the automatic kubernetes.io/metadata.name label',
    policies: [
      netpol('by-name', {
        podSelector: podA,
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'y' } } }] }],
      }),
    ],
    probes: [
      { ...tcp80, expect: truth(true).expectAllIngress(xa, false).expectPeer(y, xa, true).allowLoopback() },
    ],
  },
  {
    name: '`egress: []` without policyTypes isolates ingress only (the API defaults on len(egress) != 0)',
    policies: [netpol('empty-egress', { podSelector: podA, egress: [] })],
    probes: [{ ...tcp80, expect: truth(true).expectAllIngress(xa, false).allowLoopback() }],
  },
  {
    name: '`from: []` matches all sources; `ingress: []` allows nothing',
    policies: [
      netpol('from-empty', { podSelector: podA, ingress: [{ from: [], ports: [{ port: 80 }] }] }),
      netpol('no-rules', { podSelector: {}, ingress: [] }, 'y'),
    ],
    probes: [
      { ...tcp80, expect: truth(true).expectAllIngress(y, false).allowLoopback() },
      {
        ...tcp81,
        expect: truth(true).expectAllIngress(xa, false).expectAllIngress(y, false).allowLoopback(),
      },
    ],
  },
  {
    name: 'Exists and DoesNotExist selectors',
    policies: [
      netpol('exists', {
        podSelector: { matchExpressions: [{ key: 'pod', operator: 'Exists' }] },
        ingress: [
          {
            from: [
              {
                podSelector: { matchExpressions: [{ key: 'missing', operator: 'DoesNotExist' }] },
                namespaceSelector: { matchExpressions: [{ key: 'ns', operator: 'In', values: ['z'] }] },
              },
            ],
          },
        ],
      }),
    ],
    probes: [
      { ...tcp80, expect: truth(true).expectAllIngress(x, false).expectPeer(z, x, true).allowLoopback() },
    ],
  },
  {
    name: 'policyTypes [Egress] ignores the ingress rules it carries',
    policies: [
      netpol('egress-only', {
        podSelector: podA,
        policyTypes: ['Egress'],
        ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }],
        egress: [{ to: [nsY] }],
      }),
    ],
    probes: [
      { ...tcp80, expect: truth(true).expectAllEgress(xa, false).expectPeer(xa, y, true).allowLoopback() },
    ],
  },
  {
    name: 'a selector that matches no pod isolates nothing',
    policies: [
      netpol('nobody', { podSelector: { matchLabels: { pod: 'q' } }, policyTypes: ['Ingress', 'Egress'] }),
      netpol('deny', { podSelector: podA }, 'z'),
    ],
    probes: [
      { ...tcp80, expect: truth(true).expectAllIngress({ namespace: 'z', pod: 'a' }, false).allowLoopback() },
    ],
  },
];

describe('NetworkPolicy truth tables (upstream e2e model x/y/z, a/b/c)', () => {
  it('has at least 25 scenarios', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(25);
  });

  it.each(scenarios.map((s) => [s.name, s] as const))('%s', (_name, scenario) => {
    let allowed = 0;
    let denied = 0;
    for (const probe of scenario.probes) {
      const expected = renderGrid(probe.expect.get);
      expect(`${probe.port}/${probe.protocol}\n${observe(scenario, probe)}`).toBe(
        `${probe.port}/${probe.protocol}\n${expected}`,
      );
      const cells = ALL_PODS.flatMap((from) => ALL_PODS.map((to) => probe.expect.get(from, to)));
      allowed += cells.filter(Boolean).length;
      denied += cells.filter((cell) => !cell).length;
    }
    // Every scenario must show both outcomes, or it could not tell a broken engine apart.
    expect(allowed).toBeGreaterThan(0);
    expect(denied).toBeGreaterThan(0);
  });
});
