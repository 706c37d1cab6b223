/**
 * Catalog metrics deliberately on no dashboard, each with the reason. The pack test fails when a
 * catalog metric is on no dashboard and not listed here, and when an entry here is on a dashboard.
 */
export const NOT_ON_DASHBOARDS: Readonly<Record<string, string>> = {};
