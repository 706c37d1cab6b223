import { collectDefaultMetrics, type Registry } from 'prom-client';
import type { DefineContext, MetricSpec } from './define.js';
import { agentMetrics } from './families/agent.js';
import { kubeMetrics } from './families/kube.js';
import { planMetrics } from './families/plan.js';
import { dnsMetrics } from './families/dns.js';
import { serviceMetrics } from './families/service.js';
import { ingressMetrics } from './families/ingress.js';
import { policyMetrics } from './families/policy.js';
import { pathMetrics } from './families/path.js';
import { leaderMetrics } from './families/leader.js';
import { listenerMetrics } from './families/listener.js';

/**
 * Declares every netprobe metric on the given registry (never the global default).
 * Each family lives in families/; `specs` lists them all for docs and cross-checks.
 */
export function createMetrics(registry: Registry, opts: { defaultMetrics?: boolean } = {}) {
  const ctx: DefineContext = { registry, specs: [] };
  if (opts.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    // prom-client also exports these totals as gauges with a _total suffix, which promtool rejects;
    // nodejs_active_handles / _requests / _resources (by type) carry the same information.
    for (const name of [
      'nodejs_active_handles_total',
      'nodejs_active_requests_total',
      'nodejs_active_resources_total',
    ]) {
      registry.removeSingleMetric(name);
    }
  }
  return {
    agent: agentMetrics(ctx),
    kube: kubeMetrics(ctx),
    plan: planMetrics(ctx),
    dns: dnsMetrics(ctx),
    service: serviceMetrics(ctx),
    ingress: ingressMetrics(ctx),
    policy: policyMetrics(ctx),
    path: pathMetrics(ctx),
    leader: leaderMetrics(ctx),
    listener: listenerMetrics(ctx),
    specs: ctx.specs as readonly MetricSpec[],
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
