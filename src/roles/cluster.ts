import type { KubeConfig } from '@kubernetes/client-node';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import {
  cacheSynced,
  createPlanInformer,
  createClusterCache,
  onCacheChange,
  startCache,
  stopCache,
  type ClusterCache,
} from '../kube/cache.js';
import { loadKubeConfig } from '../kube/client.js';
import { LeaderElector } from '../kube/lease.js';
import { hostname } from 'node:os';
import { buildPlan, type ExpectFn } from '../plan/builder.js';
import { incomingCounts } from '../plan/ring.js';
import { SeriesTracker } from '../metrics/series.js';
import { PlanPublisher } from '../plan/publisher.js';
import { PLAN_KEY } from '../plan/schema.js';
import { debounce } from '../runner/debounce.js';
import { renderStatusPage, type ClusterSections } from '../server/status-page.js';
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

/** Options for tests and the sandbox: an already-built kubeconfig and logger. */
export interface ClusterRoleOptions {
  kubeConfig?: KubeConfig;
  logger?: Logger;
  /**
   * Called when this replica stops leading (lease lost or not renewed in time). The CLI exits so
   * the kubelet restarts the pod as a fresh standby, as client-go's controllers do: the features
   * are not built to stop and start again. Default: the role stops itself.
   */
  onLostLeadership?: () => void;
}

/** Name of the plan ConfigMap. */
export const PLAN_CONFIGMAP = 'netprobe-plan';

/** Cluster-role parts that the feature modules hook into. */
export interface ClusterContext {
  rt: Runtime;
  cache: ClusterCache;
  kc: KubeConfig;
  /** Asks for the plan to be rebuilt (e.g. after policy expectations changed). */
  replan: () => void;
}

/** A feature of the cluster role (endpoint inventory, Ingress probes, policy findings). */
export interface ClusterFeature extends RoleFeature {
  /** Called once every informer has synced. */
  start(): void;
  /** Expected verdicts for the plan's paths (the policy feature provides them). */
  expectations?(): ExpectFn;
  /** What the feature adds to the status page (each feature fills its own sections). */
  sections?(): FeatureSections | Promise<FeatureSections>;
}

/** The status-page sections a cluster feature may fill. */
export type FeatureSections = Partial<Omit<ClusterSections, 'plan'>>;

/** Builds a cluster feature; it subscribes to the cache itself. */
export type ClusterFeatureFactory = (ctx: ClusterContext) => ClusterFeature;

