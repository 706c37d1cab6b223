import { counter, gauge, type DefineContext } from '../define.js';

/** Leader election among the cluster-role replicas. */
export function leaderMetrics(ctx: DefineContext) {
  return {
    leader: gauge(ctx, {
      name: 'netprobe_leader',
      help: '1 on the cluster-role replica that holds the leader lease (publishes the plan, probes routes, exports the inventory), 0 on a standby.',
      labelNames: [] as const,
      role: 'cluster',
    }),
    transitions: counter(ctx, {
      name: 'netprobe_leader_transitions_total',
      help: 'Times this replica started or stopped leading.',
      labelNames: ['event'] as const,
      role: 'cluster',
    }),
  };
}
