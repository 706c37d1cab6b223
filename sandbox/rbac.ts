/**
 * A pure RBAC authorizer over rendered Role/ClusterRole/RoleBinding/ClusterRoleBinding objects,
 * following Kubernetes' RBAC semantics, so the sandbox's fake API server can enforce the very
 * manifests in deploy/ and tests can show which rules each role really uses.
 *
 * Supported: core ("") and named API groups, "*" in verbs/apiGroups/resources, subresources
 * ("pods/log"; a "*" before the slash matches any resource), resourceNames, User, Group and
 * ServiceAccount subjects, and the groups every service account belongs to. Not supported: nonResourceURLs and
 * aggregated ClusterRoles (the aggregation controller fills their rules in a real cluster).
 */

/** One request as the API server sees it after parsing the URL. */
export interface AuthzRequest {
  /** For a service account: system:serviceaccount:NAMESPACE:NAME. */
  user: string;
  /** Extra groups of the user; a service account's groups are added automatically. */
  groups?: readonly string[] | undefined;
  /** get, list, watch, create, update, patch, delete, deletecollection. */
  verb: string;
  /** API group; "" is the core group. */
  group: string;
  /** Plural resource name, e.g. "configmaps". */
  resource: string;
  subresource?: string | undefined;
  /** Absent for cluster-scoped resources and for lists/watches across all namespaces. */
  namespace?: string | undefined;
  /** The object's name; for list/watch, the name from fieldSelector metadata.name=NAME. */
  name?: string | undefined;
}

/** Where a rule lives: the role, its rule index, and the binding that granted it. */
export interface RuleRef {
  roleKind: 'Role' | 'ClusterRole';
  /** Namespace of a Role; absent for a ClusterRole. */
  roleNamespace?: string | undefined;
  roleName: string;
  ruleIndex: number;
}

/** One use of a rule: which rule allowed which verb on which resource. */
export interface RuleUse extends RuleRef {
  verb: string;
  group: string;
  /** Plural resource, with "/subresource" when the request had one. */
  resource: string;
}

/** The outcome of one request, with the reason a person can read. */
export interface Decision {
  allowed: boolean;
  reason: string;
  rule?: RuleRef | undefined;
}

/** The handle createAuthorizer returns. */
export interface Authorizer {
  /** True when some binding of the user grants the request. */
  authorize(request: AuthzRequest): boolean;
  /** Like authorize, with the rule that allowed it or why nothing did. */
  decide(request: AuthzRequest): Decision;
  /** The rules that allowed requests so far, one entry per rule, verb and resource. */
  usage(): RuleUse[];
  /** Every (rule, verb, resource) the loaded roles grant that no request has used yet. */
  unused(): RuleUse[];
}

/** A malformed RBAC object. */
export class RbacError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RbacError';
  }
}

interface PolicyRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
}

interface RoleDef extends Omit<RuleRef, 'ruleIndex'> {
  rules: PolicyRule[];
}

interface Subject {
  kind: string;
  name: string;
  namespace?: string | undefined;
}

interface Binding {
  /** Namespace of a RoleBinding; absent for a ClusterRoleBinding. */
  namespace?: string | undefined;
  roleKind: 'Role' | 'ClusterRole';
  roleName: string;
  subjects: Subject[];
}

type Obj = Record<string, unknown>;

const RBAC_API = 'rbac.authorization.k8s.io/v1';
const SA_PREFIX = 'system:serviceaccount:';

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(obj: Obj): string {
  const meta = isObj(obj.metadata) ? obj.metadata : {};
  return `${String(obj.kind)} ${typeof meta.namespace === 'string' ? `${meta.namespace}/` : ''}${String(meta.name)}`;
}

function stringList(value: unknown, where: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
    throw new RbacError(`${where}: expected a list of strings`);
  }
  return value;
}

function metaOf(obj: Obj): { name: string; namespace?: string | undefined } {
  const meta = obj.metadata;
  if (!isObj(meta) || typeof meta.name !== 'string')
    throw new RbacError(`${describe(obj)}: metadata.name missing`);
  return { name: meta.name, namespace: typeof meta.namespace === 'string' ? meta.namespace : undefined };
}

function parseRole(obj: Obj): RoleDef {
  const { name, namespace } = metaOf(obj);
  const roleKind = obj.kind === 'Role' ? 'Role' : 'ClusterRole';
  if (roleKind === 'Role' && namespace === undefined)
    throw new RbacError(`${describe(obj)}: a Role needs a namespace`);
  const rawRules = obj.rules ?? [];
  if (!Array.isArray(rawRules)) throw new RbacError(`${describe(obj)}: rules must be a list`);
  const rules = rawRules.map((rule: unknown, i): PolicyRule => {
    const where = `${describe(obj)} rules[${i}]`;
    if (!isObj(rule)) throw new RbacError(`${where}: expected a mapping`);
    return {
      verbs: stringList(rule.verbs, `${where}.verbs`),
      apiGroups: stringList(rule.apiGroups, `${where}.apiGroups`),
      resources: stringList(rule.resources, `${where}.resources`),
      resourceNames: stringList(rule.resourceNames, `${where}.resourceNames`),
    };
  });
  return { roleKind, roleNamespace: roleKind === 'Role' ? namespace : undefined, roleName: name, rules };
}

