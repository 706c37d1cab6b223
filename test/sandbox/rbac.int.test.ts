// The authorizer built from the rendered deploy/ RBAC, plugged into the sandbox's fake API server:
// real HTTP requests as each netprobe service account get 200 or 403 as Kubernetes would answer.
import { startFakeApi, type FakeApi } from '../../src/sandbox/fake-api/server.js';
import { createAuthorizer } from '../../src/sandbox/rbac.js';
import { renderOverlay } from '../deploy/manifests.js';

const NODE_TOKEN = 'node-token';
const CLUSTER_TOKEN = 'cluster-token';
let api: FakeApi;

async function call(token: string, method: string, path: string, body?: unknown): Promise<number> {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  await res.arrayBuffer();
  return res.status;
}

const configMap = (name: string): unknown => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'netprobe' },
  data: {},
});

beforeAll(async () => {
  const authz = createAuthorizer(renderOverlay('plain'));
  api = await startFakeApi({
    tokens: {
      [NODE_TOKEN]: 'system:serviceaccount:netprobe:netprobe-node',
      [CLUSTER_TOKEN]: 'system:serviceaccount:netprobe:netprobe-cluster',
    },
    authorize: authz.authorize,
  });
  expect(
    await call(api.token, 'POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'netprobe' },
    }),
  ).toBe(201);
  expect(
    await call(api.token, 'POST', '/api/v1/namespaces/netprobe/configmaps', configMap('netprobe-config')),
  ).toBe(201);
});

afterAll(async () => {
  await api.close();
});

const CM = '/api/v1/namespaces/netprobe/configmaps';
const PLAN = `${CM}/netprobe-plan`;
interface Request {
  method: string;
  path: string;
  body?: unknown;
}
const get = (path: string): Request => ({ method: 'GET', path });
// In order: the plan is created first, then read and changed.
test.each<[string, string, Request, number]>([
  [
    'cluster creates the plan',
    CLUSTER_TOKEN,
    { method: 'POST', path: CM, body: configMap('netprobe-plan') },
    201,
  ],
  ['cluster reads the plan', CLUSTER_TOKEN, get(PLAN), 200],
  [
    'cluster patches the plan',
    CLUSTER_TOKEN,
    { method: 'PATCH', path: PLAN, body: { data: { plan: '{}' } } },
    200,
  ],
  [
    'cluster may not patch the config',
    CLUSTER_TOKEN,
    { method: 'PATCH', path: `${CM}/netprobe-config`, body: { data: {} } },
    403,
  ],
  ['cluster may not delete the plan', CLUSTER_TOKEN, { method: 'DELETE', path: PLAN }, 403],
  ['cluster lists pods cluster-wide', CLUSTER_TOKEN, get('/api/v1/pods'), 200],
  ['cluster lists endpointslices', CLUSTER_TOKEN, get('/apis/discovery.k8s.io/v1/endpointslices'), 200],
  ['cluster may not get one pod', CLUSTER_TOKEN, get('/api/v1/namespaces/netprobe/pods/x'), 403],
  ['node lists the plan by name', NODE_TOKEN, get(`${CM}?fieldSelector=metadata.name%3Dnetprobe-plan`), 200],
  ['node gets the plan', NODE_TOKEN, get(PLAN), 200],
  ['node may not list all ConfigMaps', NODE_TOKEN, get(CM), 403],
  ['node may not read the config', NODE_TOKEN, get(`${CM}/netprobe-config`), 403],
  ['node may not list pods', NODE_TOKEN, get('/api/v1/pods'), 403],
])('%s', async (_name, token, request, status) => {
  expect(await call(token, request.method, request.path, request.body)).toBe(status);
});
