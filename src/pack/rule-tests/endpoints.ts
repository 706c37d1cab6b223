import { series, type AlertCase, type SeriesValues } from '../rule-tests.js';

const SVC = { namespace: 'shop', service: 'cart' };
const TARGET = { job: 'netprobe-cluster', instance: 'c1:9808' };

/** Endpoint counts of shop/cart by state, and its selector pods (undefined: selector-less Service). */
function service(ready: string, notReady: string, selectorPods?: string): SeriesValues {
  const out: SeriesValues = {
    [series('netprobe_service_endpoints', { ...TARGET, ...SVC, state: 'ready' })]: ready,
    [series('netprobe_service_endpoints', { ...TARGET, ...SVC, state: 'not_ready' })]: notReady,
    [series('netprobe_service_endpoints', { ...TARGET, ...SVC, state: 'terminating' })]: '0x30',
  };
  if (selectorPods !== undefined)
    out[series('netprobe_service_selector_pods', { ...TARGET, ...SVC })] = selectorPods;
  return out;
}

function targetPort(values: string): SeriesValues {
  return { [series('netprobe_service_target_port_unresolved', { ...TARGET, ...SVC, port: 'http' })]: values };
}

/** promtool cases of the Service endpoint alerts. */
export function endpointCases(): AlertCase[] {
  return [
    {
      alert: 'NetprobeServiceNoReadyEndpoints',
      firing: service('0x30', '3x30', '3x30'),
      fireAt: '5m',
      expect: [
        {
          labels: { severity: 'critical', ...SVC },
          description:
            'Service shop/cart has no ready endpoint although pods match its selector: connections to it fail.',
        },
      ],
      healthy: service('3x30', '0x30', '3x30'),
      edge: {
        name: 'a selector-less Service without endpoints',
        series: service('0x30', '0x30'),
        evalAt: '10m',
        expect: [],
      },
    },
    {
      alert: 'NetprobeServiceSelectorMatchesNothing',
      firing: service('0x30', '0x30', '0x30'),
      fireAt: '15m',
      expect: [
        {
          labels: { severity: 'warning', ...SVC },
          description: 'The selector of Service shop/cart matches no pod in its namespace.',
        },
      ],
      healthy: service('2x30', '0x30', '2x30'),
      edge: {
        name: 'a selector-less Service has no selector to match',
        series: service('0x30', '0x30'),
        evalAt: '20m',
        expect: [],
      },
    },
    {
      alert: 'NetprobeServiceEndpointsDegraded',
      firing: service('1x30', '3x30', '4x30'),
      fireAt: '10m',
      expect: [
        {
          labels: { severity: 'warning', ...SVC },
          description: 'Only 25% of the endpoints of Service shop/cart are ready.',
        },
      ],
      healthy: service('3x30', '1x30', '4x30'),
      edge: {
        name: 'no ready endpoint at all is NetprobeServiceNoReadyEndpoints',
        series: service('0x30', '3x30', '3x30'),
        evalAt: '15m',
        expect: [],
      },
    },
    {
      alert: 'NetprobeServiceTargetPortUnresolved',
      firing: targetPort('1x30'),
      fireAt: '15m',
      expect: [
        {
          labels: { severity: 'warning', ...SVC, port: 'http' },
          description:
            'Port http of Service shop/cart targets a named port that none of the matching pods declares.',
        },
      ],
      healthy: targetPort('0x30'),
      edge: {
        name: 'a fix in between restarts the wait',
        series: targetPort('1x5 0 1x20'),
        evalAt: '15m',
        expect: [],
      },
    },
  ];
}