function parseSubject(value: unknown, where: string): Subject {
  if (!isObj(value) || typeof value.kind !== 'string' || typeof value.name !== 'string') {
    throw new RbacError(`${where}: a subject needs kind and name`);
  }
  return {
    kind: value.kind,
    name: value.name,
    namespace: typeof value.namespace === 'string' ? value.namespace : undefined,
  };
}

function parseBinding(obj: Obj): Binding {
  const { namespace } = metaOf(obj);
  const ref = obj.roleRef;
  if (!isObj(ref) || typeof ref.name !== 'string' || (ref.kind !== 'Role' && ref.kind !== 'ClusterRole')) {
    throw new RbacError(`${describe(obj)}: roleRef needs kind Role or ClusterRole and a name`);
  }
  if (obj.kind === 'ClusterRoleBinding' && ref.kind === 'Role') {
    throw new RbacError(`${describe(obj)}: a ClusterRoleBinding can only refer to a ClusterRole`);
  }
  const rawSubjects = obj.subjects ?? [];
  if (!Array.isArray(rawSubjects)) throw new RbacError(`${describe(obj)}: subjects must be a list`);
  const subjects = rawSubjects.map((s: unknown, i) => parseSubject(s, `${describe(obj)} subjects[${i}]`));
  const bindingNamespace = obj.kind === 'RoleBinding' ? namespace : undefined;
  if (obj.kind === 'RoleBinding' && bindingNamespace === undefined)
    throw new RbacError(`${describe(obj)}: a RoleBinding needs a namespace`);
  return { namespace: bindingNamespace, roleKind: ref.kind, roleName: ref.name, subjects };
}

/** The groups Kubernetes puts a user in: service accounts get system:serviceaccounts(:NS). */
function groupsOf(request: AuthzRequest): Set<string> {
  const groups = new Set(request.groups ?? []);
  groups.add('system:authenticated');
  if (request.user.startsWith(SA_PREFIX)) {
    const namespace = request.user.slice(SA_PREFIX.length).split(':')[0] ?? '';
    groups.add('system:serviceaccounts');
    groups.add(`system:serviceaccounts:${namespace}`);
  }
  return groups;
}

/** Kubernetes' appliesTo: a ServiceAccount subject is the user system:serviceaccount:NS:NAME. */
function subjectMatches(
  subject: Subject,
  user: string,
  groups: Set<string>,
  bindingNamespace: string | undefined,
): boolean {
  switch (subject.kind) {
    case 'User':
      return subject.name === user;
    case 'Group':
      return groups.has(subject.name);
    case 'ServiceAccount': {
      // A RoleBinding's ServiceAccount subject without a namespace defaults to the binding's.
      const namespace = subject.namespace ?? bindingNamespace ?? '';
      return user === `${SA_PREFIX}${namespace}:${subject.name}`;
    }
    default:
      return false;
  }
}

function fullResource(request: Pick<AuthzRequest, 'resource' | 'subresource'>): string {
  const { resource, subresource } = request;
  return subresource === undefined || subresource === '' ? resource : `${resource}/${subresource}`;
}

// "*" matches every resource and subresource; "*" + "/x" matches subresource x of any resource.
function resourcePatternMatches(pattern: string, resource: string): boolean {
  if (pattern === '*' || pattern === resource) return true;
  const slash = resource.indexOf('/');
  return slash > 0 && pattern === `*${resource.slice(slash)}`;
}

/** Kubernetes' RuleAllows: verbs, groups, resources, then names when the rule lists any. */
function ruleAllows(rule: PolicyRule, request: AuthzRequest): boolean {
  if (!rule.verbs.some((v) => v === '*' || v === request.verb)) return false;
  if (!rule.apiGroups.some((g) => g === '*' || g === request.group)) return false;
  const resource = fullResource(request);
  if (!rule.resources.some((pattern) => resourcePatternMatches(pattern, resource))) return false;
  // "If resourceNames is non-empty, requests without a name (create, list without a
  // metadata.name field selector) are not allowed by this rule."
  if (rule.resourceNames.length === 0) return true;
  return request.name !== undefined && request.name !== '' && rule.resourceNames.includes(request.name);
}

function roleKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}

function useKey(use: RuleUse): string {
  return `${roleKey(use.roleKind, use.roleNamespace, use.roleName)}#${use.ruleIndex}:${use.verb}:${use.group}:${use.resource}`;
}

/** Every (rule, verb, group, resource) a role grants, wildcards kept as "*". */
function expandRole(role: RoleDef): RuleUse[] {
  const { roleKind, roleNamespace, roleName } = role;
  return role.rules.flatMap((rule, ruleIndex) =>
    rule.verbs.flatMap((verb) =>
      rule.apiGroups.flatMap((group) =>
        rule.resources.map((resource) => ({
          roleKind,
          roleNamespace,
          roleName,
          ruleIndex,
          verb,
          group,
          resource,
        })),
      ),
    ),
  );
}

