import { z } from 'zod';
import { parseDuration } from './duration.js';
import { LOG_LEVELS } from '../log/logger.js';
import { parseCidr } from '../policy/cidr.js';
import { MAX_PAYLOAD_BYTES } from '../probers/sentinel.js';

/** A duration in seconds, written as "10s", "500ms", "2m" or a plain number of seconds. */
const duration = (min: number, max: number): z.ZodType<number, string | number> =>
  z
    .union([z.string(), z.number()], { error: 'expected a duration such as "10s" or "500ms"' })
    .transform((v, ctx) => {
      const secs = parseDuration(v);
      if (secs === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a duration such as "10s" or "500ms", got ${JSON.stringify(v)}`,
        });
        return z.NEVER;
      }
      if (secs < min || secs > max) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a duration between ${min}s and ${max}s, got ${JSON.stringify(v)}`,
        });
        return z.NEVER;
      }
      return secs;
    });

const hostPort = z
  .string()
  .regex(
    /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):\d{1,5}$/,
    'expected HOST:PORT, e.g. ":9808" (every address), "0.0.0.0:9808" or "[::]:9808"',
  )
  .refine((v) => Number(v.slice(v.lastIndexOf(':') + 1)) <= 65535, 'expected a port from 0 to 65535');

const labelMap = z.record(z.string(), z.string());
const dnsName = z
  .string()
  .regex(
    /^(?=.{1,253}\.?$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?$/,
    'expected a DNS name',
  );
const checkName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected a lowercase name of letters, digits and dashes');

/** One DNS check: a name to look up, how, and which record type. */
const recordType = z.enum(['A', 'AAAA', 'SRV', 'TXT', 'CNAME']);
const dnsCheck = z.strictObject({
  name: checkName,
  query: dnsName,
  /** One record type, or a list ([A, AAAA]: both families' records), one check per type. */
  type: z.union([recordType, z.array(recordType).min(1).max(5)]).default('A'),
  /** fqdn: one query for the name as written; search: expand through resolv.conf's search list and ndots. */
  mode: z.enum(['fqdn', 'search']).default('fqdn'),
});

/** A check of a list of types becomes one check per type, named NAME-a, NAME-aaaa, ... */
function expandChecks(checks: z.output<typeof dnsCheck>[], ctx: z.RefinementCtx): DnsCheckConfig[] {
  const out = checks.flatMap((c): DnsCheckConfig[] => {
    if (!Array.isArray(c.type)) return [{ ...c, type: c.type }];
    const types = [...new Set(c.type)];
    if (types.length === 1) return [{ ...c, type: types[0] ?? 'A' }];
    return types.map((type) => ({ ...c, name: `${c.name}-${type.toLowerCase()}`, type }));
  });
  const seen = new Set<string>();
  for (const c of out) {
    if (seen.has(c.name)) ctx.addIssue({ code: 'custom', message: `check name ${c.name} is used twice` });
    seen.add(c.name);
  }
  return out;
}

const dnsConfig = z.strictObject({
  interval: duration(1, 3600).default(10),
  timeout: duration(0.05, 60).default(2),
  resolvConf: z.string().default('/etc/resolv.conf'),
  /** Used when the search list names no cluster domain. */
  clusterDomain: dnsName.default('cluster.local'),
  /** Replaces the default checks when given. {domain} is replaced by the cluster domain. */
  checks: z.array(dnsCheck).transform(expandChecks).optional(),
  /** An external name to check through every server (off when empty). */
  externalName: z.union([dnsName, z.literal('')]).default(''),
  /** Extra servers to probe besides those of the plan and resolv.conf. */
  servers: z
    .array(
      z.strictObject({
        name: checkName,
        address: z.string(),
        port: z.number().int().min(1).max(65535).default(53),
      }),
    )
    .default([]),
});

const pathTarget = z.union([
  z.strictObject({
    service: z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, 'expected NAMESPACE/NAME'),
    port: z.union([z.number().int().min(1).max(65535), z.string()]),
  }),
  z.strictObject({ host: z.string().min(1), port: z.number().int().min(1).max(65535) }),
]);

