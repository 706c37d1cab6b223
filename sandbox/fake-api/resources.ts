/** The kinds the fake API serves; one table so routing, discovery and the store agree. */
export const KINDS = [
  'Namespace',
  'Node',
  'Pod',
  'Service',
  'ConfigMap',
  'EndpointSlice',
  'Ingress',
  'IngressClass',
  'NetworkPolicy',
  'Lease',
] as const;
export type KindName = (typeof KINDS)[number];

/** One served resource, described the way API discovery describes it. */
export interface ResourceInfo {
  kind: KindName;
  group: string;
  version: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  /** Fields besides metadata.name/namespace that a fieldSelector may use (as the real apiserver allows). */
  fieldLabels: string[];
  /** Whether status is written only through the /status subresource (API writes to the object keep it). */
  statusSubresource: boolean;
}

const TABLE: readonly ResourceInfo[] = [
  define('Namespace', '', 'namespaces', {
    shortNames: ['ns'],
    fieldLabels: ['status.phase'],
    statusSubresource: true,
  }),
  define('Node', '', 'nodes', {
    shortNames: ['no'],
    fieldLabels: ['spec.unschedulable'],
    statusSubresource: true,
  }),
  define('Pod', '', 'pods', {
    namespaced: true,
    shortNames: ['po'],
    fieldLabels: ['spec.nodeName', 'status.phase', 'status.podIP'],
    statusSubresource: true,
  }),
  define('Service', '', 'services', {
    namespaced: true,
    shortNames: ['svc'],
    fieldLabels: ['spec.clusterIP', 'spec.type'],
    statusSubresource: true,
  }),
  define('ConfigMap', '', 'configmaps', { namespaced: true, shortNames: ['cm'] }),
  define('EndpointSlice', 'discovery.k8s.io', 'endpointslices', { namespaced: true }),
  define('Ingress', 'networking.k8s.io', 'ingresses', {
    namespaced: true,
    shortNames: ['ing'],
    statusSubresource: true,
  }),
  define('IngressClass', 'networking.k8s.io', 'ingressclasses', {}),
  define('NetworkPolicy', 'networking.k8s.io', 'networkpolicies', {
    namespaced: true,
    shortNames: ['netpol'],
  }),
  define('Lease', 'coordination.k8s.io', 'leases', { namespaced: true }),
];

function define(
  kind: KindName,
  group: string,
  plural: string,
  opts: Partial<Pick<ResourceInfo, 'namespaced' | 'shortNames' | 'fieldLabels' | 'statusSubresource'>>,
): ResourceInfo {
  return {
    kind,
    group,
    version: 'v1',
    plural,
    singular: kind.toLowerCase(),
    namespaced: opts.namespaced ?? false,
    shortNames: opts.shortNames ?? [],
    fieldLabels: opts.fieldLabels ?? [],
    statusSubresource: opts.statusSubresource ?? false,
  };
}

/** All served resources. */
export function allResources(): readonly ResourceInfo[] {
  return TABLE;
}

/** The resource of a kind (kinds are unique across the served groups). */
export function resourceOfKind(kind: KindName): ResourceInfo {
  const info = TABLE.find((r) => r.kind === kind);
  if (info === undefined) throw new Error(`unknown kind ${kind}`);
  return info;
}

/** Narrows a string to a served kind. */
export function isKindName(value: string): value is KindName {
  return (KINDS as readonly string[]).includes(value);
}

/** The resource served at group/version/plural, if any. */
export function findResource(group: string, version: string, plural: string): ResourceInfo | undefined {
  return TABLE.find((r) => r.group === group && r.version === version && r.plural === plural);
}

/** "v1" for the core group, "group/version" otherwise, as in an object's apiVersion. */
export function apiVersionOf(info: ResourceInfo): string {
  return info.group === '' ? info.version : `${info.group}/${info.version}`;
}

/** The group/versions served (core excluded), in discovery order. */
export function servedGroupVersions(): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const r of TABLE) {
    if (r.group !== '') seen.set(`${r.group}/${r.version}`, { group: r.group, version: r.version });
  }
  return [...seen.values()];
}
