import { counter, gauge, histogram, type DefineContext } from '../define.js';

/**
 * Active path probes from each node, with the verdict the policy engine expects. `family` (ipv4,
 * ipv6) is the target address's: a dual-stack path is probed once per family.
 */
export function pathMetrics(ctx: DefineContext) {
  return {
    reachable: gauge(ctx, {
      name: 'netprobe_path_reachable',
      help: '1 when the path was reachable (open or refused), 0 when blocked (timeout or unreachable); absent while inconclusive (error, no_answer).',
      labelNames: ['node', 'path', 'kind', 'family'] as const,
      role: 'node',
    }),
    expected: gauge(ctx, {
      name: 'netprobe_path_expected',
      help: 'Always 1: the verdict the policy engine expects for the path (allow, deny, unknown, mixed) in the expected label.',
      labelNames: ['node', 'path', 'kind', 'family', 'expected'] as const,
      role: 'node',
    }),
    probes: counter(ctx, {
      name: 'netprobe_path_probes_total',
      help: 'Path probes by result: open, refused, timeout, unreachable, no_answer (DNS server reachable over TCP but silent on UDP), error.',
      labelNames: ['node', 'path', 'kind', 'family', 'result'] as const,
      role: 'node',
    }),
    duration: histogram(ctx, {
      name: 'netprobe_path_duration_seconds',
      help: 'Duration of path probes, by kind of path.',
      labelNames: ['node', 'kind'] as const,
      role: 'node',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    }),
    incomingProbes: gauge(ctx, {
      name: 'netprobe_path_incoming_probes',
      help: 'Neighbour probes the plan assigns to this node (how many agents probe it).',
      labelNames: ['node'] as const,
      role: 'cluster',
    }),
  };
}
