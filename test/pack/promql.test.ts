import { metricNames } from '../../src/pack/promql.js';

describe('metricNames', () => {
  it.each([
    ['up{job="x"} == 0 or absent(up{job="x"})', ['up']],
    [
      'histogram_quantile(0.99, sum by (cluster, le) (rate(a_bucket{job="n",le="+Inf"}[5m]))) > 4',
      ['a_bucket'],
    ],
    ['time() - last_run{x="y"} > 300 and targets > 0', ['last_run', 'targets']],
    ['a < on (cluster) group_left () max by (cluster) (b)', ['a', 'b']],
    ['sum(rate(c_total{cluster=~"$cluster"}[$__rate_interval])) / 1e3 or vector(0)', ['c_total']],
    ['min by (host) (last_over_time(cert[1h])) - time() < 14 * 86400 > 0', ['cert']],
  ])('%s', (expr, expected) => {
    expect(metricNames(expr)).toEqual(expected);
  });
});
