import { counterValues, series, type AlertCase, type SeriesValues } from '../rule-tests.js';

const TARGET = { job: 'netprobe-cluster', instance: 'c1:9808' };
const HOST = { namespace: 'shop', ingress: 'web', host: 'shop.example.com' };
const ROUTE = { ...HOST, path: '/' };
const DAY = 86400;

/** route_up of shop.example.com/ and the probe counters by result. */
function route(up: string, results: Record<string, string>): SeriesValues {
  const out: SeriesValues = { [series('netprobe_ingress_route_up', { ...TARGET, ...ROUTE })]: up };
  for (const [result, values] of Object.entries(results)) {
    out[series('netprobe_ingress_probes_total', { ...TARGET, ...ROUTE, result })] = values;
  }
  return out;
}

function problem(name: string, values: string): SeriesValues {
  return { [series('netprobe_ingress_route_problem', { ...TARGET, ...ROUTE, problem: name })]: values };
}

/**
 * Duration buckets at 30 s samples (rates over 1m need two), one probe per sample: while `slow(k)`
 * it lands in (2.5, 5], otherwise under 0.5 s.
 */
function durations(slow: (k: number) => boolean): SeriesValues {
  const out: SeriesValues = {};
  for (const le of ['0.5', '1', '2.5', '5', '10', '+Inf']) {
    const step = (k: number): number => (Number(le) <= 2.5 && slow(k) ? 0 : 1);
    out[series('netprobe_ingress_route_duration_seconds_bucket', { ...TARGET, ...ROUTE, le })] =
      counterValues(step);
  }
  return out;
}
/** Slow from sample 3 (the 1m window at 2m holds only slow probes) until sample `healAt`. */
const slowFrom2m =
  (healAt = Infinity) =>
  (k: number): boolean =>
    k >= 3 && k < healAt;

function certExpiry(values: string): SeriesValues {
  return { [series('netprobe_tls_cert_expiry_timestamp_seconds', { ...TARGET, ...HOST })]: values };
}

function hostnameMatch(values: string): SeriesValues {
  return { [series('netprobe_tls_cert_hostname_match', { ...TARGET, ...HOST })]: values };
}

const routeLabels = (severity: string): Record<string, string> => ({ severity, ...ROUTE });
const hostLabels = (severity: string): Record<string, string> => ({ severity, ...HOST });
const expiringDesc = (d: string): string =>
  `The certificate served for shop.example.com (Ingress shop/web) expires in ${d}.`;
// A certificate 100 days from expiry for 5 minutes, then (renewal gone wrong) one that expires sooner.
const swapCert = (notAfter: number): string => `${100 * DAY}x4 ${notAfter}x30`;

