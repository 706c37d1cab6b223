import type { AlertDef, RuleContext } from '../rules.js';
import { SCRAPED, stalled, WATCHED } from '../timing.js';

/** Alerts about netprobe itself: scrape targets, probe loops, Kubernetes watches, plan distribution. */
export function agentAlerts(ctx: RuleContext): AlertDef[] {
  const { p, node, cluster } = ctx;
  const down = (job: string): string => `up{job="${job}"} == 0 or absent(up{job="${job}"})`;
  const anyJob = `{job=~"${p.nodeJob}|${p.clusterJob}"}`;
  const planGen = `netprobe_plan_generation${node()}`;
  return [
    {
      alert: 'NetprobeNodeAgentDown',
      severity: 'warning',
      timing: SCRAPED,
      expr: down(p.nodeJob),
      for: '15m',
      summary: 'A netprobe node agent cannot be scraped.',
      description: `{{ if $labels.instance }}Node agent {{ $labels.instance }} cannot be scraped{{ else }}No ${p.nodeJob} target is known to Prometheus{{ end }}: DNS and paths of its node are not probed.`,
      dashboard: { uid: 'netprobe-agents', vars: [] },
      meaning:
        'Prometheus cannot scrape a node agent (or finds none): DNS and path alerts for that node cannot fire.',
      needs: `up{job="${p.nodeJob}"} == 0, or no such target at all, for 15m.`,
    },
    {
      alert: 'NetprobeClusterAgentDown',
      severity: 'warning',
      timing: SCRAPED,
      expr: down(p.clusterJob),
      for: '15m',
      summary: 'The netprobe cluster agent cannot be scraped.',
      description: `{{ if $labels.instance }}Cluster agent {{ $labels.instance }} cannot be scraped{{ else }}No ${p.clusterJob} target is known to Prometheus{{ end }}: Service, Ingress and policy alerts are blind.`,
      dashboard: { uid: 'netprobe-agents', vars: [] },
      meaning:
        'Prometheus cannot scrape the cluster role (or finds none): endpoint, Ingress, TLS and policy alerts cannot fire.',
      needs: `up{job="${p.clusterJob}"} == 0, or no such target at all, for 15m.`,
    },
    {
      alert: 'NetprobeProbeLoopStalled',
      severity: 'warning',
      timing: stalled(p.proberStallSeconds),
      // A prober with no targets never runs; only a loop that has work and does not finish it is stalled.
      expr: `time() - netprobe_prober_last_run_timestamp_seconds${anyJob} > ${p.proberStallSeconds} and netprobe_prober_targets${anyJob} > 0`,
      for: '15m',
      summary: 'A netprobe probe loop has stopped finishing probes.',
      description:
        'The {{ $labels.prober }} prober of {{ $labels.instance }} last finished a probe {{ $value | humanizeDuration }} ago.',
      dashboard: { uid: 'netprobe-agents', vars: [] },
      meaning:
        'A prober has targets but has not finished a probe recently: its metrics are frozen at old values.',
      needs: `time() - netprobe_prober_last_run_timestamp_seconds > ${p.proberStallSeconds} with netprobe_prober_targets > 0, for 15m.`,
    },
    {
      alert: 'NetprobeKubeWatchDown',
      severity: 'warning',
      timing: WATCHED,
      expr: `netprobe_kube_watch_up${anyJob} == 0`,
      for: '15m',
      summary: 'A netprobe Kubernetes watch is down.',
      description:
        'The watch of {{ $labels.resource }} in {{ $labels.instance }} (job {{ $labels.job }}) has been disconnected or unsynced for 15 minutes.',
      dashboard: { uid: 'netprobe-agents', vars: [] },
      meaning:
        'netprobe works from a stale cache of this resource: inventory metrics, plans or the node plan stop following the cluster.',
      needs: 'netprobe_kube_watch_up == 0 for 15m.',
    },
    {
      alert: 'NetprobePlanStale',
      severity: 'warning',
      timing: {
        ...WATCHED,
        trueSeconds: WATCHED.trueSeconds + 60,
        basis: `${WATCHED.basis}, after a generation has been out for 1 m`,
      },
      // Generation, not age: a plan that never changes is not stale; a node behind the published one is.
      // Compared with a generation out for a whole minute (min_over_time), so the second or so an
      // agent takes to receive a new plan does not even make the expression pending.
      expr:
        `${planGen} < on (cluster) group_left () max by (cluster) (min_over_time(netprobe_plan_published_generation${cluster()}[1m]))` +
        ` or ${planGen} < on (cluster) group_left () max by (cluster) (min_over_time(${planGen}[1m]))`,
      for: '15m',
      summary: 'A node agent runs an old probe plan.',
      description:
        'Node {{ $labels.node }} runs plan generation {{ $value }}, older than the newest plan published.',
      dashboard: { uid: 'netprobe-agents', vars: ['node'] },
      meaning:
        'The node agent did not receive (watch down) or rejected (invalid) the current plan and keeps probing an old one.',
      needs:
        'netprobe_plan_generation of a node < a netprobe_plan_published_generation out for a minute, or < a generation another node has run for a minute, for 15m.',
    },
    {
      alert: 'NetprobeLeaderMissing',
      severity: 'warning',
      // Each replica exports its lease state as it changes, like watched state.
      timing: WATCHED,
      // Replicas are scraped but none holds the lease: nobody publishes the plan or probes routes.
      // No replica scraped at all is NetprobeClusterAgentDown.
      expr: `max by (cluster, job) (netprobe_leader${cluster()}) == 0`,
      for: '1m',
      summary: 'No netprobe cluster-role replica is the leader.',
      description:
        'Replicas of {{ $labels.job }} are running but none holds the leader lease: the probe plan is not published, Ingress routes are not probed and the inventory is not exported.',
      dashboard: { uid: 'netprobe-agents', vars: [] },
      meaning:
        'Every scraped cluster-role replica reports netprobe_leader 0: the leader election on the Lease is failing (RBAC, API errors) or the replicas are starting.',
      needs: 'max(netprobe_leader) == 0 over the scraped cluster-role replicas, for 1m.',
    },
  ];
}
