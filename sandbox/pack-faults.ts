import type { ExpectedAlert, FaultAlerts as PackFaultAlerts } from '../src/pack/docs.js';
import { PLANTED_FAULTS } from './seed.js';

export type { ExpectedAlert } from '../src/pack/docs.js';

/** One of the sandbox's planted faults, as the demo prints it. */
export type PlantedFault = (typeof PLANTED_FAULTS)[number];

/** What the rules must say about one planted fault of this sandbox. */
export interface FaultAlerts extends PackFaultAlerts {
  fault: PlantedFault;
}

const shop = (labels: Record<string, string>): Record<string, string> => ({ namespace: 'shop', ...labels });
const pathBlocked = (node: string): ExpectedAlert => ({
  alert: 'NetprobePathBlocked',
  severity: 'critical',
  labels: { node, path: 'checkout-to-payments-db', kind: 'declared', expected: 'allow' },
});

const notEnforced = (node: string): ExpectedAlert => ({
  alert: 'NetprobeNetworkPolicyNotEnforced',
  severity: 'warning',
  labels: { node, path: 'agents-to-shop-database', kind: 'declared', expected: 'deny' },
});

/**
 * Each planted fault (sandbox/seed.ts) and the alerts it makes true. Nothing else may be true on
 * the faulty sandbox, and nothing at all on the healthy one (test/pack/sandbox-prometheus.int.test.ts).
 */
export const SANDBOX_FAULT_ALERTS: readonly FaultAlerts[] = [
  {
    fault: PLANTED_FAULTS[0],
    alerts: [
      {
        alert: 'NetprobeServiceSelectorMatchesNothing',
        severity: 'warning',
        labels: shop({ service: 'orders' }),
      },
    ],
  },
  {
    fault: PLANTED_FAULTS[1],
    alerts: [
      {
        alert: 'NetprobeServiceNoReadyEndpoints',
        severity: 'critical',
        labels: shop({ service: 'inventory' }),
      },
    ],
  },
  {
    fault: PLANTED_FAULTS[2],
    alerts: [
      {
        alert: 'NetprobeServiceTargetPortUnresolved',
        severity: 'warning',
        labels: shop({ service: 'reports', port: 'http' }),
      },
    ],
  },
  {
    fault: PLANTED_FAULTS[3],
    alerts: [
      { alert: 'NetprobeDNSEgressBlockedByPolicy', severity: 'warning', labels: { namespace: 'batch' } },
    ],
  },
  {
    fault: PLANTED_FAULTS[4],
    alerts: [
      {
        alert: 'NetprobeIngressBackendProblem',
        severity: 'warning',
        labels: shop({
          ingress: 'storefront',
          host: 'shop.example',
          path: '/api',
          problem: 'backend_service_missing',
        }),
      },
      // The controller answers 503 for a backend without endpoints: the route is down too.
      {
        alert: 'NetprobeIngressRouteDown',
        severity: 'critical',
        labels: shop({ ingress: 'storefront', host: 'shop.example', path: '/api' }),
      },
    ],
  },
  {
    fault: PLANTED_FAULTS[5],
    alerts: [
      {
        alert: 'NetprobeIngressNoRoute',
        severity: 'warning',
        labels: shop({ ingress: 'legacy', host: 'old.shop.example', path: '/' }),
      },
    ],
  },
  {
    fault: PLANTED_FAULTS[6],
    // 5 days: the 14-day warning tier, not the 3-day critical one.
    alerts: [
      {
        alert: 'NetprobeTLSCertificateExpiring',
        severity: 'warning',
        labels: shop({ ingress: 'pay', host: 'pay.shop.example' }),
      },
    ],
  },
  {
    fault: PLANTED_FAULTS[7],
    alerts: [
      {
        alert: 'NetprobeTLSHostnameMismatch',
        severity: 'critical',
        labels: shop({ ingress: 'admin', host: 'admin.shop.example' }),
      },
      // The route probe verifies the certificate like a browser does, so it fails with tls_error.
      {
        alert: 'NetprobeIngressRouteDown',
        severity: 'critical',
        labels: shop({ ingress: 'admin', host: 'admin.shop.example', path: '/' }),
      },
    ],
  },
  {
    fault: PLANTED_FAULTS[8],
    alerts: [],
    noAlert:
      "150 ms is far below NetprobeDNSLatencyHigh's 1 s p99 threshold; the DNS dashboard's p99 panel shows the replica apart.",
  },
  {
    fault: PLANTED_FAULTS[9],
    // Every node agent probes the declared path.
    alerts: [pathBlocked('node-a'), pathBlocked('node-b')],
  },
  {
    fault: PLANTED_FAULTS[10],
    alerts: [
      {
        alert: 'NetprobeIngressBackendBlockedByPolicy',
        severity: 'warning',
        labels: shop({ ingress: 'status', service: 'status-api' }),
      },
    ],
  },
  {
    fault: PLANTED_FAULTS[11],
    // Every node agent probes the declared path; a refused connection means the packets got through.
    alerts: [notEnforced('node-a'), notEnforced('node-b')],
  },
];
