import {
  DashboardBuilder,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  RowBuilder,
  VariableHide,
  VariableRefresh,
  type Dashboard,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as HeatmapPanel, YAxisConfigBuilder } from '@grafana/grafana-foundation-sdk/heatmap';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { agentsBoard } from './boards/agents.js';
import { dnsBoard } from './boards/dns.js';
import { ingressBoard } from './boards/ingress.js';
import { overviewBoard } from './boards/overview.js';
import { pathsBoard } from './boards/paths.js';
import { servicesBoard } from './boards/services.js';

/** One PromQL query of a panel. */
export interface QuerySpec {
  expr: string;
  legend?: string;
}

/** A panel: what it shows, how (kind), and in which unit. */
export interface PanelSpec {
  kind: 'timeseries' | 'stat' | 'table' | 'heatmap';
  title: string;
  description: string;
  /** Grafana unit id (s, percentunit, reqps, none, ...). Every panel has one. */
  unit: string;
  queries: QuerySpec[];
}

/** A dashboard variable of the dashboard's own (after datasource and cluster). */
export interface VarSpec {
  name: string;
  label: string;
  /** label_values(<metric>{cluster=~"$cluster"}, <name>) feeds it. */
  metric: string;
}

/** A dashboard as data: uid, title, variables and rows of panels. */
export interface BoardSpec {
  uid: string;
  /** Title without the shared "Netprobe / " prefix. */
  title: string;
  file: string;
  description: string;
  vars: VarSpec[];
  rows: { title: string; panels: PanelSpec[] }[];
}

const DS = { type: 'prometheus', uid: '${datasource}' };

/** `metric{cluster=~"$cluster",<extra>}`: every dashboard query goes through here. */
export function q(metric: string, extra = ''): string {
  return `${metric}{cluster=~"$cluster"${extra ? `,${extra}` : ''}}`;
}

/** `rate(<selector>[$__rate_interval])`. */
export function rate(metric: string, extra = ''): string {
  return `rate(${q(metric, extra)}[$__rate_interval])`;
}

/** The dashboard specs of the pack, in the order of docs/dashboards.md. */
export function boardSpecs(): BoardSpec[] {
  return [overviewBoard(), dnsBoard(), servicesBoard(), ingressBoard(), pathsBoard(), agentsBoard()];
}

function target(query: QuerySpec, kind: PanelSpec['kind']): DataqueryBuilder {
  const t = new DataqueryBuilder().expr(query.expr).legendFormat(query.legend ?? '__auto');
  if (kind === 'heatmap') return t.format(PromQueryFormat.Heatmap).legendFormat('{{le}}');
  if (kind === 'table') return t.format(PromQueryFormat.Table).instant();
  return t;
}

type AnyPanel = TimeseriesPanel | StatPanel | TablePanel | HeatmapPanel;

function panelBuilder(kind: PanelSpec['kind'], unit: string): AnyPanel {
  switch (kind) {
    case 'stat':
      return new StatPanel();
    case 'table':
      return new TablePanel();
    case 'heatmap':
      // Buckets come pre-computed from Prometheus histograms.
      return new HeatmapPanel().calculate(false).yAxis(new YAxisConfigBuilder().unit(unit));
    default:
      return new TimeseriesPanel();
  }
}

function panel(spec: PanelSpec): AnyPanel {
  const b = panelBuilder(spec.kind, spec.unit)
    .title(spec.title)
    .description(spec.description)
    .unit(spec.unit)
    .datasource(DS);
  for (const query of spec.queries) b.withTarget(target(query, spec.kind));
  return b;
}

function ownVariable(v: VarSpec): QueryVariableBuilder {
  return new QueryVariableBuilder(v.name)
    .label(v.label)
    .datasource(DS)
    .query(`label_values(${q(v.metric)}, ${v.name})`)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .multi(true)
    .includeAll(true)
    .allValue('.*');
}

/** Builds one dashboard (as Grafana JSON model) from its spec. */
export function buildDashboard(spec: BoardSpec): Dashboard {
  const b = new DashboardBuilder(`Netprobe / ${spec.title}`)
    .uid(spec.uid)
    .description(spec.description)
    .tags(['netprobe'])
    .readonly()
    .time({ from: 'now-3h', to: 'now' })
    .refresh('30s')
    .withVariable(new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'))
    .withVariable(
      // Hidden: single-cluster setups have no cluster label, and ".*" matches its absence too.
      new QueryVariableBuilder('cluster')
        .label('Cluster')
        .datasource(DS)
        .query(`label_values(netprobe_build_info, cluster)`)
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .hide(VariableHide.HideVariable)
        .includeAll(true)
        .allValue('.*'),
    );
  for (const v of spec.vars) b.withVariable(ownVariable(v));
  for (const row of spec.rows) {
    b.withRow(new RowBuilder(row.title));
    for (const p of row.panels) b.withPanel(panel(p));
  }
  return b.build();
}

/** Every dashboard of the pack as file name and pretty JSON. */
export function renderDashboards(): { file: string; uid: string; json: string }[] {
  return boardSpecs().map((s) => ({
    file: s.file,
    uid: s.uid,
    json: JSON.stringify(buildDashboard(s), null, 2) + '\n',
  }));
}
