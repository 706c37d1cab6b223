import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, KubeConfig, makeInformer, type V1ConfigMap } from '@kubernetes/client-node';
import { startFakeApi, type FakeApi } from '../../../sandbox/fake-api/index.js';

interface WatchEvent {
  type: string;
  object: {
    kind?: string;
    code?: number;
    reason?: string;
    metadata?: { name?: string; resourceVersion?: string; annotations?: Record<string, string> };
  };
}

// Reads newline-delimited watch events until `count` arrived (then cancels) or the server ends the stream.
async function readEvents(
  res: Response,
  count = Infinity,
): Promise<{ events: WatchEvent[]; ended: boolean }> {
  const events: WatchEvent[] = [];
  if (res.body === null) throw new Error('no body');
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  while (events.length < count) {
    const { done, value } = await reader.read();
    if (done) return { events, ended: true };
    buffered += decoder.decode(value as Uint8Array, { stream: true });
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    events.push(...lines.filter((l) => l !== '').map((l) => JSON.parse(l) as WatchEvent));
  }
  await reader.cancel();
  return { events: events.slice(0, count), ended: false };
}

function cm(name: string, labels: Record<string, string> = {}): object {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'w', labels },
    data: { k: name },
  };
}

describe('fake API: watch protocol, validation and faults over raw HTTP', () => {
  let api: FakeApi;
  const get = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(api.url + path, { ...init, headers: { Authorization: `Bearer ${api.token}`, ...init.headers } });
  const send = (method: string, path: string, body: string, type = 'application/json'): Promise<Response> =>
    get(path, { method, headers: { 'Content-Type': type }, ...(method === 'GET' ? {} : { body }) });

  beforeAll(async () => {
    api = await startFakeApi({ bookmarkIntervalMs: 20, historySize: 50 });
    api.store.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'w' } });
    api.store.apply(cm('existing'));
  });
  afterAll(async () => {
    await api.close();
  });

  it('starts a watch at resourceVersion 0 with ADDED for what exists, then streams changes', async () => {
    const res = await get('/api/v1/namespaces/w/configmaps?watch=1&resourceVersion=0');
    expect(res.headers.get('content-type')).toBe('application/json');
    api.store.apply(cm('fresh'));
    api.store.remove('ConfigMap', 'w', 'fresh');
    const { events } = await readEvents(res, 3);
    expect(events.map((e) => `${e.type} ${e.object.metadata?.name}`)).toEqual([
      'ADDED existing',
      'ADDED fresh',
      'DELETED fresh',
    ]);
    expect(events[0]?.object.kind).toBe('ConfigMap');
  });

  it('replays events after a resourceVersion from the history', async () => {
    const from = api.store.resourceVersion();
    api.store.apply(cm('replayed', { v: '1' }));
    api.store.apply(cm('replayed', { v: '2' }));
    const res = await get(`/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=${from}`);
    const { events } = await readEvents(res, 2);
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED']);
    expect(events[1]?.object.metadata?.resourceVersion).toBe(String(from + 2));
  });

  it('turns objects entering and leaving a labelSelector into ADDED and DELETED', async () => {
    const res = await get(
      `/api/v1/configmaps?watch=true&labelSelector=tier%3Dweb&resourceVersion=${api.store.resourceVersion()}`,
    );
    api.store.apply(cm('mover', { tier: 'db' }));
    api.store.apply(cm('mover', { tier: 'web' }));
    api.store.apply(cm('mover', { tier: 'web', x: 'y' }));
    api.store.apply(cm('mover', { tier: 'db' }));
    const { events } = await readEvents(res, 3);
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
  });

  it('sends a 410 Expired ERROR event and ends the stream for a resourceVersion older than the history', async () => {
    const old = api.store.resourceVersion();
    api.faults.expireHistory();
    const res = await get(`/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=${old}`);
    expect(res.status).toBe(200);
    const { events, ended } = await readEvents(res);
    expect(ended).toBe(true);
    expect(events).toEqual([
      { type: 'ERROR', object: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired' }) },
    ]);
  });

  it('expires history past historySize', async () => {
    const old = api.store.resourceVersion();
    for (let i = 0; i < 51; i++) api.store.apply(cm('churn', { i: String(i) }));
    const { events } = await readEvents(
      await get(`/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=${old}`),
    );
    expect(events[0]?.object.code).toBe(410);
  });

  it('sends BOOKMARKs carrying the current resourceVersion when asked for them', async () => {
    const res = await get(
      `/api/v1/namespaces/w/configmaps?watch=true&allowWatchBookmarks=true&resourceVersion=${api.store.resourceVersion()}`,
    );
    const { events } = await readEvents(res, 1);
    expect(events[0]).toEqual({
      type: 'BOOKMARK',
      object: {
        kind: 'ConfigMap',
        apiVersion: 'v1',
        metadata: { resourceVersion: String(api.store.resourceVersion()) },
      },
    });
  });

  it('marks the end of initial events with sendInitialEvents', async () => {
    const res = await get(
      '/api/v1/namespaces/w/configmaps?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan',
    );
    const { events } = await readEvents(res, api.store.list('ConfigMap', 'w').length + 1);
    const last = events[events.length - 1];
    expect(last?.type).toBe('BOOKMARK');
    expect(last?.object.metadata?.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
  });

  it('ends a watch after timeoutSeconds', async () => {
    const res = await get(
      `/api/v1/namespaces/w/configmaps?watch=true&timeoutSeconds=1&resourceVersion=${api.store.resourceVersion()}`,
    );
    const { events, ended } = await readEvents(res);
    expect(ended).toBe(true);
    expect(events).toEqual([]);
  });

  interface BadCase {
    what: string;
    req: string;
    body: string;
    type?: string;
    code: number;
  }
  it.each<BadCase>([
    { what: 'malformed JSON', req: 'POST /api/v1/namespaces/w/configmaps', body: '{"metadata":', code: 400 },
    { what: 'a JSON array', req: 'POST /api/v1/namespaces/w/configmaps', body: '[1,2]', code: 400 },
    { what: 'an empty body', req: 'POST /api/v1/namespaces/w/configmaps', body: '', code: 400 },
    {
      what: 'YAML',
      req: 'POST /api/v1/namespaces/w/configmaps',
      body: 'a: b',
      type: 'application/yaml',
      code: 415,
    },
    {
      what: 'the wrong kind',
      req: 'POST /api/v1/namespaces/w/configmaps',
      body: '{"kind":"Pod","metadata":{"name":"x"}}',
      code: 400,
    },
    {
      what: 'a bad name',
      req: 'POST /api/v1/namespaces/w/configmaps',
      body: '{"metadata":{"name":"Not_Valid"}}',
      code: 422,
    },
    { what: 'no name', req: 'POST /api/v1/namespaces/w/configmaps', body: '{"metadata":{}}', code: 422 },
    {
      what: 'labels that are not strings',
      req: 'POST /api/v1/namespaces/w/configmaps',
      body: '{"metadata":{"name":"l","labels":{"a":1}}}',
      code: 422,
    },
    {
      what: 'another namespace in the body',
      req: 'POST /api/v1/namespaces/w/configmaps',
      body: '{"metadata":{"name":"n","namespace":"x"}}',
      code: 400,
    },
    {
      what: 'a name that does not match the URL',
      req: 'PUT /api/v1/namespaces/w/configmaps/existing',
      body: '{"metadata":{"name":"other"}}',
      code: 400,
    },
    {
      what: 'server-side apply',
      req: 'PATCH /api/v1/namespaces/w/configmaps/existing',
      body: 'a: b',
      type: 'application/apply-patch+yaml',
      code: 415,
    },
    {
      what: 'a JSON patch that is not a list',
      req: 'PATCH /api/v1/namespaces/w/configmaps/existing',
      body: '{}',
      type: 'application/json-patch+json',
      code: 400,
    },
    {
      what: 'a patch renaming the object',
      req: 'PATCH /api/v1/namespaces/w/configmaps/existing',
      body: '{"metadata":{"name":"y"}}',
      type: 'application/merge-patch+json',
      code: 400,
    },
    {
      what: 'POST to a named object',
      req: 'POST /api/v1/namespaces/w/configmaps/existing',
      body: '{}',
      code: 405,
    },
    { what: 'a badly percent-encoded path', req: 'GET /api/v1/namespaces/%zz', body: '', code: 400 },
    {
      what: 'an unknown resource',
      req: 'POST /apis/networking.k8s.io/v1/namespaces/w/widgets',
      body: '{}',
      code: 404,
    },
  ])('answers $what with a Status', async ({ req, body, type, code }) => {
    const [method = '', path = ''] = req.split(' ');
    const res = await send(method, path, body, type);
    expect(res.status).toBe(code);
    expect(await res.json()).toMatchObject({ kind: 'Status', status: 'Failure', code });
  });

  it('answers an oversized body with 413', async () => {
    const big = JSON.stringify({ metadata: { name: 'big' }, data: { x: 'a'.repeat(4 * 1024 * 1024) } });
    const res = await send('POST', '/api/v1/namespaces/w/configmaps', big);
    expect(res.status).toBe(413);
  });

  it('serves discovery, /version and /healthz', async () => {
    expect(await (await get('/api')).json()).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const core = (await (await get('/api/v1')).json()) as { resources: { name: string }[] };
    expect(core.resources.map((r) => r.name)).toEqual(
      expect.arrayContaining(['namespaces', 'pods', 'pods/status', 'services', 'configmaps', 'nodes']),
    );
    const groups = (await (await get('/apis')).json()) as { groups: { name: string }[] };
    expect(groups.groups.map((g) => g.name)).toEqual([
      'discovery.k8s.io',
      'networking.k8s.io',
      'coordination.k8s.io',
    ]);
    const net = (await (await get('/apis/networking.k8s.io/v1')).json()) as {
      groupVersion: string;
      resources: { name: string; namespaced: boolean }[];
    };
    expect(net.groupVersion).toBe('networking.k8s.io/v1');
    expect(net.resources.map((r) => `${r.name}:${r.namespaced}`)).toEqual([
      'ingresses:true',
      'ingresses/status:true',
      'ingressclasses:false',
      'networkpolicies:true',
    ]);
    expect((await fetch(`${api.url}/version`)).status).toBe(200);
    expect(await (await fetch(`${api.url}/healthz`)).text()).toBe('ok');
    expect((await get('/apis/nope.example/v1')).status).toBe(404);
  });

  it('fails the next matching requests with an injected status, then serves again', async () => {
    api.requests.length = 0;
    api.faults.failNext(2, 503, (r) => r.resource === 'configmaps' && r.verb === 'list');
    const codes: number[] = [];
    codes.push((await get('/api/v1/namespaces')).status);
    for (let i = 0; i < 3; i++) codes.push((await get('/api/v1/namespaces/w/configmaps')).status);
    expect(codes).toEqual([200, 503, 503, 200]);
    expect(api.requests.map((r) => `${r.verb} ${r.resource} ${r.status}`)).toEqual([
      'list namespaces 200',
      'list configmaps 503',
      'list configmaps 503',
      'list configmaps 200',
    ]);
  });

  it('holds delayed requests while others are served', async () => {
    api.faults.delay(300, (r) => r.resource === 'configmaps');
    const order: string[] = [];
    const slow = get('/api/v1/namespaces/w/configmaps').then(() => order.push('configmaps'));
    const fast = get('/api/v1/namespaces').then(() => order.push('namespaces'));
    await Promise.all([slow, fast]);
    api.faults.reset();
    expect(order).toEqual(['namespaces', 'configmaps']);
  });

  it('reports an abrupt watch drop to the informer as an error, unlike a clean end', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(api.kubeconfig());
    const core = kc.makeApiClient(CoreV1Api);
    const inf = makeInformer<V1ConfigMap>(kc, '/api/v1/namespaces/w/configmaps', () =>
      core.listNamespacedConfigMap({ namespace: 'w' }),
    );
    const failed = new Promise<unknown>((resolve) => inf.on('error', resolve));
    await inf.start();
    expect(api.faults.dropWatches({ abrupt: true, match: (r) => r.resource === 'configmaps' })).toBe(1);
    expect(await failed).toBeDefined();
    await inf.stop();
  });
});
