import http from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';

/** Collection paths doctor lists. */
export const PATHS = {
  namespaces: '/api/v1/namespaces',
  pods: '/api/v1/pods',
  services: '/api/v1/services',
  endpointslices: '/apis/discovery.k8s.io/v1/endpointslices',
  ingresses: '/apis/networking.k8s.io/v1/ingresses',
  ingressclasses: '/apis/networking.k8s.io/v1/ingressclasses',
  networkpolicies: '/apis/networking.k8s.io/v1/networkpolicies',
} as const;

/** What the server answers per resource: the items of a list (any JSON, hostile too), or an HTTP status. */
export type ListAnswers = Partial<Record<keyof typeof PATHS, unknown[] | number>>;

/**
 * A loopback HTTP server that answers LIST requests with fixed items, as an API server would,
 * but with no validation at all: it can serve what a real API server never would (garbage).
 */
export async function startListServer(
  answers: ListAnswers,
  opts: { continueToken?: string } = {},
): Promise<{ kc: KubeConfig; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(`${req.method ?? ''} ${url.pathname}${url.search}`);
    const entry = Object.entries(PATHS).find(([, p]) => p === url.pathname);
    const answer = entry === undefined ? [] : (answers[entry[0] as keyof typeof PATHS] ?? []);
    res.setHeader('Content-Type', 'application/json');
    if (typeof answer === 'number') {
      res.statusCode = answer;
      res.end(JSON.stringify({ kind: 'Status', message: `injected ${answer}` }));
      return;
    }
    const metadata = {
      resourceVersion: '1',
      ...(opts.continueToken ? { continue: opts.continueToken } : {}),
    };
    res.end(JSON.stringify({ kind: 'List', metadata, items: answer }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'test', token: 'x' }],
    contexts: [{ name: 'test', cluster: 'test', user: 'test' }],
    currentContext: 'test',
  });
  return {
    kc,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Answers every LIST with the HTTP status (an API server that cannot be read at all). */
export function failAll(status: number): ListAnswers {
  return Object.fromEntries(Object.keys(PATHS).map((k) => [k, status]));
}

/** The default config (as without --config). */
export function defaultConfig(): Config {
  return loadConfig(undefined, {});
}

/** Minimal valid objects for the stage tests; loopback addresses only, since doctor's DNS stage queries them. */
export const obj = {
  ns: (name: string) => ({ metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } }),
  pod: (
    ns: string,
    name: string,
    labels: Record<string, string>,
    opts: { ready?: boolean; ports?: object[] } = {},
  ) => ({
    metadata: { name, namespace: ns, labels },
    spec: {
      nodeName: 'n1',
      containers: [{ name: 'c', ports: opts.ports ?? [{ name: 'http', containerPort: 8080 }] }],
    },
    status: {
      phase: 'Running',
      podIP: '127.0.99.1',
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
    },
  }),
  service: (
    ns: string,
    name: string,
    selector: Record<string, string> | undefined,
    targetPort: number | string = 'http',
  ) => ({
    metadata: { name, namespace: ns },
    spec: {
      clusterIP: '127.0.99.10',
      ...(selector ? { selector } : {}),
      ports: [{ name: 'http', port: 80, targetPort, protocol: 'TCP' }],
    },
  }),
  slice: (
    ns: string,
    svc: string,
    endpoints: Array<{ pod: string; ready: boolean }>,
    port: number | null = 8080,
  ) => ({
    metadata: { name: `${svc}-x`, namespace: ns, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    endpoints: endpoints.map((e) => ({
      addresses: ['127.0.99.1'],
      conditions: { ready: e.ready },
      targetRef: { kind: 'Pod', name: e.pod, namespace: ns },
    })),
    ports: [{ name: 'http', port, protocol: 'TCP' }],
  }),
};
