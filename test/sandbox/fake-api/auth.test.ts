import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, ListWatch, Watch, type V1ConfigMap } from '@kubernetes/client-node';
import { startFakeApi, type AuthorizeRequest, type FakeApi } from '../../../sandbox/fake-api/index.js';

const NODE_USER = 'system:serviceaccount:netprobe:netprobe-node';

// The node role's permissions: get/list/watch of the one ConfigMap netprobe-plan in its namespace.
function nodePolicy(req: AuthorizeRequest): boolean {
  return (
    req.user === NODE_USER &&
    ['get', 'list', 'watch'].includes(req.verb) &&
    req.group === '' &&
    req.resource === 'configmaps' &&
    req.namespace === 'netprobe' &&
    req.name === 'netprobe-plan'
  );
}

function client(api: FakeApi, token?: string): { kc: KubeConfig; core: CoreV1Api } {
  const kc = new KubeConfig();
  kc.loadFromString(api.kubeconfig(token));
  return { kc, core: kc.makeApiClient(CoreV1Api) };
}

async function codeOf(call: Promise<unknown>): Promise<{ code: number; body: unknown }> {
  try {
    await call;
  } catch (err) {
    const e = err as { code?: number; body?: unknown };
    return { code: e.code ?? -1, body: typeof e.body === 'string' ? JSON.parse(e.body) : e.body };
  }
  return { code: 200, body: undefined };
}

describe('fake API: authentication and the authorize hook', () => {
  let api: FakeApi;

  beforeAll(async () => {
    api = await startFakeApi({ tokens: { 'tok-node': NODE_USER }, authorize: nodePolicy });
    api.store.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'netprobe' } });
    api.store.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'netprobe-plan', namespace: 'netprobe' },
      data: { p: '1' },
    });
    api.store.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'secret-ish', namespace: 'netprobe' },
    });
  });
  afterAll(async () => {
    await api.close();
  });

  it('answers 401 with a Status without a token or with an unknown one', async () => {
    const res = await fetch(`${api.url}/api/v1/namespaces`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    expect((await codeOf(client(api, 'not-a-token').core.listNamespace())).code).toBe(401);
  });

  it('lets the node user get and watch its ConfigMap, and records what it used', async () => {
    api.requests.length = 0;
    const { kc, core } = client(api, 'tok-node');
    const plan = await core.readNamespacedConfigMap({ name: 'netprobe-plan', namespace: 'netprobe' });
    expect(plan.data).toEqual({ p: '1' });
    const selector = 'metadata.name=netprobe-plan';
    const inf = new ListWatch<V1ConfigMap>(
      '/api/v1/namespaces/netprobe/configmaps',
      new Watch(kc),
      () => core.listNamespacedConfigMap({ namespace: 'netprobe', fieldSelector: selector }),
      false,
      undefined,
      selector,
    );
    const updated = new Promise<V1ConfigMap>((resolve) => inf.on('update', resolve));
    await inf.start();
    api.store.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'netprobe-plan', namespace: 'netprobe' },
      data: { p: '2' },
    });
    expect((await updated).data).toEqual({ p: '2' });
    await inf.stop();
    const used = api.requests.map(
      (r) => `${r.user} ${r.verb} ${r.resource} ${r.namespace}/${r.name} ${r.status}`,
    );
    expect(used).toEqual([
      `${NODE_USER} get configmaps netprobe/netprobe-plan 200`,
      `${NODE_USER} list configmaps netprobe/netprobe-plan 200`,
      `${NODE_USER} watch configmaps netprobe/netprobe-plan 200`,
    ]);
  });

  it('answers 403 with a Status naming the user, verb and resource when the hook refuses', async () => {
    const { core } = client(api, 'tok-node');
    const other = await codeOf(core.readNamespacedConfigMap({ name: 'secret-ish', namespace: 'netprobe' }));
    expect(other.code).toBe(403);
    expect(other.body).toMatchObject({
      kind: 'Status',
      reason: 'Forbidden',
      code: 403,
      message: `configmaps "secret-ish" is forbidden: User "${NODE_USER}" cannot get resource "configmaps" in API group "" in the namespace "netprobe"`,
    });
    const listAll = await codeOf(core.listNamespacedConfigMap({ namespace: 'netprobe' }));
    expect(listAll.code).toBe(403);
    const write = await codeOf(
      core.replaceNamespacedConfigMap({
        name: 'netprobe-plan',
        namespace: 'netprobe',
        body: { metadata: { name: 'netprobe-plan' } },
      }),
    );
    expect(write.code).toBe(403);
    expect(api.store.get('ConfigMap', 'netprobe', 'netprobe-plan')?.data).toEqual({ p: '2' });
    expect(api.requests.slice(-3).map((r) => `${r.verb} ${r.status}`)).toEqual([
      'get 403',
      'list 403',
      'update 403',
    ]);
  });

  it('never consults the hook for the built-in admin token', async () => {
    expect((await client(api).core.listNamespace()).items).toHaveLength(1);
  });
});

describe('fake API over HTTPS', () => {
  let api: FakeApi;
  let dir: string;

  beforeAll(async () => {
    api = await startFakeApi({ tls: true });
    dir = await mkdtemp(join(tmpdir(), 'fake-api-test-'));
  });
  afterAll(async () => {
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves client-node through a kubeconfig that carries the CA', async () => {
    expect(api.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const path = join(dir, 'kubeconfig');
    await api.writeKubeconfig(path, undefined, 'default');
    const text = await readFile(path, 'utf8');
    expect(text).toContain('certificate-authority-data');
    expect(text).not.toContain('insecure-skip-tls-verify');
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    api.store.apply({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' } });
    const nodes = await kc.makeApiClient(CoreV1Api).listNode();
    expect(nodes.items.map((n) => n.metadata?.name)).toEqual(['node-a']);
  });

  it('is refused by a client that does not trust its CA', async () => {
    await expect(fetch(`${api.url}/healthz`)).rejects.toThrow();
  });
});
