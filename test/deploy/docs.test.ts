// docs/deploy.md quotes the manifests; these checks keep the quotes true.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { parseYamlDocuments, podTemplates, REPO } from './manifests.js';

const doc = readFileSync(join(REPO, 'docs', 'deploy.md'), 'utf8');
const read = (...path: string[]): string => readFileSync(join(REPO, ...path), 'utf8');
const templates = podTemplates(
  ['deployment-cluster.yaml', 'daemonset-node.yaml'].flatMap((f) =>
    parseYamlDocuments(read('deploy', 'base', f)),
  ),
);
const containerOf = (role: string): IContainer | undefined =>
  templates.find((t) => t.metadata.labels?.['app.kubernetes.io/component'] === role)?.spec.containers[0];

describe('docs/deploy.md', () => {
  test('quotes the plain Prometheus scrape config verbatim', () => {
    const config = read('deploy', 'prometheus', 'scrape-config.yaml');
    const body = config.slice(config.indexOf('scrape_configs:'));
    expect(doc).toContain(`\`\`\`yaml\n${body}\`\`\``);
  });

  test.each(['cluster', 'node'])('states the %s role resources as the manifests set them', (role) => {
    const c = containerOf(role);
    const heap = /--max-old-space-size=(\d+)/.exec(
      c?.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '',
    )?.[1];
    const r = c?.resources;
    const row = `| ${role} | ${String(r?.requests?.cpu)} | ${String(r?.requests?.memory)} | ${String(r?.limits?.cpu ?? 'none')} | ${String(r?.limits?.memory)} | ${heap ?? '?'} MiB |`;
    expect(doc).toContain(row);
  });

  test('the sizing patch replaces NODE_OPTIONS at the index it names', () => {
    const index = /env\/(\d+)\/value, value: --max-old-space-size/.exec(doc)?.[1];
    expect(containerOf('cluster')?.env?.[Number(index)]?.name).toBe('NODE_OPTIONS');
  });

  test('lists every NetworkPolicy', () => {
    const names = parseYamlDocuments(read('deploy', 'base', 'networkpolicies.yaml')).map(
      (o) => o.metadata.name,
    );
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(doc).toContain(`| \`${String(name)}\` |`);
  });
});
