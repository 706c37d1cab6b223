import { gauge, type DefineContext } from '../define.js';

/** Service endpoint inventory, from EndpointSlices and Pods. */
export function serviceMetrics(ctx: DefineContext) {
  return {
    endpoints: gauge(ctx, {
      name: 'netprobe_service_endpoints',
      help: 'Distinct endpoints of a Service by state: ready, not_ready, terminating_serving (terminating, still serving), terminating (terminating, not serving).',
      labelNames: ['namespace', 'service', 'state'] as const,
      role: 'cluster',
    }),
    endpointsByFamily: gauge(ctx, {
      name: 'netprobe_service_endpoints_by_family',
      help: 'Endpoints of a dual-stack Service by address family and state, exported only while the families disagree about an endpoint.',
      labelNames: ['namespace', 'service', 'family', 'state'] as const,
      role: 'cluster',
    }),
    selectorPods: gauge(ctx, {
      name: 'netprobe_service_selector_pods',
      help: 'Non-terminal pods in the namespace that match the Service selector.',
      labelNames: ['namespace', 'service'] as const,
      role: 'cluster',
    }),
    info: gauge(ctx, {
      name: 'netprobe_service_info',
      help: 'Always 1; identity of each Service: type, whether it has a selector, whether it is headless.',
      labelNames: ['namespace', 'service', 'type', 'selector', 'headless'] as const,
      role: 'cluster',
    }),
    targetPortUnresolved: gauge(ctx, {
      name: 'netprobe_service_target_port_unresolved',
      help: '1 when a named targetPort of the Service is declared by none of the matching pods.',
      labelNames: ['namespace', 'service', 'port'] as const,
      role: 'cluster',
    }),
  };
}
