import { stringify } from 'yaml';

/** What a kubeconfig for the fake API needs. */
export interface KubeconfigParams {
  server: string;
  token: string;
  caCertPem?: string;
  namespace?: string;
}

/** A kubeconfig (YAML) with one cluster/user/context; plain HTTP needs insecure-skip-tls-verify for client-node. */
export function kubeconfigYaml(p: KubeconfigParams): string {
  const cluster: Record<string, unknown> = { server: p.server };
  if (p.caCertPem !== undefined)
    cluster['certificate-authority-data'] = Buffer.from(p.caCertPem).toString('base64');
  else cluster['insecure-skip-tls-verify'] = true;
  const context: Record<string, unknown> = { cluster: 'fake', user: 'fake' };
  if (p.namespace !== undefined) context.namespace = p.namespace;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'fake', cluster }],
    users: [{ name: 'fake', user: { token: p.token } }],
    contexts: [{ name: 'fake', context }],
    'current-context': 'fake',
  });
}
