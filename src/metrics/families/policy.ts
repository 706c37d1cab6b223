import { gauge, type DefineContext } from '../define.js';

/** Findings of the NetworkPolicy engine over the live cluster. */
export function policyMetrics(ctx: DefineContext) {
  return {
    dnsEgressBlockedPods: gauge(ctx, {
      name: 'netprobe_policy_dns_egress_blocked_pods',
      help: 'Pods in the namespace whose egress policies block DNS to kube-dns (UDP or TCP 53).',
      labelNames: ['namespace'] as const,
      role: 'cluster',
    }),
    ingressBackendBlocked: gauge(ctx, {
      name: 'netprobe_policy_ingress_backend_blocked',
      help: '1 when the ingress controller pods may not reach the backend Service of an Ingress.',
      labelNames: ['namespace', 'ingress', 'service'] as const,
      role: 'cluster',
    }),
    unreachableService: gauge(ctx, {
      name: 'netprobe_policy_unreachable_service',
      help: '1 when the pods of the Service admit ingress from nowhere.',
      labelNames: ['namespace', 'service'] as const,
      role: 'cluster',
    }),
    namespaceDefaultDeny: gauge(ctx, {
      name: 'netprobe_policy_namespace_default_deny',
      help: '1 when a policy in the namespace isolates every pod for the direction (ingress, egress), else 0.',
      labelNames: ['namespace', 'direction'] as const,
      role: 'cluster',
    }),
  };
}
