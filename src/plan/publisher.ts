import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/catalog.js';
import { KubeApiError, kubeRequest } from '../kube/rest.js';
import { rec, str } from '../kube/json.js';
import { parsePlan } from './reader.js';
import { planContentKey } from './builder.js';
import { PLAN_KEY, type Plan } from './schema.js';

/** Where the plan is written. */
export interface PublisherTarget {
  namespace: string;
  name: string;
}

/** Tuning and a clock for tests. */
export interface PublisherOptions {
  /**
   * How long the publisher trusts that the ConfigMap still holds what it wrote before reading it
   * again (default 30 s: under the cluster role's 60 s resync, so a deleted or hand-edited plan is
   * repaired, while bursts of cache events cost no API reads).
   */
  verifyAfterMs?: number;
  now?: () => number;
}

/**
 * Writes the plan ConfigMap only when its content changes, bumping the generation. Continues the
 * generation of a plan already in the cluster, so a restart of the cluster role does not go back.
 */
export class PlanPublisher {
  private lastKey: string | undefined;
  private verifiedAt = 0;
  private generation = 0;
  private published: Plan | undefined;
  private readonly verifyAfterMs: number;
  private readonly now: () => number;

  constructor(
    private readonly kc: KubeConfig,
    private readonly target: PublisherTarget,
    private readonly deps: { logger: Logger; metrics: Metrics },
    opts: PublisherOptions = {},
  ) {
    this.verifyAfterMs = opts.verifyAfterMs ?? 30_000;
    this.now = opts.now ?? Date.now;
  }

  /**
   * Says the ConfigMap may no longer hold what was written (it was deleted or edited): the next
   * publish reads it again instead of trusting its memory.
   */
  invalidate(): void {
    this.verifiedAt = 0;
  }

  /** The plan last written (or found unchanged). */
  get current(): Plan | undefined {
    return this.published;
  }

  /** Publishes the plan if its content differs from what is in the cluster; returns what happened. */
  async publish(plan: Plan): Promise<'written' | 'unchanged' | 'error'> {
    const key = planContentKey(plan);
    const fresh = this.now() - this.verifiedAt < this.verifyAfterMs;
    if (key === this.lastKey && fresh) return this.count('unchanged');
    const path = `/api/v1/namespaces/${encodeURIComponent(this.target.namespace)}/configmaps`;
    try {
      const existing = await this.read(path);
      if (existing.plan && planContentKey(existing.plan) === key) {
        this.remember(existing.plan, key);
        return this.count('unchanged');
      }
      const next: Plan = {
        ...plan,
        generation: Math.max(this.generation, existing.plan?.generation ?? 0) + 1,
        generatedAt: new Date().toISOString(),
      };
      const body = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: this.target.name,
          namespace: this.target.namespace,
          labels: { 'app.kubernetes.io/name': 'netprobe', 'app.kubernetes.io/component': 'plan' },
          ...(existing.resourceVersion ? { resourceVersion: existing.resourceVersion } : {}),
        },
        data: { [PLAN_KEY]: JSON.stringify(next) },
      };
      if (existing.resourceVersion) {
        await kubeRequest(this.kc, `${path}/${encodeURIComponent(this.target.name)}`, {
          method: 'PUT',
          body,
        });
      } else {
        await kubeRequest(this.kc, path, { method: 'POST', body });
      }
      this.remember(next, key);
      this.deps.logger.info('plan published', { generation: next.generation, paths: next.paths.length });
      return this.count('written');
    } catch (err) {
      // A 409 (someone else wrote it) or an outage: the next publish reads it again and retries.
      this.deps.logger.warn('plan publish failed', { err });
      return this.count('error');
    }
  }

  private remember(plan: Plan, key: string): void {
    this.lastKey = key;
    this.verifiedAt = this.now();
    this.generation = plan.generation;
    this.published = plan;
    this.deps.metrics.plan.publishedGeneration.set({ namespace: this.target.namespace }, plan.generation);
  }

  private count(result: 'written' | 'unchanged' | 'error'): 'written' | 'unchanged' | 'error' {
    this.deps.metrics.plan.published.inc({ result });
    return result;
  }

  private async read(path: string): Promise<{ resourceVersion?: string; plan?: Plan }> {
    try {
      const cm = rec(await kubeRequest(this.kc, `${path}/${encodeURIComponent(this.target.name)}`));
      const resourceVersion = str(rec(cm.metadata).resourceVersion);
      const text = str(rec(cm.data)[PLAN_KEY]);
      const parsed = text === undefined ? undefined : parsePlan(text, 'configmap');
      return {
        ...(resourceVersion ? { resourceVersion } : {}),
        ...(parsed?.ok ? { plan: parsed.plan } : {}),
      };
    } catch (err) {
      if (err instanceof KubeApiError && err.statusCode === 404) return {};
      throw err;
    }
  }
}
