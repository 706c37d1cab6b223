import { readFile } from 'node:fs/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import { createPlanInformer } from '../kube/cache.js';
import { loadKubeConfig } from '../kube/client.js';
import { PlanHolder } from '../plan/reader.js';
import { PLAN_KEY, type Plan } from '../plan/schema.js';
import { PLAN_CONFIGMAP } from './cluster.js';
import { neighboursOf } from '../plan/ring.js';
import { renderStatusPage, type Neighbour } from '../server/status-page.js';
import {
  commonStatus,
  createRuntime,
  featureStatuses,
  initProberSeries,
  pageBase,
  serve,
  type RoleFeature,
  type RoleHandle,
  type Runtime,
} from './runtime.js';

/** Options for tests and the sandbox. */
export interface NodeRoleOptions {
  kubeConfig?: KubeConfig;
  logger?: Logger;
}

/** Feature modules of the node role: each turns the plan into scheduler jobs and exports status. */
export interface NodeFeature extends RoleFeature {
  /** Called with every new plan (and once with the first). */
  applyPlan(plan: Plan): void;
}

/** Builds the node role's features; filled in by the feature modules. */
export type NodeFeatureFactory = (rt: Runtime) => Promise<NodeFeature> | NodeFeature;

/** Starts the node role: plan source, features, and the HTTP server. */
export async function startNodeRole(
  config: Config,
  opts: NodeRoleOptions = {},
  features: readonly NodeFeatureFactory[] = [],
): Promise<RoleHandle> {
  const rt = createRuntime(config, 'node', opts.logger);
  const node = config.node.name || 'standalone';
  const holder = new PlanHolder();
  const built: NodeFeature[] = [];
  for (const f of features) built.push(await f(rt));
  initProberSeries(rt, ['dns', 'path']);
  for (const result of ['accepted', 'rejected']) rt.metrics.plan.updates.inc({ node, result }, 0);

  // The neighbours this agent probes, for the status page (the path feature derives the same from the ring).
  let neighbours: Neighbour[] = [];
  holder.onChange((plan) => {
    const addressOf = new Map(plan.agents.list.map((a) => [a.node, a.address]));
    const nodes = [...addressOf.keys()];
    neighbours = (nodes.includes(node) ? neighboursOf(node, nodes, plan.agents.ring) : []).map((peer) => ({
      node: peer,
      address: addressOf.get(peer) ?? '',
    }));
    rt.logger.info('plan in use', {
      generation: plan.generation,
      servers: plan.dns.servers.length,
      paths: plan.paths.length,
    });
    for (const f of built) f.applyPlan(plan);
  });
  let lastError = '';
  const offer = (text: string, source: string): void => {
    const r = holder.offer(text, source);
    rt.metrics.plan.updates.inc({ node, result: r.ok ? 'accepted' : 'rejected' });
    if (r.ok) {
      rt.metrics.plan.generation.set({ node }, r.plan.generation);
      rt.metrics.plan.lastUpdate.set({ node }, holder.acceptedAt / 1000);
      lastError = '';
    } else {
      lastError = r.error;
      rt.logger.error('plan rejected; keeping the last good plan', { error: r.error });
    }
  };

  const stopSource = await startPlanSource(config, opts, rt, offer);
  rt.scheduler.start();

  const readiness = (): { ready: boolean; reason: string } =>
    holder.plan ? { ready: true, reason: '' } : { ready: false, reason: 'no valid plan loaded yet' };
  return serve(
    rt,
    {
      readiness,
      status: async () => ({
        role: 'node',
        node,
        plan: holder.plan ?? null,
        planError: lastError || null,
        planAcceptedAt: holder.plan ? new Date(holder.acceptedAt).toISOString() : null,
        neighbours,
        features: await featureStatuses(built),
        ...commonStatus(rt, readiness()),
      }),
      page: () =>
        renderStatusPage({
          role: 'node',
          node,
          ...pageBase(rt, readiness()),
          nodeInfo: {
            plan: holder.plan ?? null,
            planAcceptedAt: holder.plan ? holder.acceptedAt : null,
            planError: lastError || null,
            neighbours,
          },
        }),
    },
    async () => {
      stopSource();
      for (const f of built) await f.stop();
    },
  );
}

async function startPlanSource(
  config: Config,
  opts: NodeRoleOptions,
  rt: Runtime,
  offer: (text: string, source: string) => void,
): Promise<() => void> {
  const file = config.node.planFile;
  if (file) {
    // Standalone mode: the plan is a file; re-read it periodically so edits take effect.
    const load = async (): Promise<void> => {
      try {
        offer(await readFile(file, 'utf8'), file);
      } catch (err) {
        rt.logger.error('cannot read plan file', { file, err });
      }
    };
    await load();
    const timer = setInterval(() => void load(), 2_000);
    timer.unref();
    return () => clearInterval(timer);
  }
  const kc = opts.kubeConfig ?? loadKubeConfig(config.kubeconfig);
  const informer = createPlanInformer(
    { kc, logger: rt.logger, metrics: rt.metrics },
    config.cluster.namespace,
    PLAN_CONFIGMAP,
  );
  informer.onChange((type, cm) => {
    if (type === 'delete') return; // keep the last good plan
    const text = cm.data[PLAN_KEY];
    if (text === undefined) offer('{}', `configmap ${PLAN_CONFIGMAP}: no key ${PLAN_KEY}`);
    else offer(text, `configmap ${config.cluster.namespace}/${PLAN_CONFIGMAP}`);
  });
  informer.start();
  return () => informer.stop();
}
