import { counter, gauge, type DefineContext } from '../define.js';

/** Identity and health of the netprobe process itself, and of its probe loops. */
export function agentMetrics(ctx: DefineContext) {
  return {
    buildInfo: gauge(ctx, {
      name: 'netprobe_build_info',
      help: 'Always 1; labels carry the netprobe version and the role this process runs.',
      labelNames: ['version', 'role'] as const,
      role: 'both',
    }),
    proberLastRun: gauge(ctx, {
      name: 'netprobe_prober_last_run_timestamp_seconds',
      help: 'Unix time at which a probe of this prober last finished.',
      labelNames: ['prober'] as const,
      role: 'both',
    }),
    proberRuns: counter(ctx, {
      name: 'netprobe_prober_runs_total',
      help: 'Probe runs finished, by prober and whether the run hit its hard timeout.',
      labelNames: ['prober', 'outcome'] as const,
      role: 'both',
    }),
    proberOverlapSkips: counter(ctx, {
      name: 'netprobe_prober_overlap_skips_total',
      help: 'Runs skipped because the previous run of the same target was still in flight.',
      labelNames: ['prober'] as const,
      role: 'both',
    }),
    proberTargets: gauge(ctx, {
      name: 'netprobe_prober_targets',
      help: 'Targets currently scheduled, by prober.',
      labelNames: ['prober'] as const,
      role: 'both',
    }),
  };
}