function loadObjects(objects: readonly unknown[]): { roles: Map<string, RoleDef>; bindings: Binding[] } {
  const roles = new Map<string, RoleDef>();
  const bindings: Binding[] = [];
  for (const obj of objects) {
    if (!isObj(obj) || obj.apiVersion !== RBAC_API) continue;
    if (obj.kind === 'Role' || obj.kind === 'ClusterRole') {
      const role = parseRole(obj);
      roles.set(roleKey(role.roleKind, role.roleNamespace, role.roleName), role);
    } else if (obj.kind === 'RoleBinding' || obj.kind === 'ClusterRoleBinding') {
      bindings.push(parseBinding(obj));
    }
  }
  // Kubernetes visits ClusterRoleBindings before the RoleBindings of the request's namespace.
  bindings.sort((a, b) => Number(a.namespace !== undefined) - Number(b.namespace !== undefined));
  return { roles, bindings };
}

function findRole(roles: Map<string, RoleDef>, binding: Binding): RoleDef | undefined {
  // A RoleBinding's Role lives in the binding's namespace; a ClusterRole has none.
  const namespace = binding.roleKind === 'Role' ? binding.namespace : undefined;
  return roles.get(roleKey(binding.roleKind, namespace, binding.roleName));
}

function bindingApplies(binding: Binding, request: AuthzRequest): boolean {
  // A RoleBinding grants only inside its namespace: never cluster-scoped resources, never lists
  // across all namespaces.
  return binding.namespace === undefined || binding.namespace === request.namespace;
}

function firstAllowingRule(
  roles: Map<string, RoleDef>,
  bindings: readonly Binding[],
  request: AuthzRequest,
): RuleRef | undefined {
  const groups = groupsOf(request);
  for (const binding of bindings) {
    if (!bindingApplies(binding, request)) continue;
    if (!binding.subjects.some((s) => subjectMatches(s, request.user, groups, binding.namespace))) continue;
    const role = findRole(roles, binding);
    const ruleIndex = role?.rules.findIndex((rule) => ruleAllows(rule, request)) ?? -1;
    if (role !== undefined && ruleIndex >= 0) {
      return {
        roleKind: role.roleKind,
        roleNamespace: role.roleNamespace,
        roleName: role.roleName,
        ruleIndex,
      };
    }
  }
  return undefined;
}

function describeRequest(request: AuthzRequest): string {
  const resource = `${request.resource}${request.subresource ? `/${request.subresource}` : ''}${request.group ? `.${request.group}` : ''}`;
  const scope = request.namespace === undefined ? 'cluster-wide' : `in namespace ${request.namespace}`;
  const name = request.name === undefined ? '' : ` named ${request.name}`;
  return `${request.user} cannot ${request.verb} ${resource}${name} ${scope}`;
}

/** Builds an authorizer from rendered objects (non-RBAC objects are ignored). Throws RbacError. */
export function createAuthorizer(objects: readonly unknown[]): Authorizer {
  const { roles, bindings } = loadObjects(objects);
  const used = new Map<string, RuleUse>();

  const decide = (request: AuthzRequest): Decision => {
    const rule = firstAllowingRule(roles, bindings, request);
    if (rule === undefined) return { allowed: false, reason: `forbidden: ${describeRequest(request)}` };
    const use: RuleUse = {
      ...rule,
      verb: request.verb,
      group: request.group,
      resource: fullResource(request),
    };
    used.set(useKey(use), use);
    return {
      allowed: true,
      reason: `allowed by ${rule.roleKind} ${rule.roleNamespace ? `${rule.roleNamespace}/` : ''}${rule.roleName} rule ${rule.ruleIndex}`,
      rule,
    };
  };

  return {
    authorize: (request) => decide(request).allowed,
    decide,
    usage: () => [...used.values()],
    unused: () => {
      const usedRules = [...used.values()];
      // A wildcard grant counts as used when any request went through that rule with that verb.
      return [...roles.values()]
        .flatMap(expandRole)
        .filter(
          (grant) =>
            !usedRules.some(
              (u) =>
                roleKey(u.roleKind, u.roleNamespace, u.roleName) ===
                  roleKey(grant.roleKind, grant.roleNamespace, grant.roleName) &&
                u.ruleIndex === grant.ruleIndex &&
                (grant.verb === '*' || u.verb === grant.verb) &&
                (grant.group === '*' || u.group === grant.group) &&
                resourcePatternMatches(grant.resource, u.resource),
            ),
        );
    },
  };
}

/**
 * The object name Kubernetes authorizes a list/watch for: NAME when the field selector is
 * metadata.name=NAME (or ==), as the API server's RequestInfo does; otherwise undefined.
 */
export function nameFromFieldSelector(fieldSelector: string | null | undefined): string | undefined {
  if (fieldSelector === null || fieldSelector === undefined) return undefined;
  for (const term of fieldSelector.split(',')) {
    const match = /^\s*metadata\.name\s*==?\s*(.*?)\s*$/.exec(term);
    if (match?.[1] !== undefined && match[1] !== '') return match[1];
  }
  return undefined;
}
