import { createAuthorizer, nameFromFieldSelector, RbacError, type AuthzRequest } from '../../sandbox/rbac.js';

const rbac = 'rbac.authorization.k8s.io/v1';
const sa = (ns: string, name: string): string => `system:serviceaccount:${ns}:${name}`;

// A small cluster's RBAC, covering each binding and subject shape.
const objects: unknown[] = [
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ignored', namespace: 'app' } },
  {
    apiVersion: rbac,
    kind: 'ClusterRole',
    metadata: { name: 'reader' },
    rules: [
      { apiGroups: [''], resources: ['pods', 'services'], verbs: ['list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list'] },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
    ],
  },
  {
    apiVersion: rbac,
    kind: 'ClusterRoleBinding',
    metadata: { name: 'reader' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'reader' },
    subjects: [{ kind: 'ServiceAccount', name: 'watcher', namespace: 'mon' }],
  },
  {
    apiVersion: rbac,
    kind: 'Role',
    metadata: { name: 'plan', namespace: 'mon' },
    rules: [
      { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
      {
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: ['plan'],
        verbs: ['get', 'list', 'watch', 'update'],
      },
    ],
  },
  // Subject without a namespace: defaults to the RoleBinding's.
  {
    apiVersion: rbac,
    kind: 'RoleBinding',
    metadata: { name: 'plan', namespace: 'mon' },
    roleRef: { kind: 'Role', name: 'plan' },
    subjects: [{ kind: 'ServiceAccount', name: 'agent' }],
  },
  {
    apiVersion: rbac,
    kind: 'ClusterRole',
    metadata: { name: 'admin-ish' },
    rules: [{ apiGroups: ['*'], resources: ['*/scale', 'deployments'], verbs: ['*'] }],
  },
  // A ClusterRole through a RoleBinding grants only in that namespace.
  {
    apiVersion: rbac,
    kind: 'RoleBinding',
    metadata: { name: 'ops', namespace: 'app' },
    roleRef: { kind: 'ClusterRole', name: 'admin-ish' },
    subjects: [
      { kind: 'User', name: 'alice' },
      { kind: 'Group', name: 'system:serviceaccounts:ci' },
    ],
  },
  // Binding to a Role that does not exist grants nothing.
  {
    apiVersion: rbac,
    kind: 'RoleBinding',
    metadata: { name: 'dangling', namespace: 'app' },
    roleRef: { kind: 'Role', name: 'missing' },
    subjects: [{ kind: 'User', name: 'bob' }],
  },
];

type Case = [string, Omit<AuthzRequest, 'user'> & { user?: string }, boolean];
const watcher = sa('mon', 'watcher');
const agent = sa('mon', 'agent');
const base = { user: watcher, group: '' };

const cases: Case[] = [
  ['cluster-wide list through a ClusterRoleBinding', { ...base, verb: 'list', resource: 'pods' }, true],
  ['same rule inside a namespace', { ...base, verb: 'watch', resource: 'services', namespace: 'app' }, true],
  ['verb not granted', { ...base, verb: 'get', resource: 'pods', namespace: 'app', name: 'p' }, false],
  [
    'resource in the wrong API group',
    { ...base, verb: 'list', group: 'discovery.k8s.io', resource: 'pods' },
    false,
  ],
  ['named API group', { ...base, verb: 'list', group: 'discovery.k8s.io', resource: 'endpointslices' }, true],
  ['secrets never granted', { ...base, verb: 'list', resource: 'secrets' }, false],
  [
    'subresource must be named',
    { ...base, verb: 'get', resource: 'pods', subresource: 'exec', namespace: 'a', name: 'p' },
    false,
  ],
  [
    'subresource granted',
    { ...base, verb: 'get', resource: 'pods', subresource: 'log', namespace: 'a', name: 'p' },
    true,
  ],
  [
    'other service account, same namespace',
    { ...base, user: sa('mon', 'other'), verb: 'list', resource: 'pods' },
    false,
  ],
  [
    'same name, other namespace',
    { ...base, user: sa('app', 'watcher'), verb: 'list', resource: 'pods' },
    false,
  ],
  [
    'create without resourceNames',
    { ...base, user: agent, verb: 'create', resource: 'configmaps', namespace: 'mon' },
    true,
  ],
  [
    'create in another namespace',
    { ...base, user: agent, verb: 'create', resource: 'configmaps', namespace: 'app' },
    false,
  ],
  [
    'get of the named object',
    { ...base, user: agent, verb: 'get', resource: 'configmaps', namespace: 'mon', name: 'plan' },
    true,
  ],
  [
    'get of another object',
    { ...base, user: agent, verb: 'get', resource: 'configmaps', namespace: 'mon', name: 'other' },
    false,
  ],
  [
    'list without a name is denied by resourceNames',
    { ...base, user: agent, verb: 'list', resource: 'configmaps', namespace: 'mon' },
    false,
  ],
  [
    'watch with metadata.name is allowed',
    { ...base, user: agent, verb: 'watch', resource: 'configmaps', namespace: 'mon', name: 'plan' },
    true,
  ],
  [
    'verb outside the named rule',
    { ...base, user: agent, verb: 'delete', resource: 'configmaps', namespace: 'mon', name: 'plan' },
    false,
  ],
  [
    'RoleBinding does not grant cluster-wide lists',
    { ...base, user: agent, verb: 'watch', resource: 'configmaps', name: 'plan' },
    false,
  ],
  [
    'ClusterRole via RoleBinding, in its namespace',
    {
      ...base,
      user: 'alice',
      verb: 'delete',
      group: 'apps',
      resource: 'deployments',
      namespace: 'app',
      name: 'd',
    },
    true,
  ],
  [
    'ClusterRole via RoleBinding, other namespace',
    {
      ...base,
      user: 'alice',
      verb: 'delete',
      group: 'apps',
      resource: 'deployments',
      namespace: 'mon',
      name: 'd',
    },
    false,
  ],
  [
    "*/scale matches any resource's scale",
    {
      ...base,
      user: 'alice',
      verb: 'update',
      group: 'apps',
      resource: 'statefulsets',
      subresource: 'scale',
      namespace: 'app',
    },
    true,
  ],
  [
    '*/scale does not match the resource itself',
    { ...base, user: 'alice', verb: 'update', group: 'apps', resource: 'statefulsets', namespace: 'app' },
    false,
  ],
  [
    'Group subject: the service account groups',
    {
      ...base,
      user: sa('ci', 'deployer'),
      verb: 'patch',
      group: 'apps',
      resource: 'deployments',
      namespace: 'app',
      name: 'd',
    },
    true,
  ],
  [
    'Group subject: explicit groups of a user',
    {
      ...base,
      user: 'carol',
      groups: ['system:serviceaccounts:ci'],
      verb: 'get',
      group: 'apps',
      resource: 'deployments',
      namespace: 'app',
      name: 'd',
    },
    true,
  ],
  [
    'dangling roleRef grants nothing',
    { ...base, user: 'bob', verb: 'get', resource: 'pods', namespace: 'app', name: 'p' },
    false,
  ],
  ['unknown user', { ...base, user: 'mallory', verb: 'list', resource: 'pods' }, false],
];

describe('createAuthorizer', () => {
  test.each(cases)('%s', (_name, request, expected) => {
    const authz = createAuthorizer(objects);
    expect(authz.authorize({ user: watcher, ...request })).toBe(expected);
  });

  test('decide names the rule that allowed a request, or why none did', () => {
    const authz = createAuthorizer(objects);
    expect(
      authz.decide({
        user: agent,
        verb: 'update',
        group: '',
        resource: 'configmaps',
        namespace: 'mon',
        name: 'plan',
      }),
    ).toEqual({
      allowed: true,
      reason: 'allowed by Role mon/plan rule 1',
      rule: { roleKind: 'Role', roleNamespace: 'mon', roleName: 'plan', ruleIndex: 1 },
    });
    expect(
      authz.decide({ user: agent, verb: 'list', group: '', resource: 'secrets', namespace: 'mon' }),
    ).toEqual({
      allowed: false,
      reason: 'forbidden: system:serviceaccount:mon:agent cannot list secrets in namespace mon',
    });
  });

  test('usage lists each allowing rule once per verb and resource; unused lists the rest', () => {
    const authz = createAuthorizer(objects.slice(0, 5));
    authz.authorize({ user: watcher, verb: 'list', group: '', resource: 'pods' });
    authz.authorize({ user: watcher, verb: 'list', group: '', resource: 'pods', namespace: 'x' });
    authz.authorize({ user: watcher, verb: 'list', group: '', resource: 'secrets' });
    authz.authorize({
      user: agent,
      verb: 'watch',
      group: '',
      resource: 'configmaps',
      namespace: 'mon',
      name: 'plan',
    });
    expect(authz.usage()).toEqual([
      {
        roleKind: 'ClusterRole',
        roleNamespace: undefined,
        roleName: 'reader',
        ruleIndex: 0,
        verb: 'list',
        group: '',
        resource: 'pods',
      },
      {
        roleKind: 'Role',
        roleNamespace: 'mon',
        roleName: 'plan',
        ruleIndex: 1,
        verb: 'watch',
        group: '',
        resource: 'configmaps',
      },
    ]);
    const unused = authz.unused().map((u) => `${u.roleName}#${u.ruleIndex} ${u.verb} ${u.resource}`);
    expect(unused).toEqual([
      'reader#0 list services',
      'reader#0 watch pods',
      'reader#0 watch services',
      'reader#1 list endpointslices',
      'reader#2 get pods/log',
      'plan#0 create configmaps',
      'plan#1 get configmaps',
      'plan#1 list configmaps',
      'plan#1 update configmaps',
    ]);
  });

  test('a wildcard grant counts as used by any request through it', () => {
    const authz = createAuthorizer(objects);
    authz.authorize({
      user: 'alice',
      verb: 'get',
      group: 'apps',
      resource: 'deployments',
      subresource: 'scale',
      namespace: 'app',
      name: 'd',
    });
    const wild = authz.unused().filter((u) => u.roleName === 'admin-ish');
    expect(wild).toEqual([
      {
        roleKind: 'ClusterRole',
        roleNamespace: undefined,
        roleName: 'admin-ish',
        ruleIndex: 0,
        verb: '*',
        group: '*',
        resource: 'deployments',
      },
    ]);
  });

  test.each([
    [
      'a Role without a namespace',
      { apiVersion: rbac, kind: 'Role', metadata: { name: 'r' }, rules: [] },
      'Role r: a Role needs a namespace',
    ],
    [
      'verbs that are not strings',
      {
        apiVersion: rbac,
        kind: 'ClusterRole',
        metadata: { name: 'c' },
        rules: [{ verbs: [1], apiGroups: [''], resources: ['pods'] }],
      },
      'ClusterRole c rules[0].verbs: expected a list of strings',
    ],
    [
      'a ClusterRoleBinding to a Role',
      {
        apiVersion: rbac,
        kind: 'ClusterRoleBinding',
        metadata: { name: 'b' },
        roleRef: { kind: 'Role', name: 'r' },
        subjects: [],
      },
      'ClusterRoleBinding b: a ClusterRoleBinding can only refer to a ClusterRole',
    ],
    [
      'a subject without a name',
      {
        apiVersion: rbac,
        kind: 'RoleBinding',
        metadata: { name: 'b', namespace: 'n' },
        roleRef: { kind: 'Role', name: 'r' },
        subjects: [{ kind: 'User' }],
      },
      'RoleBinding n/b subjects[0]: a subject needs kind and name',
    ],
  ])('rejects %s', (_name, obj, message) => {
    expect(() => createAuthorizer([obj])).toThrow(new RbacError(message));
  });
});

describe('nameFromFieldSelector', () => {
  test.each([
    ['metadata.name=netprobe-plan', 'netprobe-plan'],
    ['metadata.name==netprobe-plan', 'netprobe-plan'],
    ['status.phase=Running,metadata.name=x', 'x'],
    ['metadata.name!=x', undefined],
    ['metadata.namespace=x', undefined],
    ['metadata.name=', undefined],
    ['', undefined],
    [null, undefined],
    [undefined, undefined],
  ])('%s -> %s', (selector, expected) => {
    expect(nameFromFieldSelector(selector)).toBe(expected);
  });
});
