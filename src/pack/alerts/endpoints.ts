import type { AlertDef, RuleContext } from '../rules.js';
import { WATCHED } from '../timing.js';

const SVC = 'cluster, namespace, service';

/** Service endpoint alerts from the cluster role's EndpointSlice and Pod inventory. */
export function endpointAlerts(ctx: RuleContext): AlertDef[] {
  const { p, cluster } = ctx;
  const ready = `sum by (${SVC}) (netprobe_service_endpoints${cluster('state="ready"')})`;
  const counted = `sum by (${SVC}) (netprobe_service_endpoints${cluster('state=~"ready|not_ready"')})`;
  const selectorPods = `max by (${SVC}) (netprobe_service_selector_pods${cluster()})`;
  const dashboard = { uid: 'netprobe-services', vars: ['namespace', 'service'] } as const;
  return [
    {
      alert: 'NetprobeServiceNoReadyEndpoints',
      severity: 'critical',
      timing: WATCHED,
      // Selector-less Services have no selector_pods series, so they never match here.
      expr: `${ready} == 0 and on (${SVC}) ${selectorPods} > 0`,
      for: '5m',
      summary: 'A Service has matching pods but no ready endpoint.',
      description:
        'Service {{ $labels.namespace }}/{{ $labels.service }} has no ready endpoint although pods match its selector: connections to it fail.',
      dashboard,
      meaning:
        'Pods match the Service selector, yet none of them is a ready endpoint: clients get connection refused or timeouts.',
      needs: 'netprobe_service_endpoints{state="ready"} == 0 and netprobe_service_selector_pods > 0, for 5m.',
    },
    {
      alert: 'NetprobeServiceSelectorMatchesNothing',
      severity: 'warning',
      timing: WATCHED,
      expr: `${selectorPods} == 0`,
      for: '15m',
      summary: 'A Service selector matches no pod.',
      description:
        'The selector of Service {{ $labels.namespace }}/{{ $labels.service }} matches no pod in its namespace.',
      dashboard,
      meaning:
        'The Service has a selector but no non-terminal pod in its namespace matches it (typo in a label, or the workload is gone).',
      needs: 'netprobe_service_selector_pods == 0 for 15m (absent for selector-less Services).',
    },
    {
      alert: 'NetprobeServiceEndpointsDegraded',
      severity: 'warning',
      timing: WATCHED,
      expr: `${ready} / ${counted} < ${p.endpointsDegradedRatio} and ${ready} > 0`,
      for: '10m',
      summary: 'Fewer than half of the endpoints of a Service are ready.',
      description:
        'Only {{ $value | humanizePercentage }} of the endpoints of Service {{ $labels.namespace }}/{{ $labels.service }} are ready.',
      dashboard,
      meaning: `Less than ${p.endpointsDegradedRatio * 100} % of the Service's endpoints are ready; the remaining ones carry all the traffic.`,
      needs: `ready / (ready + not_ready) of netprobe_service_endpoints < ${p.endpointsDegradedRatio} with at least one ready endpoint, for 10m.`,
    },
    {
      alert: 'NetprobeServiceTargetPortUnresolved',
      severity: 'warning',
      timing: WATCHED,
      expr: `max by (${SVC}, port) (netprobe_service_target_port_unresolved${cluster()}) == 1`,
      for: '15m',
      summary: 'A named targetPort of a Service is declared by none of its pods.',
      description:
        'Port {{ $labels.port }} of Service {{ $labels.namespace }}/{{ $labels.service }} targets a named port that none of the matching pods declares.',
      dashboard,
      meaning:
        'Endpoints for this port cannot be built: the pods do not name a container port as the Service targetPort says.',
      needs: 'netprobe_service_target_port_unresolved == 1 for 15m.',
    },
  ];
}
