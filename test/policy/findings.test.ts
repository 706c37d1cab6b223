import { fileURLToPath } from 'node:url';
import { computePolicyFindings, type Finding } from '../../src/policy/findings.js';
import { toPolicyInfo } from '../../src/policy/model.js';
import { loadSnapshot, type Snapshot } from '../../src/policy/snapshot.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

function brief(findings: Finding[]): string[] {
  return findings.map(
    (f) =>
      `${f.severity} ${f.code} ${f.object.kind} ${f.object.namespace ? `${f.object.namespace}/` : ''}${f.object.name}`,
  );
}

describe('computePolicyFindings', () => {
  let snapshot: Snapshot;
  beforeAll(async () => {
    snapshot = await loadSnapshot([
      `${fixtures}cluster.yaml`,
      `${fixtures}pods.json`,
      `${fixtures}policies.yaml`,
    ]);
  });

  it('finds blocked DNS, blocked Ingress backends, unreachable Services, empty selectors and missing default-deny, by severity', () => {
    const { findings } = computePolicyFindings(snapshot);
    expect(brief(findings)).toEqual([
      'error dns-egress-blocked Pod shop/admin-1',
      'error dns-egress-blocked Pod shop/db-1',
      'error ingress-backend-blocked Ingress shop/admin',
      'warning policy-selects-nothing NetworkPolicy shop/legacy',
      'warning unreachable-service Service shop/admin',
      'warning unreachable-service Service shop/db',
      'info namespace-without-default-deny Namespace batch',
      'info namespace-without-default-deny Namespace ingress-nginx',
      'info namespace-without-default-deny Namespace kube-system',
    ]);
    expect(findings[0]?.message).toBe(
      'DNS to kube-system/kube-dns (UDP 53) is denied: egress of shop/admin-1 is isolated by shop/default-deny and no rule allows it',
    );
    expect(findings[2]?.message).toBe(
      'ingress controller pod ingress-nginx/controller-1 may not reach any pod of Service shop/admin (9000/TCP): ingress of shop/admin-1 is isolated by shop/default-deny and no rule allows it',
    );
  });

  it('returns the aggregates of the netprobe_policy_* gauges', () => {
    const { metrics } = computePolicyFindings(snapshot);
    expect(metrics.dnsEgressBlockedPods).toEqual([
      { namespace: 'kube-system', value: 0 },
      { namespace: 'shop', value: 2 },
      { namespace: 'ingress-nginx', value: 0 },
      { namespace: 'batch', value: 0 },
    ]);
    expect(metrics.ingressBackendBlocked).toEqual([
      { namespace: 'shop', ingress: 'storefront', service: 'web', value: 0 },
      { namespace: 'shop', ingress: 'admin', service: 'admin', value: 1 },
    ]);
    expect(metrics.unreachableService).toEqual([
      { namespace: 'kube-system', service: 'kube-dns', value: 0 },
      { namespace: 'shop', service: 'web', value: 0 },
      { namespace: 'shop', service: 'admin', value: 1 },
      { namespace: 'shop', service: 'db', value: 1 },
    ]);
    expect(metrics.namespaceDefaultDeny.filter((m) => m.value === 1)).toEqual([
      { namespace: 'shop', direction: 'ingress', value: 1 },
      { namespace: 'shop', direction: 'egress', value: 1 },
    ]);
    expect(metrics.namespaceDefaultDeny).toHaveLength(8);
  });

  it('tells DNS blocked by the kube-dns pods’ own ingress policy apart', () => {
    const lockedDns = toPolicyInfo({
      kind: 'NetworkPolicy',
      metadata: { name: 'dns-from-shop-web', namespace: 'kube-system' },
      spec: {
        podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'web' } } }] }],
      },
    });
    const { findings, metrics } = computePolicyFindings({
      ...snapshot,
      policies: [...snapshot.policies, lockedDns],
    });
    expect(brief(findings.filter((f) => f.code.startsWith('dns-')))).toEqual([
      'error dns-egress-blocked Pod shop/admin-1',
      'error dns-egress-blocked Pod shop/db-1',
      'error dns-ingress-blocked Pod batch/worker-1',
      'error dns-ingress-blocked Pod ingress-nginx/controller-1',
    ]);
    expect(metrics.dnsEgressBlockedPods.find((m) => m.namespace === 'batch')?.value).toBe(0);
  });

  it('finds DNS over TCP blocked when a policy allows only UDP 53 (truncated answers then fail)', () => {
    const udpOnly = toPolicyInfo({
      kind: 'NetworkPolicy',
      metadata: { name: 'worker-dns-udp-only', namespace: 'batch' },
      spec: {
        podSelector: { matchLabels: { app: 'worker' } },
        policyTypes: ['Egress'],
        egress: [
          {
            to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }],
            ports: [{ protocol: 'UDP', port: 53 }],
          },
        ],
      },
    });
    const { findings } = computePolicyFindings({ ...snapshot, policies: [...snapshot.policies, udpOnly] });
    const worker = findings.filter((f) => f.object.name === 'worker-1');
    expect(brief(worker)).toEqual(['error dns-egress-blocked Pod batch/worker-1']);
    expect(worker[0]?.message).toBe(
      'DNS to kube-system/kube-dns (TCP 53) is denied: egress of batch/worker-1 is isolated by batch/worker-dns-udp-only and no rule allows it',
    );
  });

  it('says when it cannot find the DNS Service or the ingress controller', () => {
    const { findings, metrics } = computePolicyFindings(snapshot, {
      dnsService: { namespace: 'kube-system', name: 'coredns' },
      controllerNamespace: 'traefik',
    });
    expect(brief(findings.filter((f) => f.severity === 'info' && !f.code.startsWith('namespace')))).toEqual([
      'info dns-service-not-found Service kube-system/coredns',
      'info ingress-controller-not-found Pod traefik/app.kubernetes.io/name=ingress-nginx',
    ]);
    expect(metrics.ingressBackendBlocked).toEqual([]);
  });

  it('uses the controller labels it is given', () => {
    const { metrics } = computePolicyFindings(snapshot, { controllerLabels: { app: 'web' } });
    // web-1 as the "controller" reaches itself (self traffic) but its egress rules leave admin-1 out.
    expect(metrics.ingressBackendBlocked).toEqual([
      { namespace: 'shop', ingress: 'storefront', service: 'web', value: 0 },
      { namespace: 'shop', ingress: 'admin', service: 'admin', value: 1 },
    ]);
  });
});
