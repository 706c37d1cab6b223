import { counter, gauge, histogram, type DefineContext } from '../define.js';

const ROUTE = ['namespace', 'ingress', 'host', 'path'] as const;
const HOST = ['namespace', 'ingress', 'host'] as const;

/** Ingress routes probed through the controller, their static problems, and TLS. */
export function ingressMetrics(ctx: DefineContext) {
  return {
    routeUp: gauge(ctx, {
      name: 'netprobe_ingress_route_up',
      help: '1 when the last probe of the route was ok, else 0.',
      labelNames: ROUTE,
      role: 'cluster',
    }),
    probes: counter(ctx, {
      name: 'netprobe_ingress_probes_total',
      help: 'Route probes by result: ok, no_route, backend_unavailable, server_error, timeout, connect_error, tls_error, protocol_error (the answer is not valid HTTP), unexpected_status.',
      labelNames: [...ROUTE, 'result'] as const,
      role: 'cluster',
    }),
    statusCode: gauge(ctx, {
      name: 'netprobe_ingress_route_status_code',
      help: 'HTTP status code of the last probe of the route (0 when no response).',
      labelNames: ROUTE,
      role: 'cluster',
    }),
    duration: histogram(ctx, {
      name: 'netprobe_ingress_route_duration_seconds',
      help: 'Total duration of route probes.',
      labelNames: ROUTE,
      role: 'cluster',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    phase: gauge(ctx, {
      name: 'netprobe_ingress_route_phase_seconds',
      help: 'Duration of each phase of the last route probe: resolve, connect, tls, processing, transfer.',
      labelNames: [...ROUTE, 'phase'] as const,
      role: 'cluster',
    }),
    problem: gauge(ctx, {
      name: 'netprobe_ingress_route_problem',
      help: '1 when a static check finds a problem with the route: backend_service_missing, backend_port_missing, backend_no_ready_endpoints, tls_host_not_covered, ingress_class_missing.',
      labelNames: [...ROUTE, 'problem'] as const,
      role: 'cluster',
    }),
    routes: gauge(ctx, {
      name: 'netprobe_ingress_routes',
      help: 'Routes found in Ingress objects, by state: probed, unprobeable, disabled, invalid_host.',
      labelNames: ['state'] as const,
      role: 'cluster',
    }),
    certExpiry: gauge(ctx, {
      name: 'netprobe_tls_cert_expiry_timestamp_seconds',
      help: 'notAfter of the certificate the controller served for the host, as Unix time.',
      labelNames: HOST,
      role: 'cluster',
    }),
    certHostnameMatch: gauge(ctx, {
      name: 'netprobe_tls_cert_hostname_match',
      help: '1 when the served certificate covers the host name, else 0.',
      labelNames: HOST,
      role: 'cluster',
    }),
    certVerified: gauge(ctx, {
      name: 'netprobe_tls_cert_verified',
      help: '1 when the served certificate chain verifies against the trusted CAs, else 0.',
      labelNames: HOST,
      role: 'cluster',
    }),
  };
}
