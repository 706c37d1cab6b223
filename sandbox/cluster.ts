import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { loadConfig } from '../src/config/load.js';
import type { Config } from '../src/config/schema.js';
import { silentLogger, type Logger } from '../src/log/logger.js';
import { startClusterRole } from '../src/roles/cluster.js';
import { clusterFeatures } from '../src/roles/cluster-features.js';
import { startNodeRole } from '../src/roles/node.js';
import { nodeFeatures } from '../src/roles/node-features.js';
import type { RoleHandle } from '../src/roles/runtime.js';
import { createCertSet, issueLeafCert, makeCertDir, validity } from './certs.js';
import { startSandboxDns, type SandboxAnswer, type SandboxDns } from './dns-server.js';
import { startFakeApi, type AuthorizeRequest, type FakeApi } from './fake-api/index.js';
import { startIngressProxy, type IngressProxy, type RouteTable } from './ingress-proxy.js';
import { createAuthorizer, type RuleUse } from './rbac.js';
import { dialableHost, joinHostPort } from '../src/net/address.js';
import {
  createSandboxFaults,
  DNS_FAULT_SETTINGS,
  PLANTED_FAULT_IDS,
  type SandboxFaults,
} from './runtime-faults.js';
import { SANDBOX_IPS, sandboxObjects, sandboxPods, type SandboxPod } from './seed.js';

/** How to run the sandbox. */
export interface SandboxOptions {
  healthy?: boolean;
  /** Address of the cluster role (node agents listen on their pod IPs, port 9808). */
  clusterListen?: string;
  logger?: Logger;
  /** Probe intervals in seconds (short in tests). */
  interval?: number;
  /** DNS lookup timeout of the node agents in seconds (default 1; the config default is 2). */
  dnsTimeout?: number;
  /** Enforce RBAC in the fake API: rendered Roles, ClusterRoles and bindings (e.g. from deploy/). */
  rbac?: { objects: readonly unknown[] };
}

/** The users the roles authenticate as: their ServiceAccounts in deploy/. */
export const SANDBOX_USERS = {
  cluster: 'system:serviceaccount:netprobe:netprobe-cluster',
  node: 'system:serviceaccount:netprobe:netprobe-node',
} as const;

/** A request the fake API refused, with the authorizer's reason. */
export interface ForbiddenRequest {
  request: AuthorizeRequest;
  reason: string;
}

/** What the RBAC-enforcing fake API decided so far. */
export interface SandboxRbac {
  /** The rules that allowed requests, one entry per rule, verb and resource. */
  usage(): RuleUse[];
  /** Every (rule, verb, resource) granted that no request has used yet. */
  unused(): RuleUse[];
  /** Requests answered 403, oldest first. */
  forbidden(): ForbiddenRequest[];
}

/** A running sandbox. */
export interface Sandbox {
  api: FakeApi;
  /** Admin kubeconfig (never subject to RBAC), for people and kubectl. */
  kubeconfigPath: string;
  /** Kubeconfigs of the roles, each with its ServiceAccount's token. */
  roleKubeconfigPaths: { cluster: string; node: string };
  /** Present when RBAC is enforced (`rbac` option). */
  rbac?: SandboxRbac;
  cluster: RoleHandle;
  nodes: RoleHandle[];
  urls: { cluster: string; nodes: string[]; api: string; ingressHttp: string; ingressHttps: string };
  dnsPort: number;
  /** The CoreDNS replica stand-ins by pod name, to slow or stop one. */
  dnsReplicas: { 'coredns-a': SandboxDns; 'coredns-b': SandboxDns };
  /** Injects and heals faults at runtime (sandbox/runtime-faults.ts). */
  faults: SandboxFaults;
  /**
   * A netprobe config file for this sandbox as an operator would write it (controller addresses,
   * the CA, the declared path): for `netprobe doctor --config`.
   */
  configPath: string;
  stop(): Promise<void>;
}

type Closer = () => Promise<void> | void;

