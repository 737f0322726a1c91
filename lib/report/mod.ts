/**
 * The report: loading and selecting trial records, building REPORT.md with its charts, the
 * Vega-Lite charts themselves and their rendering to SVG and PNG. The one door to `lib/report/`.
 * @module
 */

export { CHART_CONFIG, CHART_FONT, type VegaLiteSpec } from "./charts.ts";
export { compileSpec, renderSvg, svgToPng, textRenders } from "./render.ts";
export { findGrids, type Grid, tableCsv, tableJson } from "./grids.ts";
export { buildReport, loadResults, type Report, selectTrials, writeReport } from "./report.ts";
