import { counter, gauge, type DefineContext } from '../define.js';

/** The probe plan: published by the cluster role, consumed by node agents. */
export function planMetrics(ctx: DefineContext) {
  return {
    generation: gauge(ctx, {
      name: 'netprobe_plan_generation',
      help: 'Generation of the probe plan this node agent is using.',
      labelNames: ['node'] as const,
      role: 'node',
    }),
    lastUpdate: gauge(ctx, {
      name: 'netprobe_plan_last_update_timestamp_seconds',
      help: 'Unix time at which this node agent last accepted a plan.',
      labelNames: ['node'] as const,
      role: 'node',
    }),
    updates: counter(ctx, {
      name: 'netprobe_plan_updates_total',
      help: 'Plan documents received by this node agent, by whether they were accepted or rejected as invalid.',
      labelNames: ['node', 'result'] as const,
      role: 'node',
    }),
    published: counter(ctx, {
      name: 'netprobe_plan_publishes_total',
      help: 'Writes of the plan ConfigMap by the cluster role, by result (written, unchanged, error).',
      labelNames: ['result'] as const,
      role: 'cluster',
    }),
    publishedGeneration: gauge(ctx, {
      name: 'netprobe_plan_published_generation',
      help: 'Generation of the plan the cluster role last wrote, by the namespace of the plan ConfigMap.',
      labelNames: ['namespace'] as const,
      role: 'cluster',
    }),
  };
}
