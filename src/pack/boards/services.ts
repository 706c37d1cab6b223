import { q, type BoardSpec } from '../dashboards.js';

const F = 'namespace=~"$namespace",service=~"$service"';
const EP = 'netprobe_service_endpoints';

/** Services & Endpoints: endpoint states, selector matches and unresolved target ports. */
export function servicesBoard(): BoardSpec {
  return {
    uid: 'netprobe-services',
    title: 'Services & Endpoints',
    file: 'netprobe-services.json',
    description: 'Endpoints of every Service by state, pods matching the selectors, and static findings.',
    vars: [
      { name: 'namespace', label: 'Namespace', metric: EP },
      { name: 'service', label: 'Service', metric: EP },
    ],
    rows: [
      {
        title: 'Endpoints',
        panels: [
          {
            kind: 'stat',
            title: 'Services without ready endpoints',
            description: 'Services whose selector matches pods but which have no ready endpoint.',
            unit: 'none',
            queries: [
              {
                expr: `count(sum by (namespace, service) (${q(EP, `${F},state="ready"`)}) == 0 and on (namespace, service) max by (namespace, service) (${q('netprobe_service_selector_pods', F)}) > 0) or vector(0)`,
              },
            ],
          },
          {
            kind: 'table',
            title: 'Services with unready endpoints',
            description: 'Ready share of every Service that has endpoints, lowest first.',
            unit: 'percentunit',
            queries: [
              {
                expr: `sort(sum by (namespace, service) (${q(EP, `${F},state="ready"`)}) / sum by (namespace, service) (${q(EP, `${F},state=~"ready|not_ready"`)}) < 1)`,
              },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Endpoints by state',
            description:
              'Ready, not ready, terminating while still serving, and terminating endpoints of the selected Services.',
            unit: 'none',
            queries: [
              {
                expr: `sum by (namespace, service, state) (${q(EP, F)})`,
                legend: '{{namespace}}/{{service}} {{state}}',
              },
            ],
          },
          {
            kind: 'table',
            title: 'Dual-stack families that disagree',
            description:
              'Endpoints per address family of Services whose IPv4 and IPv6 entries disagree about a pod (empty when they agree).',
            unit: 'none',
            queries: [
              {
                expr: `max by (namespace, service, family, state) (${q('netprobe_service_endpoints_by_family', F)}) > 0`,
              },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Pods matching the selector',
            description:
              'Non-terminal pods matching each Service selector (absent for selector-less Services).',
            unit: 'none',
            queries: [
              {
                expr: `max by (namespace, service) (${q('netprobe_service_selector_pods', F)})`,
                legend: '{{namespace}}/{{service}}',
              },
            ],
          },
        ],
      },
      {
        title: 'Findings',
        panels: [
          {
            kind: 'table',
            title: 'Unresolved named target ports',
            description: 'Service ports whose named targetPort no matching pod declares.',
            unit: 'none',
            queries: [
              {
                expr: `max by (namespace, service, port) (${q('netprobe_service_target_port_unresolved', F)}) == 1`,
              },
            ],
          },
          {
            kind: 'table',
            title: 'Services by type',
            description: 'Services by type, selector and headless flags.',
            unit: 'none',
            queries: [{ expr: `count by (type, selector, headless) (${q('netprobe_service_info', F)})` }],
          },
        ],
      },
    ],
  };
}
