// Helpers for the deploy tests: render the kustomize overlays with kubectl and check what they
// render against the Kubernetes schemas and the Pod Security Standards.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import * as models from 'kubernetes-models';
import type { IObjectMeta } from '@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSecurityContext } from 'kubernetes-models/v1/PodSecurityContext';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { ISeccompProfile } from 'kubernetes-models/v1/SeccompProfile';
import { parseAllDocuments } from 'yaml';

/** A rendered object; narrow it with as<T>() once its kind is known. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: IObjectMeta;
  [field: string]: unknown;
}
type Obj = KubeObject;

/** The object as its kubernetes-models interface, after checking its kind. */
export function as<T>(obj: KubeObject, kind: string): T {
  if (obj.kind !== kind) throw new Error(`expected a ${kind}, got ${obj.kind} ${obj.metadata.name}`);
  return obj as unknown as T;
}

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OVERLAYS = ['plain', 'prometheus-operator'] as const;

/** `kubectl kustomize deploy/overlays/NAME`, parsed into objects. */
export function renderOverlay(name: string): Obj[] {
  const text = execFileSync('kubectl', ['kustomize', join(REPO, 'deploy', 'overlays', name)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return parseYamlDocuments(text);
}

export function parseYamlDocuments(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null && typeof o.kind === 'string');
}

export function ofKind(objects: readonly Obj[], kind: string): Obj[] {
  return objects.filter((o) => o.kind === kind);
}

export function find(objects: readonly Obj[], kind: string, name: string): Obj {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name} in the rendered manifests`);
  return found;
}

/** "networking.k8s.io/v1" -> the kubernetes-models export networkingK8sIo.v1; "v1" -> v1. */
type ModelClass = new (data: Obj) => { validate(): void };
type VersionTree = Record<string, Record<string, ModelClass | undefined> | undefined>;

// The prometheus-operator kinds netprobe ships, from the operator's own CRD schemas.
const OPERATOR_MODELS: Record<string, ModelClass> = {
  'monitoring.coreos.com/v1/PodMonitor': PodMonitor as unknown as ModelClass,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule as unknown as ModelClass,
};

function modelClass(apiVersion: string, kind: string): ModelClass | undefined {
  const operator = OPERATOR_MODELS[`${apiVersion}/${kind}`];
  if (operator !== undefined) return operator;
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  const key = group
    .split('.')
    .map((part, i) => (i === 0 ? part : `${part.charAt(0).toUpperCase()}${part.slice(1)}`))
    .join('');
  // The core group's versions sit at the top level (models.v1); others under e.g. networkingK8sIo.
  const versions =
    group === ''
      ? (models as unknown as VersionTree)
      : (models as unknown as Record<string, VersionTree | undefined>)[key];
  return versions?.[version]?.[kind];
}

/** Schema errors of one object from kubernetes-models' OpenAPI validators; undefined if no model. */
export function schemaErrors(obj: Obj): string[] | undefined {
  const Model = modelClass(String(obj.apiVersion), String(obj.kind));
  if (Model === undefined) return undefined;
  try {
    new Model(obj).validate();
    return [];
  } catch (err) {
    const details = (err as { errors?: Array<{ instancePath: string; message: string }> }).errors;
    return details?.map((e) => `${e.instancePath} ${e.message}`) ?? [String(err)];
  }
}

/** The pod templates of every workload, with a name to report. */
export function podTemplates(
  objects: readonly Obj[],
): Array<{ name: string; metadata: IObjectMeta; spec: IPodSpec }> {
  return objects
    .filter((o) => ['Deployment', 'DaemonSet', 'StatefulSet', 'Job', 'ReplicaSet'].includes(o.kind))
    .map((o) => {
      const template = (o.spec as { template?: { metadata?: IObjectMeta; spec?: IPodSpec } } | undefined)
        ?.template;
      if (template?.spec === undefined) throw new Error(`${o.kind}/${o.metadata.name} has no pod template`);
      return { name: `${o.kind}/${o.metadata.name}`, metadata: template.metadata ?? {}, spec: template.spec };
    });
}

// Pod Security Standards, "restricted" (which includes "baseline"):
// https://kubernetes.io/docs/concepts/security/pod-security-standards/
const RESTRICTED_VOLUME_TYPES = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
];
const SAFE_SYSCTLS = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
];
const SELINUX_TYPES = ['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'];

function profileOk(profile: Pick<ISeccompProfile, 'type'> | undefined, allowUnset: boolean): boolean {
  if (profile === undefined) return allowUnset;
  return profile.type === 'RuntimeDefault' || profile.type === 'Localhost';
}

type SeLinux = IPodSecurityContext['seLinuxOptions'];

function seLinuxOk(options: SeLinux): boolean {
  return (
    options === undefined || (SELINUX_TYPES.includes(options.type ?? '') && !options.user && !options.role)
  );
}

function podLevelViolations(spec: IPodSpec, annotations: Record<string, string>): string[] {
  const out: string[] = [];
  const psc: IPodSecurityContext = spec.securityContext ?? {};
  for (const key of ['hostNetwork', 'hostPID', 'hostIPC'] as const)
    if (spec[key] === true) out.push(`${key} is true`);
  if (psc.windowsOptions?.hostProcess === true) out.push('pod windowsOptions.hostProcess is true');
  for (const volume of spec.volumes ?? []) {
    const type = Object.keys(volume).find(
      (k) => k !== 'name' && volume[k as keyof typeof volume] !== undefined,
    );
    if (type === undefined || !RESTRICTED_VOLUME_TYPES.includes(type))
      out.push(`volume ${volume.name} has type ${type ?? '(none)'}, not in the restricted set`);
  }
  for (const sysctl of psc.sysctls ?? [])
    if (!SAFE_SYSCTLS.includes(sysctl.name)) out.push(`unsafe sysctl ${sysctl.name}`);
  if (psc.runAsUser === 0) out.push('pod runAsUser is 0');
  // pod-security-admission rejects an explicit false even when every container sets true.
  if (psc.runAsNonRoot === false) out.push('pod runAsNonRoot is false');
  if (!seLinuxOk(psc.seLinuxOptions)) out.push('pod seLinuxOptions not allowed');
  if (psc.appArmorProfile && !profileOk(psc.appArmorProfile, true))
    out.push('pod appArmorProfile not RuntimeDefault/Localhost');
  for (const [key, value] of Object.entries(annotations)) {
    if (
      key.startsWith('container.apparmor.security.beta.kubernetes.io/') &&
      value !== 'runtime/default' &&
      !String(value).startsWith('localhost/')
    )
      out.push(`AppArmor annotation ${key}=${value}`);
  }
  return out;
}

function containerViolations(c: IContainer, psc: IPodSecurityContext): string[] {
  const out: string[] = [];
  const sc = c.securityContext ?? {};
  const where = `container ${c.name}`;
  if (sc.privileged === true) out.push(`${where}: privileged`);
  if (sc.windowsOptions?.hostProcess === true) out.push(`${where}: hostProcess`);
  if (sc.allowPrivilegeEscalation !== false) out.push(`${where}: allowPrivilegeEscalation must be false`);
  if (sc.runAsNonRoot === false || (sc.runAsNonRoot !== true && psc.runAsNonRoot !== true))
    out.push(`${where}: runAsNonRoot must be true (pod or container)`);
  if (sc.runAsUser === 0) out.push(`${where}: runAsUser is 0`);
  if (!profileOk(sc.seccompProfile, profileOk(psc.seccompProfile, false)))
    out.push(`${where}: seccompProfile must be RuntimeDefault or Localhost (pod or container)`);
  if (sc.appArmorProfile && !profileOk(sc.appArmorProfile, true)) out.push(`${where}: appArmorProfile`);
  if (sc.procMount !== undefined && sc.procMount !== 'Default')
    out.push(`${where}: procMount ${sc.procMount}`);
  if (!seLinuxOk(sc.seLinuxOptions)) out.push(`${where}: seLinuxOptions`);
  if (!(sc.capabilities?.drop ?? []).includes('ALL')) out.push(`${where}: capabilities must drop ALL`);
  for (const cap of sc.capabilities?.add ?? [])
    if (cap !== 'NET_BIND_SERVICE') out.push(`${where}: adds capability ${cap}`);
  for (const port of c.ports ?? [])
    if (port.hostPort !== undefined && port.hostPort !== 0) out.push(`${where}: hostPort ${port.hostPort}`);
  return out;
}

/** Every way a pod template breaks the "restricted" Pod Security Standard (empty: it complies). */
export function restrictedViolations(spec: IPodSpec, annotations: Record<string, string> = {}): string[] {
  const psc = spec.securityContext ?? {};
  // Ephemeral containers have the same security fields; the checks read only those.
  const containers = [
    ...(spec.initContainers ?? []),
    ...spec.containers,
    ...((spec.ephemeralContainers ?? []) as IContainer[]),
  ];
  return [
    ...podLevelViolations(spec, annotations),
    ...containers.flatMap((c) => containerViolations(c, psc)),
  ];
}