/** A path declared by the operator, probed from every node with an expected verdict. */
const declaredPath = z.strictObject({
  name: checkName,
  to: pathTarget,
  protocol: z.enum(['TCP', 'UDP']).default('TCP'),
  expect: z.enum(['allow', 'deny', 'auto']).default('auto'),
  /** HTTP GET with this response size, for MTU black holes (TCP only; the target must serve it). */
  httpPayloadBytes: z.number().int().min(0).max(MAX_PAYLOAD_BYTES).optional(),
});

/**
 * Limits of the sentinel and neighbour listeners (each has its own budget). Probers connect, send
 * one short request head and read at most one payload, so anything slower or more is refused.
 */
const sentinelLimits = z.strictObject({
  /** Connections open at once; more are closed as soon as they are accepted. */
  maxConnections: z.number().int().min(1).max(10_000).default(256),
  /** The request head must be complete this long after the connection was accepted. */
  headerTimeout: duration(0.5, 60).default(5),
  /** A socket with no traffic for this long is closed, whatever state it is in. */
  idleTimeout: duration(1, 300).default(10),
  /** Payload responses per second per source address (an IPv6 /64 counts as one source). */
  payloadRate: z.number().min(0.1).max(1000).default(5),
  /** Payload responses a source may get at once before the rate applies. */
  payloadBurst: z.number().int().min(1).max(1000).default(10),
});

const nodeConfig = z.strictObject({
  /** This node's name (NODE_NAME from the downward API). */
  name: z.string().default(''),
  /** Standalone mode: read the plan from this file instead of the ConfigMap. */
  planFile: z.string().optional(),
  concurrency: z.number().int().min(1).max(1000).default(16),
  dns: dnsConfig.default(() => dnsConfig.parse({})),
  paths: z
    .strictObject({ interval: duration(1, 3600).default(15), timeout: duration(0.05, 60).default(3) })
    .default({ interval: 15, timeout: 3 }),
  /** Port the policy sentinel listens on; netprobe's own NetworkPolicy denies it. 0 disables it. */
  sentinelPort: z.number().int().min(0).max(65535).default(9809),
  /**
   * Port neighbour agents probe (its own listener, allowed between agents by the shipped
   * NetworkPolicy): a partition of the neighbour path then never blinds Prometheus's scrape of
   * the metrics port, and a blocked scrape never looks like a partition.
   */
  neighbourPort: z.number().int().min(1).max(65535).default(9810),
  /**
   * Address the sentinel and neighbour listeners bind; empty binds every address (:: with IPv4
   * mapped where the kernel has IPv6, else 0.0.0.0), so IPv4-only, IPv6-only and dual-stack pods all
   * answer on each of their pod IPs.
   */
  sentinelAddress: z.string().default(''),
  listeners: sentinelLimits.default(() => sentinelLimits.parse({})),
});

/** Private and shared address space: where an in-cluster load balancer or node address lives. */
const PRIVATE_RANGES = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  'fc00::/7',
] as const;
const cidrText = z
  .string()
  .refine((v) => parseCidr(v) !== undefined, 'expected a CIDR such as "10.0.0.0/8" or "fc00::/7"');

const ingressController = z.strictObject({ http: hostPort.optional(), https: hostPort.optional() });

/**
 * Leader election among the cluster-role replicas on a Lease in `namespace` (client-go's timing
 * model). Defaults give a failover within about 12 s of the leader's death.
 */
const leaderElection = z
  .strictObject({
    enabled: z.boolean().default(true),
    leaseName: z
      .string()
      .regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, 'expected a DNS subdomain name')
      .default('netprobe-cluster'),
    /** This replica's name in the lease (POD_NAME from the downward API); default: host name. */
    identity: z.string().max(253).default(''),
    leaseDuration: duration(2, 300).default(10),
    renewDeadline: duration(1, 300).default(7),
    retryPeriod: duration(0.2, 60).default(2),
  })
  .refine((v) => v.renewDeadline < v.leaseDuration, {
    message: 'expected renewDeadline shorter than leaseDuration',
    path: ['renewDeadline'],
  })
  .refine((v) => v.retryPeriod < v.renewDeadline, {
    message: 'expected retryPeriod shorter than renewDeadline',
    path: ['retryPeriod'],
  });