/** promtool cases of the Ingress and TLS alerts. */
export function ingressCases(): AlertCase[] {
  return [
    {
      alert: 'NetprobeIngressRouteDown',
      firing: route('0x30', { server_error: '0+2x30', no_route: '0x30' }),
      fireAt: '5m',
      expect: [
        {
          labels: routeLabels('critical'),
          description:
            'Route shop.example.com/ of Ingress shop/web has failed its probe through the ingress controller for 5 minutes.',
        },
      ],
      healthy: route('1x30', { ok: '0+2x30' }),
      edge: {
        name: 'a no-route answer is NetprobeIngressNoRoute',
        series: route('0x30', { no_route: '0+2x30' }),
        evalAt: '10m',
        expect: [],
      },
    },
    {
      alert: 'NetprobeIngressNoRoute',
      firing: route('0x30', { no_route: '0+2x30' }),
      fireAt: '6m',
      expect: [
        {
          labels: routeLabels('warning'),
          description:
            'The ingress controller answers shop.example.com/ (Ingress shop/web) from its default backend: it has not loaded the route.',
        },
      ],
      healthy: route('1x30', { ok: '0+2x30', no_route: '0x30' }),
      edge: {
        name: 'other failures are NetprobeIngressRouteDown',
        series: route('0x30', { server_error: '0+2x30', no_route: '0x30' }),
        evalAt: '10m',
        expect: [],
      },
    },
    {
      alert: 'NetprobeIngressBackendProblem',
      firing: problem('backend_no_ready_endpoints', '1x30'),
      fireAt: '10m',
      expect: [
        {
          labels: { ...routeLabels('warning'), problem: 'backend_no_ready_endpoints' },
          description:
            'Route shop.example.com/ of Ingress shop/web has backend problem backend_no_ready_endpoints.',
        },
      ],
      healthy: problem('backend_no_ready_endpoints', '0x30'),
      edge: {
        name: 'TLS problems are not backend problems',
        series: problem('tls_host_not_covered', '1x30'),
        evalAt: '15m',
        expect: [],
      },
    },
    {
      alert: 'NetprobeIngressNotServed',
      firing: problem('ingress_class_missing', '1x30'),
      fireAt: '5m',
      expect: [
        {
          labels: routeLabels('warning'),
          description:
            'Ingress shop/web (shop.example.com/) names no existing IngressClass and no default class applies: no controller serves it.',
        },
      ],
      healthy: problem('ingress_class_missing', '0x30'),
      edge: {
        name: 'backend problems are not a missing controller',
        series: problem('backend_service_missing', '1x30'),
        evalAt: '10m',
        expect: [],
      },
    },
    {
      alert: 'NetprobeIngressSlow',
      seriesInterval: '30s',
      firing: durations(slowFrom2m()),
      // Slow from 2m, `for: 2m`.
      fireAt: '4m',
      expect: [
        {
          labels: routeLabels('warning'),
          description: 'p90 duration of probes of shop.example.com/ (Ingress shop/web) is 4.75s.',
        },
      ],
      healthy: durations(() => false),
      edge: {
        name: 'one slow probe (true for one evaluation) does not fire',
        series: durations((k) => k === 6),
        evalAt: '3m',
        expect: [],
      },
      // Fast again from 6m: out of the 1m window at 7m, kept firing through that evaluation, inactive at the next.
      heal: { series: durations(slowFrom2m(12)), firingAt: '5m', clearAt: '8m' },
    },
    {
      alert: 'NetprobeTLSCertificateExpiring',
      firing: certExpiry(swapCert(10 * DAY)),
      fireAt: '5m',
      expect: [{ labels: hostLabels('warning'), description: expiringDesc('9d 23h 55m 0s') }],
      healthy: certExpiry(`${100 * DAY}x30`),
      edge: {
        name: 'under 3 days both tiers fire',
        series: certExpiry(swapCert(2 * DAY)),
        evalAt: '5m',
        expect: [
          { labels: hostLabels('warning'), description: expiringDesc('1d 23h 55m 0s') },
          { labels: hostLabels('critical'), description: expiringDesc('1d 23h 55m 0s') },
        ],
      },
    },
    {
      alert: 'NetprobeTLSCertificateExpired',
      firing: certExpiry(swapCert(60)),
      fireAt: '5m',
      expect: [
        {
          labels: hostLabels('critical'),
          description: 'The certificate served for shop.example.com (Ingress shop/web) expired 4m 0s ago.',
        },
      ],
      healthy: certExpiry(`${100 * DAY}x30`),
      edge: {
        name: 'a probe that stops reporting keeps the alert (last_over_time)',
        series: certExpiry('60x6'),
        evalAt: '15m',
        expect: [
          {
            labels: hostLabels('critical'),
            description: 'The certificate served for shop.example.com (Ingress shop/web) expired 14m 0s ago.',
          },
        ],
      },
    },
    {
      alert: 'NetprobeTLSHostnameMismatch',
      firing: hostnameMatch('0x30'),
      fireAt: '5m',
      expect: [
        {
          labels: hostLabels('critical'),
          description:
            'The certificate served for shop.example.com (Ingress shop/web) does not cover that host name.',
        },
      ],
      healthy: hostnameMatch('1x30'),
      edge: {
        name: 'fixed before the wait ends',
        series: hostnameMatch('0x3 1x30'),
        evalAt: '5m',
        expect: [],
      },
    },
  ];
}