function recordsFrom(api: FakeApi, apiPort: number) {
  return (name: string, type: string): readonly SandboxAnswer[] | 'nxdomain' => {
    const m = /^(?:_([a-z0-9-]+)\._(tcp|udp)\.)?([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local$/.exec(name);
    if (!m || m[3] === undefined || m[4] === undefined) return 'nxdomain';
    const svc = api.store.get('Service', m[4], m[3]);
    const spec = (svc?.spec ?? {}) as { clusterIP?: string; ports?: Array<{ name?: string; port?: number }> };
    if (!svc || !spec.clusterIP) return 'nxdomain';
    if (m[1] !== undefined) {
      const port = spec.ports?.find((p) => p.name === m[1])?.port ?? (m[1] === 'https' ? apiPort : undefined);
      if (port === undefined) return 'nxdomain';
      return type === 'SRV'
        ? [{ type: 'SRV', priority: 0, weight: 100, port, target: `${m[3]}.${m[4]}.svc.cluster.local` }]
        : [];
    }
    return type === 'A' ? [{ type: 'A', address: spec.clusterIP }] : [];
  };
}

function listenOn(server: net.Server, pod: SandboxPod): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(pod.port, pod.ip, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
}

async function startBackend(pod: SandboxPod): Promise<http.Server | net.Server> {
  const server =
    pod.port === 5432
      ? net.createServer((s) => s.end())
      : http.createServer((req, res) => {
          res.setHeader('Content-Type', 'text/plain');
          res.end(`${pod.name} answered ${req.method ?? 'GET'} ${req.url ?? '/'}\n`);
        });
  await listenOn(server, pod);
  return server;
}

/**
 * A TCP port that silently drops new connections, like a NetworkPolicy drop: a listener with a
 * full accept queue that never accepts (the kernel then drops SYNs). Needs python3.
 */
async function startBlackhole(address: string, port: number): Promise<{ close: Closer }> {
  const py = `import socket,time\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(('${address}',${port}))\ns.listen(0)\nprint('ready',flush=True)\ntime.sleep(86400)`;
  const child: ChildProcess = spawn('python3', ['-c', py], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('error', reject);
  });
  // Fill the accept queue so that later SYNs are dropped.
  const fillers: net.Socket[] = [];
  for (let i = 0; i < 3; i++) {
    const s = net.connect(port, address);
    s.on('error', () => undefined);
    fillers.push(s);
  }
  await new Promise((r) => setTimeout(r, 200));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    // Waits for the process to exit, so that the port is free for the backend again.
    close: async () => {
      for (const s of fillers) s.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The declared path's target: the payments database, or a black hole on its address and port. */
interface PathTarget {
  block(): Promise<void>;
  unblock(): Promise<void>;
  close(): Promise<void>;
}

async function startPathTarget(pod: SandboxPod, blocked: boolean): Promise<PathTarget> {
  let close: Closer = () => undefined;
  const serve = async (): Promise<void> => {
    const s = await startBackend(pod);
    close = () => new Promise<void>((r) => s.close(() => r()));
  };
  const drop = async (): Promise<void> => {
    close = (await startBlackhole(pod.ip, pod.port)).close;
  };
  await (blocked ? drop() : serve());
  const swap = async (next: () => Promise<void>): Promise<void> => {
    await close();
    await next();
  };
  return { block: () => swap(drop), unblock: () => swap(serve), close: async () => close() };
}

function ingressRoutes(api: FakeApi): RouteTable {
  const table: RouteTable = [];
  for (const ing of api.store.list('Ingress')) {
    const spec = (ing.spec ?? {}) as {
      ingressClassName?: string;
      rules?: Array<{
        host?: string;
        http?: {
          paths?: Array<{ path?: string; pathType?: string; backend?: { service?: { name?: string } } }>;
        };
      }>;
    };
    // The sandbox controller serves class nginx only, like a cluster with one controller installed.
    if (spec.ingressClassName !== 'nginx') continue;
    for (const rule of spec.rules ?? []) {
      for (const p of rule.http?.paths ?? []) {
        const svcName = p.backend?.service?.name ?? '';
        const slice = api.store
          .list('EndpointSlice', ing.metadata.namespace)
          .find((s) => s.metadata.labels?.['kubernetes.io/service-name'] === svcName);
        const sl = (slice ?? {}) as {
          endpoints?: Array<{ addresses?: string[]; conditions?: { ready?: boolean } }>;
          ports?: Array<{ port?: number | null }>;
        };
        const port = sl.ports?.[0]?.port ?? null;
        const backends =
          port === null
            ? []
            : (sl.endpoints ?? [])
                .filter((e) => e.conditions?.ready !== false)
                .flatMap((e) => (e.addresses ?? []).slice(0, 1).map((host) => ({ host, port })));
        table.push({
          host: rule.host ?? '',
          path: p.path ?? '/',
          pathType: p.pathType === 'Exact' ? 'Exact' : 'Prefix',
          backends,
        });
      }
    }
  }
  return table;
}

interface RoleAccess {
  tokens: Record<string, string>;
  authorize?: (req: AuthorizeRequest) => boolean;
  rbac?: SandboxRbac;
}

/** One token per role's ServiceAccount and, with `rbac`, an authorizer that records refusals. */
function roleAccess(rbac: SandboxOptions['rbac']): RoleAccess & { token: { cluster: string; node: string } } {
  const token = { cluster: randomBytes(16).toString('hex'), node: randomBytes(16).toString('hex') };
  const tokens = { [token.cluster]: SANDBOX_USERS.cluster, [token.node]: SANDBOX_USERS.node };
  if (rbac === undefined) return { token, tokens };
  const authz = createAuthorizer(rbac.objects);
  const refused: ForbiddenRequest[] = [];
  const authorize = (request: AuthorizeRequest): boolean => {
    const decision = authz.decide(request);
    if (!decision.allowed) refused.push({ request, reason: decision.reason });
    return decision.allowed;
  };
  return {
    token,
    tokens,
    authorize,
    rbac: { usage: () => authz.usage(), unused: () => authz.unused(), forbidden: () => [...refused] },
  };
}

function loadKubeconfig(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

function dnsHandle(d: SandboxDns | undefined): SandboxDns {
  if (!d) throw new Error('sandbox DNS replica did not start');
  return d;
}

interface SandboxPath {
  name: string;
  service: string;
  port: number;
}

/**
 * The declared paths, expectations left to the policy engine. The first must work and is blocked
 * (unless healthy). The second is allowed when healthy; otherwise shop's default-deny denies it and,
 * as the sandbox has no CNI to enforce NetworkPolicy, it is reachable: the "policy not enforced" finding.
 */
function sandboxPaths(): SandboxPath[] {
  return [
    { name: 'checkout-to-payments-db', service: 'payments/payments-db', port: 5432 },
    { name: 'agents-to-shop-database', service: 'shop/database', port: 5432 },
  ];
}

/** The config file an operator would write for this sandbox (see Sandbox.configPath). */
function operatorConfig(
  controller: { http: string; https: string },
  caFile: string,
  paths: readonly SandboxPath[],
): string {
  return [
    '# netprobe config for the sandbox, as an operator would write it (netprobe doctor --config).',
    'cluster:',
    '  namespace: netprobe',
    '  ingress:',
    `    caFile: ${caFile}`,
    '    controllers:',
    `      nginx: { http: "${controller.http}", https: "${controller.https}" }`,
    // The legacy class's traffic goes to the same address, where no controller serves it.
    `      nginx-legacy: { http: "${controller.http}", https: "${controller.https}" }`,
    '  paths:',
    ...paths.flatMap((p) => [
      `    - name: ${p.name}`,
      `      to: { service: ${p.service}, port: ${p.port} }`,
    ]),
    '  policy:',
    '    ingressControllerNamespace: ingress-nginx',
    '',
  ].join('\n');
}

/** Starts the whole sandbox: fake API, DNS replicas, backends, ingress proxy, and both roles. */
export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const healthy = opts.healthy ?? false;
  const logger = opts.logger ?? silentLogger();
  const closers: Closer[] = [];
  const stopAll = async (): Promise<void> => {
    for (const c of closers.reverse()) await Promise.resolve(c()).catch(() => undefined);
  };
  try {
    const dir = mkdtempSync(join(tmpdir(), 'netprobe-sandbox-'));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    const access = roleAccess(opts.rbac);
    const api = await startFakeApi({
      // TLS, as a real API server: kubectl (client-go) sends credentials over HTTPS only.
      tls: true,
      bookmarkIntervalMs: 5000,
      tokens: access.tokens,
      ...(access.authorize === undefined ? {} : { authorize: access.authorize }),
    });
    closers.push(() => api.close());
    const apiPort = Number(new URL(api.url).port);
    // Port 53 needs root; elsewhere the sandbox DNS uses 1053 and resolv.conf lists no nameserver.
    const root = process.getuid?.() === 0;
    const dnsPort = root ? 53 : 1053;
    const seed = {
      healthy: sandboxObjects({ healthy: true, apiPort, dnsPort }),
      faulty: sandboxObjects({ healthy: false, apiPort, dnsPort }),
    };
    for (const obj of healthy ? seed.healthy : seed.faulty) api.store.apply(obj);
    const kubeconfigPath = join(dir, 'kubeconfig');
    await api.writeKubeconfig(kubeconfigPath);
    const roleKubeconfigPaths = {
      cluster: join(dir, 'kubeconfig-cluster'),
      node: join(dir, 'kubeconfig-node'),
    };
    await api.writeKubeconfig(roleKubeconfigPaths.cluster, access.token.cluster);
    await api.writeKubeconfig(roleKubeconfigPaths.node, access.token.node);

    const records = recordsFrom(api, apiPort);
    const dns: SandboxDns[] = [];
    for (const address of [SANDBOX_IPS.kubeDnsService, SANDBOX_IPS.corednsA, SANDBOX_IPS.corednsB]) {
      const d = await startSandboxDns({ address, port: dnsPort, records });
      dns.push(d);
      closers.push(() => d.close());
    }
    if (!healthy) dns[2]?.setDelay(DNS_FAULT_SETTINGS.slowReplicaMs);

    let pathTarget: PathTarget | undefined;
    for (const pod of sandboxPods(healthy)) {
      if (pod.ip === SANDBOX_IPS.paymentsDb) {
        const target = await startPathTarget(pod, !healthy);
        closers.push(() => target.close());
        pathTarget = target;
        continue;
      }
      const s = await startBackend(pod);
      closers.push(() => new Promise<void>((r) => s.close(() => r())));
    }
    if (pathTarget === undefined) throw new Error('the sandbox seed has no payments database');

    const certDir = await makeCertDir();
    closers.push(() => rmSync(certDir, { recursive: true, force: true }));
    const payCerts = await createCertSet(certDir, 'pay.shop.example', 5);
    const adminValid = await issueLeafCert(payCerts.ca, {
      name: 'admin',
      hosts: ['admin.shop.example'],
      ...validity(365),
    });
    const tlsFaults = { expiring: !healthy, wrongHost: !healthy };
    const proxy: IngressProxy = await startIngressProxy({
      address: SANDBOX_IPS.ingress,
      httpPort: 0,
      httpsPort: 0,
      routes: () => ingressRoutes(api),
      certs: () => [
        { ...(tlsFaults.expiring ? payCerts.expiringSoon : payCerts.valid), hosts: ['pay.shop.example'] },
        // The wrong-hostname fault: admin.shop.example is served a certificate for another name.
        { ...(tlsFaults.wrongHost ? payCerts.wrongHost : adminValid), hosts: ['admin.shop.example'] },
      ],
    });
    closers.push(() => proxy.close());
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, payCerts.ca.certPem);

    const resolvConf = join(dir, 'resolv.conf');
    writeFileSync(
      resolvConf,
      `${root ? `nameserver ${SANDBOX_IPS.kubeDnsService}\n` : ''}search netprobe.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n`,
    );
    const interval = opts.interval ?? 5;
    const controller = {
      http: `${SANDBOX_IPS.ingress}:${proxy.httpPort}`,
      https: `${SANDBOX_IPS.ingress}:${proxy.httpsPort ?? 0}`,
    };
    const base: Config = loadConfig(
      undefined,
      {},
      { listen: opts.clusterListen ?? '127.0.0.1:0', logLevel: 'warn' },
    );
    const clusterConfig: Config = {
      ...base,
      shutdownGrace: 1,
      cluster: {
        ...base.cluster,
        namespace: 'netprobe',
        ingress: {
          ...base.cluster.ingress,
          interval,
          timeout: 2,
          caFile,
          controllers: { nginx: controller, 'nginx-legacy': controller },
        },
        paths: sandboxPaths().map((p) => ({
          name: p.name,
          to: { service: p.service, port: p.port },
          protocol: 'TCP' as const,
          expect: 'auto' as const,
        })),
        policy: { ...base.cluster.policy, ingressControllerNamespace: 'ingress-nginx' },
      },
      // The sandbox has no CNI, so nothing enforces NetworkPolicy: the sentinel would always answer.
      node: { ...base.node, sentinelPort: 0 },
    };
    const cluster = await startClusterRole(
      clusterConfig,
      { kubeConfig: loadKubeconfig(roleKubeconfigPaths.cluster), logger: logger.child({ role: 'cluster' }) },
      clusterFeatures(),
    );
    closers.push(() => cluster.stop());

    const nodes: RoleHandle[] = [];
    for (const [name, ip] of [
      ['node-a', SANDBOX_IPS.agentA],
      ['node-b', SANDBOX_IPS.agentB],
    ] as const) {
      const nodeConfig: Config = {
        ...clusterConfig,
        listen: `${ip}:9808`,
        node: {
          ...clusterConfig.node,
          name,
          // Each agent's neighbour listener on its own loopback address, as on its own pod IP.
          sentinelAddress: ip,
          dns: { ...clusterConfig.node.dns, resolvConf, interval, timeout: opts.dnsTimeout ?? 1 },
          paths: { interval, timeout: 2 },
        },
      };
      const handle = await startNodeRole(
        nodeConfig,
        {
          kubeConfig: loadKubeconfig(roleKubeconfigPaths.node),
          logger: logger.child({ role: 'node', node: name }),
        },
        nodeFeatures(),
      );
      closers.push(() => handle.stop());
      nodes.push(handle);
    }
    const configPath = join(dir, 'netprobe.yaml');
    writeFileSync(configPath, operatorConfig(controller, caFile, sandboxPaths()));
    const [replicaA, replicaB] = [dnsHandle(dns[1]), dnsHandle(dns[2])];
    const url = (h: RoleHandle): string =>
      `http://${joinHostPort(dialableHost(h.address.host), h.address.port)}`;
    return {
      api,
      kubeconfigPath,
      roleKubeconfigPaths,
      ...(access.rbac === undefined ? {} : { rbac: access.rbac }),
      cluster,
      nodes,
      dnsPort,
      dnsReplicas: { 'coredns-a': replicaA, 'coredns-b': replicaB },
      faults: createSandboxFaults(
        {
          store: api.store,
          seed,
          dns: { service: dnsHandle(dns[0]), a: replicaA, b: replicaB },
          tls: tlsFaults,
          declaredPath: pathTarget,
        },
        healthy ? [] : PLANTED_FAULT_IDS,
      ),
      configPath,
      urls: {
        cluster: url(cluster),
        nodes: nodes.map(url),
        api: api.url,
        ingressHttp: `http://${controller.http}`,
        ingressHttps: `https://${controller.https}`,
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
