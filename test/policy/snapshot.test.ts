import { fileURLToPath } from 'node:url';
import { buildSnapshot, loadSnapshot, parseSnapshotText } from '../../src/policy/snapshot.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

describe('loadSnapshot', () => {
  it('merges a kind: List (YAML), a List (JSON) and multi-document YAML, ignoring other kinds', async () => {
    const snapshot = await loadSnapshot([
      `${fixtures}cluster.yaml`,
      `${fixtures}pods.json`,
      `${fixtures}policies.yaml`,
    ]);
    expect(snapshot.namespaces.map((ns) => ns.name)).toEqual([
      'kube-system',
      'shop',
      'ingress-nginx',
      'batch',
    ]);
    expect(snapshot.pods.map((p) => `${p.namespace}/${p.name}`)).toEqual([
      'kube-system/coredns-1',
      'shop/web-1',
      'shop/admin-1',
      'shop/db-1',
      'ingress-nginx/controller-1',
      'batch/report-1',
      'batch/worker-1',
    ]);
    expect(snapshot.policies.map((p) => p.name)).toEqual([
      'default-deny',
      'web-from-ingress',
      'web-egress',
      'legacy',
    ]);
    expect(snapshot.services.map((s) => s.name)).toEqual(['kube-dns', 'web', 'admin', 'db']);
    expect(snapshot.ingresses.map((i) => i.name)).toEqual(['storefront', 'admin']);
    expect(snapshot.pods.find((p) => p.name === 'web-1')?.ips).toEqual(['10.244.1.10', 'fd00:244:1::10']);
  });

  it('adds namespaces referenced but not listed, with the kubernetes.io/metadata.name label', async () => {
    const snapshot = await loadSnapshot([`${fixtures}cluster.yaml`, `${fixtures}pods.json`]);
    expect(snapshot.defaultedNamespaces).toEqual(['batch']);
    expect(snapshot.namespaces.find((ns) => ns.name === 'batch')).toEqual({
      name: 'batch',
      labels: { 'kubernetes.io/metadata.name': 'batch' },
    });
  });

  it('names the file and the object on malformed input', async () => {
    await expect(loadSnapshot([`${fixtures}bad-policy.yaml`])).rejects.toThrow(
      `${fixtures}bad-policy.yaml: NetworkPolicy shop/typo: spec.egress[0].to[0].ipBlock.cidr: invalid CIDR`,
    );
  });

  it('names the file and line of a YAML syntax error', async () => {
    await expect(loadSnapshot([`${fixtures}bad-yaml.yaml`])).rejects.toThrow(
      `${fixtures}bad-yaml.yaml: line 5: invalid YAML/JSON: Flow sequence in block collection must be sufficiently indented and end with a ]`,
    );
  });

  it('names a file it cannot read', async () => {
    await expect(loadSnapshot([`${fixtures}missing.yaml`])).rejects.toThrow(
      `${fixtures}missing.yaml: cannot read file (ENOENT)`,
    );
  });
});

describe('parseSnapshotText / buildSnapshot', () => {
  it('gives items of typed lists (PodList) their kind', () => {
    const objects = parseSnapshotText(
      JSON.stringify({ kind: 'PodList', items: [{ metadata: { name: 'p', namespace: 'n' } }] }),
      'pods.json',
    );
    expect(buildSnapshot(objects).pods.map((p) => p.name)).toEqual(['p']);
  });

  it('skips empty documents and lets a later object of the same name win', () => {
    const text = [
      '---',
      'kind: Namespace',
      'metadata: {name: a, labels: {v: "1"}}',
      '---',
      '---',
      'kind: Namespace',
      'metadata: {name: a, labels: {v: "2"}}',
      '',
    ].join('\n');
    const snapshot = buildSnapshot(parseSnapshotText(text, 'ns.yaml'));
    expect(snapshot.namespaces).toEqual([
      { name: 'a', labels: { v: '2', 'kubernetes.io/metadata.name': 'a' } },
    ]);
  });

  it('numbers list items it cannot name', () => {
    const objects = parseSnapshotText(
      'kind: List\nitems:\n- kind: Pod\n  metadata: {name: ok}\n- kind: Pod\n  metadata: {}\n',
      'list.yaml',
    );
    expect(() => buildSnapshot(objects)).toThrow(
      'list.yaml: Pod #2: metadata.name: Invalid input: expected string, received undefined',
    );
  });
});
