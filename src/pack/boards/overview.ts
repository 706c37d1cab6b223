import { q, rate, type BoardSpec, type PanelSpec } from '../dashboards.js';
import { unexpected } from './paths.js';

const stat = (title: string, description: string, expr: string, unit = 'none'): PanelSpec => ({
  kind: 'stat',
  title,
  description,
  unit,
  queries: [{ expr }],
});

/** Overview: one glance at every area, linking to the detailed dashboards. */
export function overviewBoard(): BoardSpec {
  const lookups = 'netprobe_dns_lookups_total';
  return {
    uid: 'netprobe-overview',
    title: 'Overview',
    file: 'netprobe-overview.json',
    description:
      'Is the cluster network healthy? DNS, Service endpoints, Ingress routes, paths and policies at a glance.',
    vars: [],
    rows: [
      {
        title: 'Now',
        panels: [
          stat(
            'Firing netprobe alerts',
            'Netprobe alerts firing now.',
            `count(${q('ALERTS', 'alertname=~"Netprobe.*",alertstate="firing"')}) or vector(0)`,
          ),
          stat(
            'DNS success ratio',
            'Share of DNS lookups through the resolver and kube-dns Service that succeeded.',
            `sum(${rate(lookups, 'via=~"resolver|service",result="success"')}) / sum(${rate(lookups, 'via=~"resolver|service"')})`,
            'percentunit',
          ),
          stat(
            'Services without ready endpoints',
            'Services whose selector matches pods, none of them ready.',
            `count(sum by (namespace, service) (${q('netprobe_service_endpoints', 'state="ready"')}) == 0 and on (namespace, service) max by (namespace, service) (${q('netprobe_service_selector_pods')}) > 0) or vector(0)`,
          ),
          stat(
            'Ingress routes down',
            'Routes whose last probe failed.',
            `count(max by (namespace, ingress, host, path) (${q('netprobe_ingress_route_up')}) == 0) or vector(0)`,
          ),
          stat(
            'Paths with unexpected verdicts',
            'Paths blocked although allowed, or reachable although denied.',
            `count(${unexpected(0, 'allow', '')} or ${unexpected(1, 'deny', '')}) or vector(0)`,
          ),
          stat(
            'Soonest certificate expiry',
            'Time until the first served certificate expires.',
            `min(${q('netprobe_tls_cert_expiry_timestamp_seconds')}) - time()`,
            's',
          ),
        ],
      },
      {
        title: 'Trends',
        panels: [
          {
            kind: 'timeseries',
            title: 'DNS lookups by result',
            description: 'Lookups per second from all nodes, by result.',
            unit: 'reqps',
            queries: [{ expr: `sum by (result) (${rate(lookups)})`, legend: '{{result}}' }],
          },
          {
            kind: 'timeseries',
            title: 'Ingress probes by result',
            description: 'Route probes per second, by result.',
            unit: 'reqps',
            queries: [
              { expr: `sum by (result) (${rate('netprobe_ingress_probes_total')})`, legend: '{{result}}' },
            ],
          },
        ],
      },
    ],
  };
}
