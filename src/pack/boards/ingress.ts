import { q, rate, type BoardSpec } from '../dashboards.js';

const F = 'namespace=~"$namespace",ingress=~"$ingress"';
const BUCKET = 'netprobe_ingress_route_duration_seconds_bucket';

/** Ingress & TLS: route probes through the controller, their phases, static problems and certificates. */
export function ingressBoard(): BoardSpec {
  return {
    uid: 'netprobe-ingress',
    title: 'Ingress & TLS',
    file: 'netprobe-ingress.json',
    description: 'Ingress routes probed through the ingress controller, with TLS certificate state.',
    vars: [
      { name: 'namespace', label: 'Namespace', metric: 'netprobe_ingress_route_up' },
      { name: 'ingress', label: 'Ingress', metric: 'netprobe_ingress_route_up' },
    ],
    rows: [
      {
        title: 'Routes',
        panels: [
          {
            kind: 'table',
            title: 'Routes down',
            description: 'Routes whose last probe failed, with the HTTP status code (0: no response).',
            unit: 'none',
            queries: [
              {
                expr: `max by (namespace, ingress, host, path) (${q('netprobe_ingress_route_status_code', F)}) and on (namespace, ingress, host, path) max by (namespace, ingress, host, path) (${q('netprobe_ingress_route_up', F)}) == 0`,
              },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Probes by result',
            description:
              'Route probes per second by result: ok, no_route, backend_unavailable, server_error, timeout, ...',
            unit: 'reqps',
            queries: [
              { expr: `sum by (result) (${rate('netprobe_ingress_probes_total', F)})`, legend: '{{result}}' },
            ],
          },
          {
            kind: 'heatmap',
            title: 'Probe duration',
            description: 'Distribution of route probe durations.',
            unit: 's',
            queries: [{ expr: `sum by (le) (${rate(BUCKET, F)})` }],
          },
          {
            kind: 'timeseries',
            title: 'p90 probe duration by route',
            description: 'What NetprobeIngressSlow alerts on.',
            unit: 's',
            queries: [
              {
                expr: `histogram_quantile(0.9, sum by (host, path, le) (${rate(BUCKET, F)}))`,
                legend: '{{host}}{{path}}',
              },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Mean probe duration by route',
            description: 'Mean duration per route, from the histogram sum and count.',
            unit: 's',
            queries: [
              {
                expr: `sum by (host, path) (${rate('netprobe_ingress_route_duration_seconds_sum', F)}) / sum by (host, path) (${rate('netprobe_ingress_route_duration_seconds_count', F)})`,
                legend: '{{host}}{{path}}',
              },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Last probe phases',
            description:
              'Duration of each phase of the last probe: resolve, connect, tls, processing, transfer.',
            unit: 's',
            queries: [
              {
                expr: `max by (host, path, phase) (${q('netprobe_ingress_route_phase_seconds', F)})`,
                legend: '{{host}}{{path}} {{phase}}',
              },
            ],
          },
          {
            kind: 'table',
            title: 'Static problems',
            description:
              'Problems found without probing: backend Service or port missing, no ready endpoints, TLS host not covered, class missing.',
            unit: 'none',
            queries: [
              {
                expr: `max by (namespace, ingress, host, path, problem) (${q('netprobe_ingress_route_problem', F)}) == 1`,
              },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Routes by state',
            description: 'Routes found in Ingress objects: probed, unprobeable, disabled, invalid_host.',
            unit: 'none',
            queries: [{ expr: `sum by (state) (${q('netprobe_ingress_routes')})`, legend: '{{state}}' }],
          },
        ],
      },
      {
        title: 'TLS',
        panels: [
          {
            kind: 'table',
            title: 'Certificate expiry',
            description: 'Time left until the served certificate expires, soonest first.',
            unit: 's',
            queries: [
              {
                expr: `sort(min by (namespace, ingress, host) (${q('netprobe_tls_cert_expiry_timestamp_seconds', F)}) - time())`,
              },
            ],
          },
          {
            kind: 'table',
            title: 'Certificate problems',
            description:
              'Hosts whose served certificate does not cover the host name or does not verify (0 = problem).',
            unit: 'none',
            queries: [
              {
                expr: `min by (namespace, ingress, host) (${q('netprobe_tls_cert_hostname_match', F)}) == 0`,
                legend: 'hostname',
              },
              {
                expr: `min by (namespace, ingress, host) (${q('netprobe_tls_cert_verified', F)}) == 0`,
                legend: 'chain',
              },
            ],
          },
        ],
      },
    ],
  };
}
