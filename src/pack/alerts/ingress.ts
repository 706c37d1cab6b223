import type { AlertDef, RuleContext, Severity } from '../rules.js';
import { DEFAULT_INTERVALS as I, probed, WATCHED, windowed } from '../timing.js';

const ROUTE = 'cluster, namespace, ingress, host, path';
const HOST = 'cluster, namespace, ingress, host';
const DAY = 86400;
/** Window of the route latency quantile. */
const SLOW_WINDOW = '1m';

/** Ingress route and TLS alerts from the cluster role's route probes and static checks. */
export function ingressAlerts(ctx: RuleContext): AlertDef[] {
  const { p, cluster } = ctx;
  const up = `max by (${ROUTE}) (netprobe_ingress_route_up${cluster()})`;
  const noRouteSeen = `sum by (${ROUTE}) (increase(netprobe_ingress_probes_total${cluster('result="no_route"')}[5m])) > 0`;
  // last_over_time keeps the alert steady through a missed probe or scrape, in place of `for`.
  const notAfter = `min by (${HOST}) (last_over_time(netprobe_tls_cert_expiry_timestamp_seconds${cluster()}[1h]))`;
  const remaining = `(${notAfter} - time())`;
  const routeTiming = probed(I.ingressProbe, I.ingressTimeout, 'route');
  const routeDash = { uid: 'netprobe-ingress', vars: ['namespace', 'ingress'] } as const;
  const expiring = (severity: Severity, days: number): AlertDef => ({
    alert: 'NetprobeTLSCertificateExpiring',
    severity,
    expr: `${remaining} < ${days * DAY} > 0`,
    timing: routeTiming,
    summary: 'A TLS certificate served by the ingress controller expires soon.',
    description:
      'The certificate served for {{ $labels.host }} (Ingress {{ $labels.namespace }}/{{ $labels.ingress }}) expires in {{ $value | humanizeDuration }}.',
    dashboard: routeDash,
    meaning: `The certificate the controller serves for the host expires in less than ${days} days.`,
    needs: `netprobe_tls_cert_expiry_timestamp_seconds (last value over 1h) - time() < ${days * DAY}; no \`for\`.`,
  });
  return [
    {
      alert: 'NetprobeIngressRouteDown',
      severity: 'critical',
      timing: routeTiming,
      // A "no route" answer is the controller not knowing the route: NetprobeIngressNoRoute says that.
      expr: `${up} == 0 unless on (${ROUTE}) ${noRouteSeen}`,
      for: '5m',
      summary: 'An Ingress route fails its probe.',
      description:
        'Route {{ $labels.host }}{{ $labels.path }} of Ingress {{ $labels.namespace }}/{{ $labels.ingress }} has failed its probe through the ingress controller for 5 minutes.',
      dashboard: routeDash,
      meaning:
        'Requests for the route through the ingress controller fail (5xx, timeout, connection, TLS or HTTP protocol error, unexpected status).',
      needs: 'netprobe_ingress_route_up == 0 without any no_route probe result over 5m, for 5m.',
    },
    {
      alert: 'NetprobeIngressNoRoute',
      severity: 'warning',
      timing: routeTiming,
      expr: `${up} == 0 and on (${ROUTE}) ${noRouteSeen}`,
      for: '5m',
      summary: 'The ingress controller has no route for an Ingress rule.',
      description:
        'The ingress controller answers {{ $labels.host }}{{ $labels.path }} (Ingress {{ $labels.namespace }}/{{ $labels.ingress }}) from its default backend: it has not loaded the route.',
      dashboard: routeDash,
      meaning:
        "The controller's default backend answered the probe: the Ingress exists but the controller did not load it (class, admission, host typo).",
      needs:
        'netprobe_ingress_route_up == 0 and netprobe_ingress_probes_total{result="no_route"} increased over 5m, for 5m.',
    },
    {
      alert: 'NetprobeIngressBackendProblem',
      severity: 'warning',
      timing: WATCHED,
      expr: `max by (${ROUTE}, problem) (netprobe_ingress_route_problem${cluster('problem=~"backend_.*"')}) == 1`,
      for: '10m',
      summary: 'The backend of an Ingress route is missing or has no ready endpoint.',
      description:
        'Route {{ $labels.host }}{{ $labels.path }} of Ingress {{ $labels.namespace }}/{{ $labels.ingress }} has backend problem {{ $labels.problem }}.',
      dashboard: routeDash,
      meaning:
        'A static check found the backend Service or port missing, or the backend without ready endpoints.',
      needs: 'netprobe_ingress_route_problem{problem=~"backend_.*"} == 1 for 10m.',
    },
    {
      alert: 'NetprobeIngressNotServed',
      severity: 'warning',
      timing: WATCHED,
      // Such a route is never probed (no controller address), so no probe-based alert can fire for it.
      expr: `max by (${ROUTE}) (netprobe_ingress_route_problem${cluster('problem="ingress_class_missing"')}) == 1`,
      for: '5m',
      summary: 'An Ingress route is served by no ingress controller.',
      description:
        'Ingress {{ $labels.namespace }}/{{ $labels.ingress }} ({{ $labels.host }}{{ $labels.path }}) names no existing IngressClass and no default class applies: no controller serves it.',
      dashboard: routeDash,
      meaning:
        'The Ingress names an IngressClass that does not exist (a typo such as ngnix), or has no class and the cluster has no default IngressClass: no controller serves it, so its hosts do not resolve to it or answer 404.',
      needs: 'netprobe_ingress_route_problem{problem="ingress_class_missing"} == 1 for 5m.',
    },
    {
      alert: 'NetprobeIngressSlow',
      severity: 'warning',
      timing: windowed(I.ingressProbe, SLOW_WINDOW, 'route'),
      // With 30 s probes a 1m window holds two probes per route; `for` longer than the window keeps one slow probe from firing.
      expr: `histogram_quantile(0.9, sum by (${ROUTE}, le) (rate(netprobe_ingress_route_duration_seconds_bucket${cluster()}[${SLOW_WINDOW}]))) > ${p.ingressSlowSeconds}`,
      for: '2m',
      keepFiringFor: '30s',
      summary: 'An Ingress route answers slowly.',
      description:
        'p90 duration of probes of {{ $labels.host }}{{ $labels.path }} (Ingress {{ $labels.namespace }}/{{ $labels.ingress }}) is {{ $value | humanizeDuration }}.',
      dashboard: routeDash,
      meaning: `The 90th percentile of route probe duration over the last minute is above ${p.ingressSlowSeconds} s, for 2 minutes.`,
      needs: `netprobe_ingress_route_duration_seconds p90 over ${SLOW_WINDOW} > ${p.ingressSlowSeconds} s for 2m, kept firing 30s.`,
    },
    expiring('warning', p.tlsExpiryWarningDays),
    expiring('critical', p.tlsExpiryCriticalDays),
    {
      alert: 'NetprobeTLSCertificateExpired',
      severity: 'critical',
      timing: routeTiming,
      expr: `(time() - ${notAfter}) >= 0`,
      summary: 'The ingress controller serves an expired TLS certificate.',
      description:
        'The certificate served for {{ $labels.host }} (Ingress {{ $labels.namespace }}/{{ $labels.ingress }}) expired {{ $value | humanizeDuration }} ago.',
      dashboard: routeDash,
      meaning: 'Clients that verify certificates refuse the host.',
      needs: 'netprobe_tls_cert_expiry_timestamp_seconds (last value over 1h) <= time(); no `for`.',
    },
    {
      alert: 'NetprobeTLSHostnameMismatch',
      severity: 'critical',
      timing: routeTiming,
      expr: `min by (${HOST}) (netprobe_tls_cert_hostname_match${cluster()}) == 0`,
      for: '5m',
      summary: 'The served TLS certificate does not cover the host name.',
      description:
        'The certificate served for {{ $labels.host }} (Ingress {{ $labels.namespace }}/{{ $labels.ingress }}) does not cover that host name.',
      dashboard: routeDash,
      meaning:
        'Clients that verify certificates refuse the host (often the controller default certificate is served: missing or wrong TLS secret).',
      needs: 'netprobe_tls_cert_hostname_match == 0 for 5m.',
    },
  ];
}