/** Starts the cluster role: cache, plan publishing, and the HTTP server. */
export async function startClusterRole(
  config: Config,
  opts: ClusterRoleOptions = {},
  featureFactories: readonly ClusterFeatureFactory[] = [],
): Promise<RoleHandle> {
  const rt = createRuntime(config, 'cluster', opts.logger);
  const kc = opts.kubeConfig ?? loadKubeConfig(config.kubeconfig);
  const cache = createClusterCache({ kc, logger: rt.logger, metrics: rt.metrics });
  initProberSeries(rt, config.cluster.ingress.enabled ? ['ingress'] : []);
  const features: ClusterFeature[] = [];
  const publisher = new PlanPublisher(kc, { namespace: config.cluster.namespace, name: PLAN_CONFIGMAP }, rt);

  const incoming = new SeriesTracker();
  const election = config.cluster.leaderElection;
  // Without election this replica is the leader from the start (one replica only).
  let leading = !election.enabled;
  let leadingStarted = false;
  const publishPlan = async (): Promise<void> => {
    if (!cacheSynced(cache) || !leading) return;
    const provider = features.find((f) => f.expectations !== undefined);
    const expect = provider?.expectations ? provider.expectations() : undefined;
    const plan = buildPlan(
      {
        services: cache.services.list(),
        endpointSlices: cache.endpointSlices.list(),
        pods: cache.pods.list(),
      },
      config,
      expect,
    );
    // How many agents probe each node, so that coverage of the neighbour ring can be checked.
    const nodes = plan.agents.list.map((a) => a.node);
    for (const [node, count] of incomingCounts(nodes, plan.agents.ring)) {
      rt.metrics.path.incomingProbes.set({ node }, count);
      incoming.track(node, rt.metrics.path.incomingProbes, { node });
    }
    incoming.retain(new Set(nodes));
    await publisher.publish(plan);
  };
  const planUpdate = debounce(publishPlan, 200, 1000);
  features.push(...featureFactories.map((f) => f({ rt, cache, kc, replan: () => planUpdate.trigger() })));
  onCacheChange(cache, (resource) => {
    if (resource !== 'ingresses' && resource !== 'ingressClasses') planUpdate.trigger();
  });
  // A periodic publish repairs a plan ConfigMap that was deleted or edited by hand; the watch of
  // the plan itself (below) repairs it within the debounce, the resync is the backstop.
  const resync = setInterval(() => planUpdate.trigger(), 60_000);
  resync.unref();
  const ownPlan = createPlanInformer(
    { kc, logger: rt.logger, metrics: rt.metrics },
    config.cluster.namespace,
    PLAN_CONFIGMAP,
  );
  ownPlan.onChange((type, cm) => {
    if (!leading) return;
    const written = publisher.current;
    // Our own write comes back as an event too: only a delete or other content means repair.
    if (type !== 'delete' && written !== undefined && cm.data[PLAN_KEY] === JSON.stringify(written)) return;
    publisher.invalidate();
    planUpdate.trigger();
  });
  ownPlan.start();

  startCache(cache);
  const syncs: Array<Promise<void>> = Object.values(cache).map((i: { waitForSync(): Promise<void> }) =>
    i.waitForSync(),
  );
  let synced = false;
  // The leader-only work: inventory and findings series, Ingress probes, the plan. A standby keeps
  // its caches warm and exports only its own health and netprobe_leader 0, so every rule and
  // dashboard counts each object once, from the leader.
  const beginLeading = (): void => {
    if (!leading || !synced || leadingStarted) return;
    leadingStarted = true;
    for (const f of features) f.start();
    planUpdate.trigger();
    rt.scheduler.start();
  };
  void Promise.all(syncs).then(() => {
    rt.logger.info('caches synced');
    synced = true;
    beginLeading();
  });

  rt.metrics.leader.leader.set(leading ? 1 : 0);
  for (const event of ['started', 'stopped']) rt.metrics.leader.transitions.inc({ event }, 0);
  // Set once serving; the lost-leadership default stops the role through it.
  const self: { handle?: RoleHandle } = {};
  const identity = election.identity || `${hostname()}-${process.pid}`;
  const elector = election.enabled
    ? new LeaderElector(
        kc,
        { namespace: config.cluster.namespace, name: election.leaseName, identity },
        election,
        {
          onStartedLeading: () => {
            leading = true;
            rt.metrics.leader.leader.set(1);
            rt.metrics.leader.transitions.inc({ event: 'started' });
            beginLeading();
          },
          onStoppedLeading: () => {
            leading = false;
            rt.metrics.leader.leader.set(0);
            rt.metrics.leader.transitions.inc({ event: 'stopped' });
            if (opts.onLostLeadership) opts.onLostLeadership();
            else void self.handle?.stop();
          },
          onNewLeader: (holder) => rt.logger.info('leader observed', { holder: holder || '(none)' }),
        },
        { logger: rt.logger },
      )
    : undefined;
  elector?.start();
  const leaderView = (): ClusterSections['leader'] => ({
    enabled: election.enabled,
    identity,
    leading,
    holder: elector ? elector.leader : identity,
    history: elector ? elector.history.map((e) => ({ at: e.at, holder: e.holder })) : [],
  });

  const readiness = (): { ready: boolean; reason: string } =>
    cacheSynced(cache) ? { ready: true, reason: '' } : { ready: false, reason: 'caches not synced' };
  const plan = (): ClusterSections['plan'] =>
    publisher.current
      ? { generation: publisher.current.generation, generatedAt: publisher.current.generatedAt }
      : null;
  const handle = await serve(
    rt,
    {
      readiness,
      status: async () => ({
        role: 'cluster',
        synced: cacheSynced(cache),
        plan: plan(),
        leader: leaderView(),
        features: await featureStatuses(features),
        ...commonStatus(rt, readiness()),
      }),
      page: async () => {
        const sections: ClusterSections = {
          plan: plan(),
          leader: leaderView(),
          services: [],
          findings: [],
          routes: [],
        };
        for (const f of features) Object.assign(sections, await f.sections?.());
        return renderStatusPage({ role: 'cluster', ...pageBase(rt, readiness()), cluster: sections });
      },
    },
    async () => {
      clearInterval(resync);
      ownPlan.stop();
      planUpdate.cancel();
      for (const f of features) await f.stop();
      // Released after the features stopped, so a standby takes over at once with no overlap.
      await elector?.stop(true);
      stopCache(cache);
    },
  );
  self.handle = handle;
  return handle;
}
