import type { MetricSpec } from './define.js';

export const BEGIN = '<!-- BEGIN GENERATED: metric table (npx tsx scripts/gen-metrics-doc.ts) -->';
export const END = '<!-- END GENERATED -->';

/** Renders the metric table of docs/metrics.md from the catalog's specs. */
export function renderMetricTable(specs: readonly MetricSpec[]): string {
  const rows = [...specs]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(
      (s) =>
        `| \`${s.name}\` | ${s.type} | ${s.role} | ${s.labelNames.map((l) => `\`${l}\``).join(', ') || '—'} | ${s.help.replace(/\|/g, '\\|')} |`,
    );
  return [BEGIN, '| metric | type | role | labels | meaning |', '|---|---|---|---|---|', ...rows, END].join(
    '\n',
  );
}

/** Replaces the generated table inside a document, keeping the prose around it. */
export function replaceMetricTable(doc: string, table: string): string {
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error('docs/metrics.md has no generated-table markers');
  return doc.slice(0, start) + table + doc.slice(end + END.length);
}
