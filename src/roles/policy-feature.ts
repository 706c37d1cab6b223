import { computePolicyFindings } from '../policy/findings.js';
import { toIngressInfo, toPolicyInfo, toServiceInfo, type PodInfo, type Protocol } from '../policy/model.js';
import type { Snapshot } from '../policy/snapshot.js';
import type { ClusterCache } from '../kube/cache.js';
import { SeriesTracker } from '../metrics/series.js';
import type { ExpectFn } from '../plan/builder.js';
import { expectationsFor } from '../policy/expectations.js';
import { debounce } from '../runner/debounce.js';
import type { PolicyFindingRow } from '../server/status-page.js';
import type { ClusterContext, ClusterFeature } from './cluster.js';

/** Builds the policy engine's snapshot from the cache's projections; malformed objects are skipped. */
export function snapshotFromCache(cache: ClusterCache, onRejected: (kind: string) => void): Snapshot {
  const convert = <T>(kind: string, raw: unknown, fn: (r: unknown) => T): T[] => {
    try {
      return [fn(raw)];
    } catch {
      onRejected(kind);
      return [];
    }
  };
  const pods: PodInfo[] = cache.pods.list().map((p) => ({
    namespace: p.metadata.namespace,
    name: p.metadata.name,
    labels: p.metadata.labels,
    ips: p.ips,
    ports: p.ports.map((c) => ({
      ...(c.name ? { name: c.name } : {}),
      port: c.port,
      protocol: c.protocol as Protocol,
    })),
    phase: p.phase,
    terminal: p.phase === 'Succeeded' || p.phase === 'Failed',
    // The engine applies the host-network rule (src/policy/engine.ts) to live and offline input alike.
    ...(p.hostNetwork ? { hostNetwork: true } : {}),
  }));
  const metaOf = (m: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
  }): Record<string, unknown> => ({
    name: m.name,
    namespace: m.namespace,
    labels: m.labels,
  });
  return {
    namespaces: cache.namespaces.list().map((n) => ({ name: n.metadata.name, labels: n.metadata.labels })),
    pods,
    policies: cache.networkPolicies.list().flatMap((p) =>
      convert(
        'networkpolicies',
        {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          metadata: metaOf(p.metadata),
          spec: p.spec,
        },
        toPolicyInfo,
      ),
    ),
    services: cache.services.list().flatMap((s) =>
      convert(
        'services',
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: metaOf(s.metadata),
          spec: { ...(s.selector ? { selector: s.selector } : {}), type: s.type, ports: s.ports },
        },
        toServiceInfo,
      ),
    ),
    ingresses: cache.ingresses
      .list()
      .flatMap((i) =>
        convert(
          'ingresses',
          { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: metaOf(i.metadata), spec: i.spec },
          toIngressInfo,
        ),
      ),
    defaultedNamespaces: [],
  };
}

/** The policy feature: live findings as metrics, and expectations for the plan's paths. */
export function createPolicyFeature(ctx: ClusterContext): ClusterFeature & { expectations(): ExpectFn } {
  const { rt, cache } = ctx;
  const cfg = rt.config.cluster;
  const m = rt.metrics.policy;
  const series = new SeriesTracker();
  let expect: ExpectFn = () => ({ expected: 'unknown', decidedBy: 'policy engine not ready' });
  let findings: PolicyFindingRow[] = [];

  const recompute = (): void => {
    const snapshot = snapshotFromCache(cache, (kind) =>
      rt.metrics.kube.objectsRejected.inc({ resource: kind }),
    );
    const [dnsNs = 'kube-system', dnsName = 'kube-dns'] = cfg.dnsService.split('/');
    const engineOpts = {
      ipBlockMatchesPods: cfg.policy.ipBlockMatchesPods,
      allowSelfTraffic: cfg.policy.allowSelfTraffic,
    };
    const result = computePolicyFindings(snapshot, {
      dnsService: { namespace: dnsNs, name: dnsName },
      ...(cfg.policy.ingressControllerNamespace
        ? { controllerNamespace: cfg.policy.ingressControllerNamespace }
        : {}),
      controllerLabels: cfg.policy.ingressControllerLabels,
      engine: engineOpts,
    });
    findings = result.findings.map((f) => ({
      severity: f.severity,
      code: f.code,
      object: { ...f.object },
      message: f.message,
    }));
    const keep = new Set<string>();
    const set = <L extends string>(
      name: string,
      g: { set(l: Record<L, string>, v: number): void; remove(l: Partial<Record<L, string>>): void },
      labels: Record<L, string>,
      value: number,
    ): void => {
      const key = `${name}${JSON.stringify(labels)}`;
      keep.add(key);
      g.set(labels, value);
      series.track(key, g, labels);
    };
    for (const r of result.metrics.dnsEgressBlockedPods)
      set('dns', m.dnsEgressBlockedPods, { namespace: r.namespace }, r.value);
    for (const r of result.metrics.ingressBackendBlocked)
      set(
        'backend',
        m.ingressBackendBlocked,
        { namespace: r.namespace, ingress: r.ingress, service: r.service },
        r.value,
      );
    for (const r of result.metrics.unreachableService)
      set('unreachable', m.unreachableService, { namespace: r.namespace, service: r.service }, r.value);
    for (const r of result.metrics.namespaceDefaultDeny)
      set('deny', m.namespaceDefaultDeny, { namespace: r.namespace, direction: r.direction }, r.value);
    series.retain(keep);

    const agents = snapshot.pods.filter(
      (p) =>
        p.namespace === cfg.namespace &&
        !p.terminal &&
        Object.entries(cfg.agentLabels).every(([k, v]) => p.labels[k] === v),
    );
    expect = expectationsFor(result.engine, snapshot.services, agents[0], agents);
    ctx.replan();
  };
  const update = debounce(recompute, 300, 2000);
  for (const inf of [cache.pods, cache.namespaces, cache.networkPolicies, cache.services, cache.ingresses]) {
    (inf as { onChange(cb: () => void): void }).onChange(() => update.trigger());
  }
  return {
    name: 'policy',
    start: () => recompute(),
    status: () => ({ findings: findings.length, list: findings }),
    sections: () => ({ findings }),
    stop: () => update.cancel(),
    expectations: () => expect,
  };
}
