import { allResources, servedGroupVersions, type ResourceInfo } from './resources.js';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** The version the fake claims to be (a recent Kubernetes minor). */
export const FAKE_VERSION = {
  major: '1',
  minor: '33',
  gitVersion: 'v1.33.0-netprobe-fake',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2025-01-01T00:00:00Z',
  goVersion: 'go1.24.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/** The body of a discovery path (/api, /api/v1, /apis, /apis/<group>[/<version>]), or undefined when not one. */
export function discoveryDocument(path: string, serverAddress: string): unknown {
  const parts = path.split('/').filter((p) => p !== '');
  if (parts[0] === 'api') return coreDiscovery(parts.slice(1), serverAddress);
  if (parts[0] !== 'apis') return undefined;
  if (parts.length === 1) return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups() };
  const group = groups().find((g) => g.name === parts[1]);
  if (group === undefined) return undefined;
  if (parts.length === 2) return { kind: 'APIGroup', apiVersion: 'v1', ...group };
  if (parts.length === 3 && group.versions.some((v) => v.version === parts[2])) {
    return resourceList(
      `${group.name}/${parts[2] ?? ''}`,
      (r) => r.group === group.name && r.version === parts[2],
    );
  }
  return undefined;
}

function coreDiscovery(rest: string[], serverAddress: string): unknown {
  if (rest.length === 0) {
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
    };
  }
  if (rest.length === 1 && rest[0] === 'v1') return resourceList('v1', (r) => r.group === '');
  return undefined;
}

function groups(): {
  name: string;
  versions: { groupVersion: string; version: string }[];
  preferredVersion: { groupVersion: string; version: string };
}[] {
  return servedGroupVersions().map(({ group, version }) => {
    const gv = { groupVersion: `${group}/${version}`, version };
    return { name: group, versions: [gv], preferredVersion: gv };
  });
}

function resourceList(groupVersion: string, pick: (r: ResourceInfo) => boolean): unknown {
  const resources = allResources()
    .filter(pick)
    .flatMap((r) => {
      const main = {
        name: r.plural,
        singularName: r.singular,
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: VERBS,
        ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
      };
      if (!r.statusSubresource) return [main];
      const status = {
        name: `${r.plural}/status`,
        singularName: '',
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: ['get', 'patch', 'update'],
      };
      return [main, status];
    });
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}
