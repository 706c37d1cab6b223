import { z } from 'zod';
import { MAX_PAYLOAD_BYTES } from '../probers/sentinel.js';

/** Version of the plan format; node agents refuse a plan of another version. */
export const PLAN_VERSION = 1;

const address = z.string().min(1).max(253);
const port = z.number().int().min(1).max(65535);
const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,252}$/, 'expected a name of letters, digits, . _ / -');

/** A DNS server and how it was found. */
export const planDnsServer = z.strictObject({
  /** Stable label value: the pod name for replicas, "kube-dns" for the Service. */
  name,
  via: z.enum(['service', 'replica']),
  address,
  port: port.default(53),
});

/** A path every node agent probes, with the verdict the policy engine expects. */
export const planPath = z.strictObject({
  name,
  kind: z.enum(['dns-egress', 'apiserver', 'declared']),
  address,
  port,
  protocol: z.enum(['TCP', 'UDP']),
  check: z.enum(['connect', 'dns', 'http']),
  expected: z.enum(['allow', 'deny', 'unknown', 'mixed']),
  /** The policy that decided the expectation, "namespace/name", or why none did. */
  decidedBy: z.string().max(300).default(''),
  httpPayloadBytes: z.number().int().min(0).max(MAX_PAYLOAD_BYTES).optional(),
});

/**
 * A node agent, the unit of the neighbour ring: its primary pod IP, and on a dual-stack pod all its
 * IPs (one per family), each of which neighbours probe.
 */
export const planAgent = z.strictObject({
  node: name,
  address,
  addresses: z.array(address).max(2).optional(),
});

/** The whole plan document (ConfigMap key plan.json, or a standalone file in YAML or JSON). */
export const planSchema = z.strictObject({
  version: z.literal(PLAN_VERSION),
  generation: z.number().int().min(0),
  generatedAt: z.string(),
  clusterDomain: z.string().default('cluster.local'),
  dns: z.strictObject({ servers: z.array(planDnsServer).max(1000) }),
  agents: z.strictObject({
    port,
    sentinelPort: z.number().int().min(0).max(65535),
    /** Neighbour expectations: agent-to-agent probes and the sentinel (expected deny). */
    neighbourExpected: z.enum(['allow', 'deny', 'unknown']).default('unknown'),
    sentinelExpected: z.enum(['allow', 'deny', 'unknown']).default('unknown'),
    ring: z.strictObject({ k: z.number().int().min(0).max(50), vnodes: z.number().int().min(1).max(1000) }),
    list: z.array(planAgent).max(20_000),
  }),
  paths: z.array(planPath).max(10_000),
});

export type Plan = z.output<typeof planSchema>;
export type PlanInput = z.input<typeof planSchema>;
export type PlanPath = z.output<typeof planPath>;
export type PlanDnsServer = z.output<typeof planDnsServer>;

/** ConfigMap key holding the plan. */
export const PLAN_KEY = 'plan.json';
