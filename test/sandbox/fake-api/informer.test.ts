import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CoreV1Api,
  KubeConfig,
  ListWatch,
  makeInformer,
  Watch,
  type Informer,
  type KubernetesObject,
  type V1ConfigMap,
  type V1Pod,
} from '@kubernetes/client-node';
import { startFakeApi, type FakeApi } from '../../../sandbox/fake-api/index.js';

type Verb = 'add' | 'update' | 'delete';

// Resolves on the first informer event of `verb` whose object matches; rejects after 10 s so a
// missing event fails the test with its name rather than at the suite's timeout.
function nextEvent<T extends KubernetesObject>(inf: Informer<T>, verb: Verb, name: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      inf.off(verb, cb);
      reject(new Error(`no ${verb} event for ${name}`));
    }, 10_000);
    const cb = (obj: T): void => {
      if (obj.metadata?.name !== name) return;
      clearTimeout(timer);
      inf.off(verb, cb);
      resolve(obj);
    };
    inf.on(verb, cb);
  });
}

function nextConnect(inf: Informer<KubernetesObject>): Promise<void> {
  return new Promise((resolve) => {
    const cb = (): void => {
      inf.off('connect', cb);
      resolve();
    };
    inf.on('connect', cb);
  });
}

function pod(name: string, labels: Record<string, string> = {}): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'apps', labels },
    spec: { containers: [{ name: 'c', image: 'x' }] },
  };
}

function configMap(name: string, data: Record<string, string>): object {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'netprobe' }, data };
}

function names(objs: readonly KubernetesObject[]): string[] {
  return objs.map((o) => o.metadata?.name ?? '').sort();
}