const clusterConfig = z.strictObject({
  /** Where the plan ConfigMap lives (POD_NAMESPACE from the downward API). */
  namespace: z.string().default('netprobe'),
  dnsService: z
    .string()
    .regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, 'expected NAMESPACE/NAME')
    .default('kube-system/kube-dns'),
  /** How node agents are found: pods with these labels in `namespace`. */
  agentLabels: labelMap.default({
    'app.kubernetes.io/name': 'netprobe',
    'app.kubernetes.io/component': 'node',
  }),
  neighbours: z.number().int().min(0).max(50).default(5),
  paths: z.array(declaredPath).default([]),
  ingress: z
    .strictObject({
      enabled: z.boolean().default(true),
      interval: duration(1, 3600).default(30),
      timeout: duration(0.1, 60).default(5),
      concurrency: z.number().int().min(1).max(1000).default(20),
      wildcardLabel: z
        .string()
        .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'expected a DNS label')
        .default('netprobe-probe'),
      /** Controller address per IngressClass name; it wins over any Ingress status address. */
      controllers: z.record(z.string(), ingressController).default({}),
      /** Probes Ingresses whose class names no IngressClass (or that have none) when set. */
      defaultController: ingressController.optional(),
      /** A status address is probed only inside these ranges (anyone who writes status picks it). */
      statusAddressCidrs: z.array(cidrText).default([...PRIVATE_RANGES]),
      caFile: z.string().optional(),
      maxBodyBytes: z.number().int().min(0).max(10_485_760).default(65_536),
    })
    .default(() => ({
      enabled: true,
      interval: 30,
      timeout: 5,
      concurrency: 20,
      wildcardLabel: 'netprobe-probe',
      controllers: {},
      statusAddressCidrs: [...PRIVATE_RANGES],
      maxBodyBytes: 65_536,
    })),
  leaderElection: leaderElection.default(() => leaderElection.parse({})),
  policy: z
    .strictObject({
      ingressControllerNamespace: z.string().optional(),
      ingressControllerLabels: labelMap.default({ 'app.kubernetes.io/name': 'ingress-nginx' }),
      /** Implementation-defined behaviour (see docs/policy.md). */
      ipBlockMatchesPods: z.boolean().default(false),
      allowSelfTraffic: z.boolean().default(true),
    })
    .default({
      ingressControllerLabels: { 'app.kubernetes.io/name': 'ingress-nginx' },
      ipBlockMatchesPods: false,
      allowSelfTraffic: true,
    }),
});

/**
 * Limits of the metrics/status HTTP server. Scrapers and kubelet probes send one short GET and
 * read the answer; a client slower than these timeouts is cut, one beyond the cap is dropped.
 */
const serverConfig = z
  .strictObject({
    /** Connections open at once (idle keep-alive ones included); more are closed on accept. */
    maxConnections: z.number().int().min(1).max(10_000).default(64),
    /** The request head must arrive this long after the connection opened (or went idle). */
    headersTimeout: duration(0.5, 60).default(5),
    /** The whole request, head included, must arrive within this. */
    requestTimeout: duration(0.5, 300).default(10),
    /** An idle keep-alive connection is closed after this. */
    keepAliveTimeout: duration(0.5, 300).default(5),
  })
  .refine((v) => v.headersTimeout <= v.requestTimeout, {
    message: 'expected headersTimeout no longer than requestTimeout',
    path: ['headersTimeout'],
  });

/** The whole configuration file; both roles read the same file and use their own section. */
export const configSchema = z.strictObject({
  /** An empty host (":9808") listens on every address of the pod's families, as sentinelAddress does. */
  listen: hostPort.default(':9808'),
  logLevel: z.enum(LOG_LEVELS).default('info'),
  kubeconfig: z.string().optional(),
  /** Bounded wait for in-flight probes on SIGTERM. */
  shutdownGrace: duration(0, 120).default(5),
  server: serverConfig.default(() => serverConfig.parse({})),
  node: nodeConfig.default(() => nodeConfig.parse({})),
  cluster: clusterConfig.default(() => clusterConfig.parse({})),
});

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
/** One DNS check as probed: a single record type. */
export interface DnsCheckConfig {
  name: string;
  query: string;
  type: z.output<typeof recordType>;
  mode: 'fqdn' | 'search';
}
export type DeclaredPath = z.output<typeof declaredPath>;
export type ServerConfig = z.output<typeof serverConfig>;
export type SentinelLimitsConfig = z.output<typeof sentinelLimits>;
export type LeaderElectionConfig = z.output<typeof leaderElection>;
