import { compilePolicies } from '../../src/policy/engine.js';
import { toPolicyInfo, type NamespaceInfo, type PodInfo } from '../../src/policy/model.js';
import { expectationsFor } from '../../src/policy/expectations.js';

// A Service with two ports whose backends admit only the second one: the plan's expectation for a
// path must follow the Service port the path dials, not the Service's first port.
const namespaces: NamespaceInfo[] = ['app', 'netprobe'].map((name) => ({
  name,
  labels: { 'kubernetes.io/metadata.name': name },
}));
const web: PodInfo = {
  namespace: 'app',
  name: 'web-0',
  labels: { app: 'web' },
  ips: ['10.0.0.5'],
  ports: [
    { name: 'http', port: 8080, protocol: 'TCP' },
    { name: 'https', port: 8443, protocol: 'TCP' },
  ],
  phase: 'Running',
};
const agent: PodInfo = {
  namespace: 'netprobe',
  name: 'netprobe-node-x',
  labels: { app: 'netprobe-node' },
  ips: ['10.0.1.1'],
  ports: [],
  phase: 'Running',
};
const onlyHttps = toPolicyInfo({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { namespace: 'app', name: 'https-only' },
  spec: {
    podSelector: { matchLabels: { app: 'web' } },
    policyTypes: ['Ingress'],
    ingress: [{ ports: [{ protocol: 'TCP', port: 8443 }] }],
  },
});
const services = [
  {
    namespace: 'app',
    name: 'web',
    selector: { app: 'web' },
    ports: [
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' as const },
      { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' as const },
    ],
  },
];

describe('expectationsFor a path to a Service', () => {
  const engine = compilePolicies([onlyHttps], namespaces, [web, agent]);
  const expect_ = expectationsFor(engine, services, agent, [agent]);
  const query = (port: number) =>
    expect_({
      kind: 'declared',
      address: '10.96.0.20',
      port,
      protocol: 'TCP',
      service: { namespace: 'app', name: 'web' },
    });

  it('uses the targetPort of the Service port the path dials', () => {
    expect(query(443).expected).toBe('allow');
    expect(query(80).expected).toBe('deny');
  });
});

describe('expectationsFor host-network pods', () => {
  const hostAgent: PodInfo = { ...agent, name: 'netprobe-node-h', ips: ['192.168.0.7'], hostNetwork: true };
  const engine = compilePolicies([onlyHttps], namespaces, [web, agent, hostAgent]);

  it('gives no verdict for paths from a host-network agent', () => {
    const got = expectationsFor(engine, services, hostAgent, [agent, hostAgent])({
      kind: 'declared',
      address: '10.96.0.20',
      port: 443,
      protocol: 'TCP',
      service: { namespace: 'app', name: 'web' },
    });
    expect(got).toEqual({
      expected: 'unknown',
      decidedBy: 'the node agent runs in the host network, where NetworkPolicy behaviour is undefined',
    });
  });

  it('leaves host-network neighbours out of the neighbour expectation', () => {
    const got = expectationsFor(engine, services, agent, [agent, hostAgent])({
      kind: 'neighbour',
      address: '',
      port: 9808,
      protocol: 'TCP',
    });
    // The only other agent is host-network: nothing defined is left to evaluate.
    expect(got).toEqual({ expected: 'unknown', decidedBy: 'no backend pods to evaluate' });
  });
});
