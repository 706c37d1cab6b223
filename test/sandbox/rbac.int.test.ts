// What the rendered deploy/ RBAC must refuse, over real HTTP to the fake API as each netprobe
// service account. sandbox-rbac.int.test.ts shows that the roles' own requests all pass and that
// every granted (rule, verb, resource) is used; it cannot see a rule that is too wide in scope
// (a missing resourceNames, a ClusterRole where a Role would do, Secrets), which these checks do.
import { SANDBOX_USERS } from '../../sandbox/cluster.js';
import { startFakeApi, type FakeApi } from '../../sandbox/fake-api/server.js';
import { createAuthorizer } from '../../sandbox/rbac.js';
import { renderOverlay } from '../deploy/manifests.js';

const NODE_TOKEN = 'node-token';
const CLUSTER_TOKEN = 'cluster-token';
const authz = createAuthorizer(renderOverlay('plain'));
let api: FakeApi;

async function call(token: string, method: string, path: string): Promise<number> {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    // Authorization comes before the body is read, as in the apiserver.
    ...(method === 'PUT' || method === 'POST' ? { body: '{}' } : {}),
  });
  await res.arrayBuffer();
  return res.status;
}

beforeAll(async () => {
  api = await startFakeApi({
    tokens: { [NODE_TOKEN]: SANDBOX_USERS.node, [CLUSTER_TOKEN]: SANDBOX_USERS.cluster },
    authorize: authz.authorize,
  });
});

afterAll(async () => {
  await api.close();
});

const CM = '/api/v1/namespaces/netprobe/configmaps';
const byName = (name: string): string => `${CM}?fieldSelector=metadata.name%3D${name}`;
test.each<[string, string, string, string]>([
  ['cluster may not replace the config', CLUSTER_TOKEN, 'PUT', `${CM}/netprobe-config`],
  ['cluster may not delete the plan', CLUSTER_TOKEN, 'DELETE', `${CM}/netprobe-plan`],
  [
    'cluster may not create ConfigMaps elsewhere',
    CLUSTER_TOKEN,
    'POST',
    '/api/v1/namespaces/default/configmaps',
  ],
  ['cluster may not get one pod', CLUSTER_TOKEN, 'GET', '/api/v1/namespaces/netprobe/pods/x'],
  ['node may not list all ConfigMaps', NODE_TOKEN, 'GET', CM],
  ['node may not list the config by name', NODE_TOKEN, 'GET', byName('netprobe-config')],
  ['node may not replace the plan', NODE_TOKEN, 'PUT', `${CM}/netprobe-plan`],
  ['node may not list pods', NODE_TOKEN, 'GET', '/api/v1/pods'],
])('%s', async (_name, token, method, path) => {
  expect(await call(token, method, path)).toBe(403);
});

// The fake API serves no Secrets, so this asks the same authorizer directly.
test.each(Object.entries(SANDBOX_USERS))('%s service account may not read Secrets', (_role, user) => {
  for (const verb of ['get', 'list', 'watch']) {
    for (const namespace of ['netprobe', undefined]) {
      const request = { user, verb, group: '', resource: 'secrets', namespace };
      expect(authz.decide(request)).toMatchObject({ allowed: false });
    }
  }
});
