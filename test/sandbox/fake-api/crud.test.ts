import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { startFakeApi, type FakeApi, type StoreEvent } from '../../../sandbox/fake-api/index.js';

interface Failure {
  code: number;
  body: { kind?: string; reason?: string; message?: string; code?: number };
}

// Runs a client call expected to fail and returns its HTTP code and parsed Status body.
async function failure(call: Promise<unknown>): Promise<Failure> {
  try {
    await call;
  } catch (err) {
    const e = err as { code?: unknown; body?: unknown };
    if (typeof e.code !== 'number') throw err;
    const body =
      typeof e.body === 'string'
        ? (JSON.parse(e.body) as Failure['body'])
        : ((e.body ?? {}) as Failure['body']);
    return { code: e.code, body };
  }
  throw new Error('the call succeeded');
}

function cm(name: string, data: Record<string, string>, labels?: Record<string, string>): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, ...(labels === undefined ? {} : { labels }) },
    data,
  };
}

describe('fake API: CRUD, paging and selectors through CoreV1Api', () => {
  let api: FakeApi;
  let core: CoreV1Api;
  const namespace = 'netprobe';

  beforeAll(async () => {
    api = await startFakeApi();
    const kc = new KubeConfig();
    kc.loadFromString(api.kubeconfig());
    core = kc.makeApiClient(CoreV1Api);
    api.store.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    api.store.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'paging' } });
  });
  afterAll(async () => {
    await api.close();
  });

  it('creates a ConfigMap with server-set metadata, and tells subscribers who wrote it', async () => {
    const seen = api.store.waitFor(
      (e: StoreEvent) => e.kind === 'ConfigMap' && e.object.metadata.name === 'plan',
    );
    const body = cm('plan', { generation: '1' });
    body.metadata = { ...body.metadata, uid: 'client-chosen', resourceVersion: '42' };
    const created = await core.createNamespacedConfigMap({ namespace, body });
    expect(created.metadata?.namespace).toBe(namespace);
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.resourceVersion).toBe(String(api.store.resourceVersion()));
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    const event = await seen;
    expect(event.type).toBe('ADDED');
    expect(event.origin).toEqual({ source: 'api', user: 'admin' });
    expect(api.store.get('ConfigMap', namespace, 'plan')?.data).toEqual({ generation: '1' });
  });

  it('refuses to create an existing name (409 AlreadyExists)', async () => {
    const f = await failure(core.createNamespacedConfigMap({ namespace, body: cm('plan', {}) }));
    expect(f.code).toBe(409);
    expect(f.body).toMatchObject({ kind: 'Status', reason: 'AlreadyExists', code: 409 });
  });

  it('refuses a create into a namespace that does not exist (404)', async () => {
    const f = await failure(core.createNamespacedConfigMap({ namespace: 'nowhere', body: cm('x', {}) }));
    expect(f.code).toBe(404);
    expect(f.body.message).toBe('namespaces "nowhere" not found');
  });

  it('replaces, and rejects a replace from a stale resourceVersion (409 Conflict)', async () => {
    const current = await core.readNamespacedConfigMap({ name: 'plan', namespace });
    const stale = current.metadata?.resourceVersion;
    const replaced = await core.replaceNamespacedConfigMap({
      name: 'plan',
      namespace,
      body: { ...current, data: { generation: '2' } },
    });
    expect(replaced.data).toEqual({ generation: '2' });
    expect(replaced.metadata?.uid).toBe(current.metadata?.uid);
    expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(Number(stale));
    const f = await failure(
      core.replaceNamespacedConfigMap({
        name: 'plan',
        namespace,
        body: { ...current, data: { generation: 'x' } },
      }),
    );
    expect(f.code).toBe(409);
    expect(f.body.reason).toBe('Conflict');
  });

  it('patches with merge patch and with JSON patch (the client default)', async () => {
    const merged = await core.patchNamespacedConfigMap(
      {
        name: 'plan',
        namespace,
        body: { data: { extra: 'yes' }, metadata: { labels: { app: 'netprobe' } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(merged.data).toEqual({ generation: '2', extra: 'yes' });
    expect(merged.metadata?.labels).toEqual({ app: 'netprobe' });
    const strategic = await core.patchNamespacedConfigMap(
      { name: 'plan', namespace, body: { data: { extra: null } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(strategic.data).toEqual({ generation: '2' });
    const jsonPatched = await core.patchNamespacedConfigMap({
      name: 'plan',
      namespace,
      body: [
        { op: 'replace', path: '/data/generation', value: '3' },
        { op: 'add', path: '/metadata/annotations', value: { note: 'a/b' } },
      ],
    });
    expect(jsonPatched.data).toEqual({ generation: '3' });
    expect(jsonPatched.metadata?.annotations).toEqual({ note: 'a/b' });
    const f = await failure(
      core.patchNamespacedConfigMap({
        name: 'plan',
        namespace,
        body: [{ op: 'test', path: '/data/generation', value: '9' }],
      }),
    );
    expect(f.code).toBe(422);
  });

  it('answers 404 for a missing object, and deletes', async () => {
    const missing = await failure(core.readNamespacedConfigMap({ name: 'absent', namespace }));
    expect(missing.code).toBe(404);
    expect(missing.body).toMatchObject({ reason: 'NotFound', message: 'configmaps "absent" not found' });
    await core.deleteNamespacedConfigMap({ name: 'plan', namespace });
    expect(api.store.get('ConfigMap', namespace, 'plan')).toBeUndefined();
    expect((await failure(core.deleteNamespacedConfigMap({ name: 'plan', namespace }))).code).toBe(404);
  });

  it('pages a list with limit=2 over 5 objects and returns every object once', async () => {
    for (const n of ['e', 'c', 'a', 'd', 'b'])
      api.store.apply({ ...cm(`cm-${n}`, {}), metadata: { name: `cm-${n}`, namespace: 'paging' } });
    const got: string[] = [];
    const remaining: (number | undefined)[] = [];
    let cont: string | undefined;
    let pages = 0;
    do {
      const page = await core.listNamespacedConfigMap({
        namespace: 'paging',
        limit: 2,
        ...(cont === undefined ? {} : { _continue: cont }),
      });
      got.push(...page.items.map((i) => i.metadata?.name ?? ''));
      remaining.push(page.metadata?.remainingItemCount);
      cont = page.metadata?._continue;
      pages++;
    } while (cont !== undefined && pages < 10);
    expect(got).toEqual(['cm-a', 'cm-b', 'cm-c', 'cm-d', 'cm-e']);
    expect(pages).toBe(3);
    expect(remaining).toEqual([3, 1, undefined]);
  });

  it('answers 410 for an expired continue token and for an Exact list at a compacted resourceVersion', async () => {
    const first = await core.listNamespacedConfigMap({ namespace: 'paging', limit: 2 });
    const oldRv = first.metadata?.resourceVersion ?? '';
    api.faults.expireHistory();
    const page = await failure(
      core.listNamespacedConfigMap({
        namespace: 'paging',
        limit: 2,
        _continue: first.metadata?._continue ?? '',
      }),
    );
    expect(page.code).toBe(410);
    expect(page.body.reason).toBe('Expired');
    const exact = await failure(
      core.listNamespacedConfigMap({
        namespace: 'paging',
        resourceVersion: oldRv,
        resourceVersionMatch: 'Exact',
      }),
    );
    expect(exact.code).toBe(410);
    // Without Exact, a list is served at the latest state, as from the apiserver's watch cache.
    const latest = await core.listNamespacedConfigMap({ namespace: 'paging', resourceVersion: oldRv });
    expect(latest.items).toHaveLength(5);
  });

  it.each([
    ['tier=web', ['web-1', 'web-2']],
    ['tier==web,track!=canary', ['web-1']],
    ['tier in (web,db)', ['db-1', 'web-1', 'web-2']],
    ['tier notin (web)', ['db-1', 'plain']],
    ['track', ['web-2']],
    ['!tier', ['plain']],
    ['tier,!track', ['db-1', 'web-1']],
  ])('filters by labelSelector %s', async (selector, want) => {
    if (api.store.get('ConfigMap', 'sel', 'plain') === undefined) {
      api.store.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sel' } });
      const put = (name: string, labels: Record<string, string>): unknown =>
        api.store.apply({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name, namespace: 'sel', labels },
        });
      put('web-1', { tier: 'web' });
      put('web-2', { tier: 'web', track: 'canary' });
      put('db-1', { tier: 'db' });
      put('plain', {});
    }
    const list = await core.listNamespacedConfigMap({ namespace: 'sel', labelSelector: selector });
    expect(list.items.map((i) => i.metadata?.name).sort()).toEqual(want);
  });

  it('filters by fieldSelector and rejects unsupported fields and bad selectors with 400', async () => {
    const byName = await core.listConfigMapForAllNamespaces({ fieldSelector: 'metadata.name=db-1' });
    expect(byName.items.map((i) => `${i.metadata?.namespace}/${i.metadata?.name}`)).toEqual(['sel/db-1']);
    const notNs = await core.listConfigMapForAllNamespaces({ fieldSelector: 'metadata.namespace!=sel' });
    expect(notNs.items.map((i) => i.metadata?.namespace).every((ns) => ns !== 'sel')).toBe(true);
    expect(notNs.items.length).toBe(5);
    expect(
      (await failure(core.listConfigMapForAllNamespaces({ fieldSelector: 'data.x=1' }))).body.message,
    ).toBe('field label not supported: data.x');
    expect((await failure(core.listConfigMapForAllNamespaces({ labelSelector: 'a in (b' }))).code).toBe(400);
  });

  it('keeps status out of creates and main-resource writes for kinds with a status subresource', async () => {
    const body = {
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'i' }] },
      status: { phase: 'Running' },
    };
    const created = await core.createNamespacedPod({ namespace, body });
    expect(created.status).toBeUndefined();
    const withStatus = await core.replaceNamespacedPodStatus({
      name: 'p',
      namespace,
      body: { ...created, status: { phase: 'Running', podIP: '10.0.0.9' } },
    });
    expect(withStatus.status?.podIP).toBe('10.0.0.9');
    const relabelled = await core.patchNamespacedPod(
      { name: 'p', namespace, body: { metadata: { labels: { a: 'b' } }, status: { phase: 'Failed' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(relabelled.status?.phase).toBe('Running');
    expect(relabelled.metadata?.labels).toEqual({ a: 'b' });
    const byNode = await core.listPodForAllNamespaces({ fieldSelector: 'status.podIP=10.0.0.9' });
    expect(byNode.items.map((i) => i.metadata?.name)).toEqual(['p']);
  });

  it('deletes the objects of a namespace with it', async () => {
    await core.deleteNamespace({ name: 'sel' });
    expect(api.store.list('ConfigMap', 'sel')).toEqual([]);
    expect(api.store.get('Namespace', undefined, 'sel')).toBeUndefined();
  });
});