describe('client-node informers against the fake API', () => {
  let api: FakeApi;
  let kc: KubeConfig;
  let core: CoreV1Api;
  const errors: unknown[] = [];
  // stop() aborts the informer's own request, which client-node reports as an AbortError; that one is ours.
  const recordError = (err: unknown): void => {
    // (A DOMException from another realm: not instanceof Error here, so check the name.)
    if ((err as { name?: unknown } | null)?.name !== 'AbortError') errors.push(err);
  };
  const countLists = (): number =>
    api.requests.filter((r) => r.resource === 'pods' && r.verb === 'list').length;

  beforeAll(async () => {
    api = await startFakeApi();
    kc = new KubeConfig();
    kc.loadFromString(api.kubeconfig());
    core = kc.makeApiClient(CoreV1Api);
    api.store.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps' } });
    api.store.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'netprobe' } });
  });
  afterAll(async () => {
    await api.close();
  });

  describe('pods', () => {
    let inf: Informer<V1Pod> & ListWatch<V1Pod>;

    beforeAll(async () => {
      api.store.apply(pod('seed-a'));
      api.store.apply(pod('seed-b'));
      inf = makeInformer(kc, '/api/v1/pods', () => core.listPodForAllNamespaces()) as Informer<V1Pod> &
        ListWatch<V1Pod>;
      inf.on('error', recordError);
      await inf.start();
    });
    afterAll(async () => {
      await inf.stop();
    });

    it('syncs the initial list', () => {
      expect(names(inf.list())).toEqual(['seed-a', 'seed-b']);
      expect(inf.latestResourceVersion()).toBe(String(api.store.resourceVersion()));
    });

    it('sees ADDED, MODIFIED and DELETED made through the store', async () => {
      const added = nextEvent(inf, 'add', 'p1');
      api.store.apply(pod('p1'));
      expect((await added).metadata?.namespace).toBe('apps');

      const updated = nextEvent(inf, 'update', 'p1');
      api.store.apply(pod('p1', { tier: 'web' }));
      expect((await updated).metadata?.labels).toEqual({ tier: 'web' });

      const deleted = nextEvent(inf, 'delete', 'p1');
      api.store.remove('Pod', 'apps', 'p1');
      await deleted;
      expect(inf.get('p1', 'apps')).toBeUndefined();
    });

    it('re-watches after the server ends its watches and keeps receiving events', async () => {
      const reconnected = nextConnect(inf);
      expect(api.faults.dropWatches()).toBe(1);
      await reconnected;
      const added = nextEvent(inf, 'add', 'after-drop');
      api.store.apply(pod('after-drop'));
      await added;
      // A clean end is not an error: the informer resumed from its resourceVersion without relisting.
      expect(countLists()).toBe(1);
      expect(errors).toEqual([]);
    });

    it('relists after 410 Gone and ends with the right cache contents', async () => {
      await inf.stop();
      // Changes made while it is not watching, then the history that would replay them is dropped.
      api.store.remove('Pod', 'apps', 'seed-a');
      api.store.apply(pod('while-away'));
      api.faults.expireHistory();
      const deleted = nextEvent(inf, 'delete', 'seed-a');
      const added = nextEvent(inf, 'add', 'while-away');
      await inf.start();
      await Promise.all([deleted, added]);
      expect(names(inf.list())).toEqual(['after-drop', 'seed-b', 'while-away']);
      expect(countLists()).toBe(2);
      expect(errors).toEqual([]);
    });

    it('relists when an open watch is dropped after the history expired', async () => {
      const listsBefore = countLists();
      const gap = nextEvent(inf, 'add', 'gap');
      api.store.apply(pod('gap'));
      await gap;
      api.faults.expireHistory();
      expect(api.faults.dropWatches()).toBe(1);
      // The re-watch from the old resourceVersion gets a 410 ERROR event, then the informer relists;
      // 'after-relist' can only reach it through that relist or the watch that follows it.
      const added = nextEvent(inf, 'add', 'after-relist');
      api.store.apply(pod('after-relist'));
      await added;
      expect(countLists()).toBe(listsBefore + 1);
      expect(names(inf.list())).toEqual(['after-drop', 'after-relist', 'gap', 'seed-b', 'while-away']);
      expect(errors).toEqual([]);
    });
  });

  describe('a single ConfigMap by fieldSelector', () => {
    let inf: ListWatch<V1ConfigMap>;

    beforeAll(async () => {
      api.store.apply(configMap('other', { a: '1' }));
      api.store.apply(configMap('netprobe-plan', { plan: 'v1' }));
      const list = (): Promise<{ items: V1ConfigMap[]; metadata?: { resourceVersion?: string } }> =>
        core.listNamespacedConfigMap({ namespace: 'netprobe', fieldSelector: 'metadata.name=netprobe-plan' });
      inf = new ListWatch(
        '/api/v1/namespaces/netprobe/configmaps',
        new Watch(kc),
        list,
        false,
        undefined,
        'metadata.name=netprobe-plan',
      );
      inf.on('error', recordError);
      await inf.start();
    });
    afterAll(async () => {
      await inf.stop();
    });

    it('caches only the named ConfigMap', () => {
      expect(names(inf.list())).toEqual(['netprobe-plan']);
      expect(inf.get('netprobe-plan', 'netprobe')?.data).toEqual({ plan: 'v1' });
    });

    it('sees its updates and not those of other ConfigMaps', async () => {
      const updated = nextEvent(inf, 'update', 'netprobe-plan');
      api.store.apply(configMap('other', { a: '2' }));
      api.store.apply(configMap('netprobe-plan', { plan: 'v2' }));
      expect((await updated).data).toEqual({ plan: 'v2' });
      expect(inf.get('other', 'netprobe')).toBeUndefined();
    });

    it('sees the ConfigMap deleted and created again', async () => {
      const deleted = nextEvent(inf, 'delete', 'netprobe-plan');
      api.store.remove('ConfigMap', 'netprobe', 'netprobe-plan');
      await deleted;
      const added = nextEvent(inf, 'add', 'netprobe-plan');
      api.store.apply(configMap('netprobe-plan', { plan: 'v3' }));
      expect((await added).data).toEqual({ plan: 'v3' });
      expect(errors).toEqual([]);
    });
  });
});
