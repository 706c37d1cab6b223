import type { PromRuleGroup, RuleParams } from './rules.js';

/** Labels every generated object carries. */
const LABELS = { 'app.kubernetes.io/name': 'netprobe', 'app.kubernetes.io/part-of': 'netprobe' };

/** The PrometheusRule (prometheus-operator CRD) holding the same groups as alerts/netprobe-rules.yaml. */
export function prometheusRule(groups: PromRuleGroup[]): unknown {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'netprobe', labels: { ...LABELS, 'app.kubernetes.io/component': 'alerting' } },
    spec: { groups },
  };
}

/**
 * One PodMonitor per role. honorLabels keeps netprobe's own `namespace` (the watched object's) and
 * `node` labels; the pod's namespace moves to `netprobe_namespace` so `namespace` means one thing.
 * Only node agents get `node` from the pod's node: their own series carry the same value, while the
 * cluster role exports `node` for other nodes (netprobe_path_incoming_probes).
 */
export function podMonitor(role: 'node' | 'cluster', job: string): unknown {
  const relabelings: unknown[] = [
    { action: 'replace', targetLabel: 'job', replacement: job },
    { action: 'replace', sourceLabels: ['__meta_kubernetes_namespace'], targetLabel: 'netprobe_namespace' },
    { action: 'labeldrop', regex: 'namespace' },
  ];
  if (role === 'node') {
    relabelings.push({
      action: 'replace',
      sourceLabels: ['__meta_kubernetes_pod_node_name'],
      targetLabel: 'node',
    });
  }
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: { name: job, labels: { ...LABELS, 'app.kubernetes.io/component': role } },
    spec: {
      selector: {
        matchLabels: { 'app.kubernetes.io/name': 'netprobe', 'app.kubernetes.io/component': role },
      },
      podMetricsEndpoints: [
        { port: 'metrics', path: '/metrics', interval: '30s', honorLabels: true, relabelings },
      ],
    },
  };
}

/** Both PodMonitors, with the job names the rules select. */
export function podMonitors(p: RuleParams): unknown[] {
  return [podMonitor('node', p.nodeJob), podMonitor('cluster', p.clusterJob)];
}

/** A ConfigMap the Grafana sidecar imports (label grafana_dashboard: "1"). */
export function dashboardsConfigMap(dashboards: { file: string; json: string }[]): unknown {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'netprobe-dashboards',
      labels: { ...LABELS, 'app.kubernetes.io/component': 'dashboards', grafana_dashboard: '1' },
    },
    data: Object.fromEntries(dashboards.map((d) => [d.file, d.json])),
  };
}
