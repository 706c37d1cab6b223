import { series, type AlertCase, type SeriesValues } from '../rule-tests.js';

const N1 = { job: 'netprobe-node', instance: 'n1:9808' };
const C1 = { job: 'netprobe-cluster', instance: 'c1:9808' };

const up = (target: Record<string, string>, values: string): SeriesValues => ({
  [series('up', target)]: values,
});

/** The dns prober of n1: last-run timestamps and its target count. */
function prober(lastRun: string, targets: string): SeriesValues {
  return {
    [series('netprobe_prober_last_run_timestamp_seconds', { ...N1, prober: 'dns' })]: lastRun,
    [series('netprobe_prober_targets', { ...N1, prober: 'dns' })]: targets,
  };
}

const watch = (values: string): SeriesValues => ({
  [series('netprobe_kube_watch_up', { ...C1, resource: 'services' })]: values,
});

/** Plan generations of n1 and n2, and the published one (undefined: cluster role not scraped). */
function plans(n1: number, n2: number, published?: number): SeriesValues {
  const out: SeriesValues = {
    [series('netprobe_plan_generation', { job: 'netprobe-node', instance: 'n1:9808', node: 'n1' })]:
      `${n1}x30`,
    [series('netprobe_plan_generation', { job: 'netprobe-node', instance: 'n2:9808', node: 'n2' })]:
      `${n2}x30`,
    // Accepted long ago and never changed since: age alone must not make a plan stale.
    [series('netprobe_plan_last_update_timestamp_seconds', {
      job: 'netprobe-node',
      instance: 'n1:9808',
      node: 'n1',
    })]: '0x30',
  };
  if (published !== undefined) out[series('netprobe_plan_published_generation', C1)] = `${published}x30`;
  return out;
}

/** netprobe_leader of two cluster-role replicas, c1 and c2. */
function leaders(c1: string, c2: string): SeriesValues {
  return {
    [series('netprobe_leader', C1)]: c1,
    [series('netprobe_leader', { job: 'netprobe-cluster', instance: 'c2:9808' })]: c2,
  };
}

const leaderDesc =
  'Replicas of netprobe-cluster are running but none holds the leader lease: the probe plan is not published, Ingress routes are not probed and the inventory is not exported.';

const staleDesc = 'Node n1 runs plan generation 4, older than the newest plan published.';
const staleLabels = { severity: 'warning', job: 'netprobe-node', instance: 'n1:9808', node: 'n1' };

/** promtool cases of the alerts about netprobe itself. */
export function agentCases(): AlertCase[] {
  return [
    {
      alert: 'NetprobeNodeAgentDown',
      firing: { ...up(N1, '0x30'), ...up(C1, '1x30') },
      fireAt: '15m',
      expect: [
        {
          labels: { severity: 'warning', ...N1 },
          description: 'Node agent n1:9808 cannot be scraped: DNS and paths of its node are not probed.',
        },
      ],
      healthy: { ...up(N1, '1x30'), ...up(C1, '1x30') },
      edge: {
        name: 'no node agent target at all',
        series: up(C1, '1x30'),
        evalAt: '15m',
        expect: [
          {
            labels: { severity: 'warning', job: 'netprobe-node' },
            description:
              'No netprobe-node target is known to Prometheus: DNS and paths of its node are not probed.',
          },
        ],
      },
    },
    {
      alert: 'NetprobeClusterAgentDown',
      firing: { ...up(N1, '1x30'), ...up(C1, '0x30') },
      fireAt: '15m',
      expect: [
        {
          labels: { severity: 'warning', ...C1 },
          description:
            'Cluster agent c1:9808 cannot be scraped: Service, Ingress and policy alerts are blind.',
        },
      ],
      healthy: { ...up(N1, '1x30'), ...up(C1, '1x30') },
      edge: {
        name: 'no cluster agent target at all',
        series: up(N1, '1x30'),
        evalAt: '15m',
        expect: [
          {
            labels: { severity: 'warning', job: 'netprobe-cluster' },
            description:
              'No netprobe-cluster target is known to Prometheus: Service, Ingress and policy alerts are blind.',
          },
        ],
      },
    },
    {
      alert: 'NetprobeProbeLoopStalled',
      // Last run at Unix time 0: older than 300 s from minute 6 on.
      firing: prober('0x30', '3x30'),
      fireAt: '21m',
      expect: [
        {
          labels: { severity: 'warning', ...N1, prober: 'dns' },
          description: 'The dns prober of n1:9808 last finished a probe 21m 0s ago.',
        },
      ],
      healthy: prober('0+60x30', '3x30'),
      edge: {
        name: 'a prober without targets never runs',
        series: prober('0x30', '0x30'),
        evalAt: '25m',
        expect: [],
      },
    },
    {
      alert: 'NetprobeKubeWatchDown',
      firing: watch('0x30'),
      fireAt: '15m',
      expect: [
        {
          labels: { severity: 'warning', ...C1, resource: 'services' },
          description:
            'The watch of services in c1:9808 (job netprobe-cluster) has been disconnected or unsynced for 15 minutes.',
        },
      ],
      healthy: watch('1x30'),
      edge: {
        name: 'a reconnect in between restarts the wait',
        series: watch('0x8 1 0x20'),
        evalAt: '15m',
        expect: [],
      },
    },
    {
      alert: 'NetprobePlanStale',
      firing: plans(4, 5, 5),
      fireAt: '15m',
      expect: [{ labels: staleLabels, description: staleDesc }],
      healthy: plans(5, 5, 5),
      edge: {
        name: 'without the cluster role, a node behind the others is stale',
        series: plans(4, 5),
        evalAt: '15m',
        expect: [{ labels: staleLabels, description: staleDesc }],
      },
    },
    {
      alert: 'NetprobeLeaderMissing',
      firing: leaders('0x10', '0x10'),
      fireAt: '1m',
      expect: [{ labels: { severity: 'warning', job: 'netprobe-cluster' }, description: leaderDesc }],
      healthy: leaders('0x10', '1x10'),
      edge: {
        name: 'a failover with one evaluation between leaders does not fire',
        series: leaders('1 1 1 0 0 0 0', '0 0 0 0 1 1 1'),
        evalAt: '3m',
        expect: [],
      },
    },
  ];
}
