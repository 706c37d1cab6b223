import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config/load.js';
import { loadKubeConfig } from '../../src/kube/client.js';
import { kubeconfigYaml } from '../../sandbox/fake-api/kubeconfig.js';

const tmp = mkdtempSync(join(tmpdir(), 'netprobe-kubeconfig-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

function errorOf(path: string): unknown {
  try {
    loadKubeConfig(path);
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('loadKubeConfig', () => {
  test('loads a kubeconfig file', () => {
    const path = file('ok.yaml', kubeconfigYaml({ server: 'http://127.0.0.1:6443', token: 't' }));
    expect(loadKubeConfig(path).getCurrentCluster()?.server).toBe('http://127.0.0.1:6443');
  });

  test('merges a KUBECONFIG-style list, skipping missing files; the first current context wins', () => {
    const first = file('first.yaml', kubeconfigYaml({ server: 'http://127.0.0.1:6443', token: 't' }));
    const second = file(
      'second.yaml',
      kubeconfigYaml({ server: 'http://127.0.0.2:6443', token: 'u' }).replaceAll('fake', 'other'),
    );
    const kc = loadKubeConfig([join(tmp, 'missing.yaml'), first, second].join(':'));
    expect(kc.getCurrentCluster()?.server).toBe('http://127.0.0.1:6443');
    expect(
      kc
        .getClusters()
        .map((c) => c.name)
        .sort(),
    ).toEqual(['fake', 'other']);
  });

  test.each([
    ['a missing file', () => join(tmp, 'missing.yaml'), /missing\.yaml: cannot load kubeconfig: ENOENT/],
    [
      'a file that is not YAML',
      () => file('bad.yaml', 'clusters: [\n'),
      /bad\.yaml: cannot load kubeconfig: /,
    ],
    [
      'a file without a current cluster',
      () => file('empty.yaml', 'apiVersion: v1\nkind: Config\nclusters: []\n'),
      /empty\.yaml: kubeconfig has no current cluster with a server/,
    ],
    [
      'a server that is not a URL',
      () => file('url.yaml', kubeconfigYaml({ server: 'https://undefined:undefined', token: 't' })),
      /url\.yaml: invalid API server address "https:\/\/undefined:undefined"/,
    ],
  ])('%s is a ConfigError naming the file', (_what, make, message) => {
    const err = errorOf(make());
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(message);
  });
});
