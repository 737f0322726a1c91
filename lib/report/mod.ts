/**
 * The report: loading and selecting trial records, building REPORT.md with its charts, the
 * Vega-Lite charts themselves and their rendering to SVG and PNG. The one door to `lib/report/`.
 * @module
 */

export { CHART_CONFIG, CHART_FONT, CHART_SCHEMA, type VegaLiteSpec } from "./charts.ts";
export { compileSpec, renderSvg, svgToPng, textRenders } from "./render.ts";
export { findGrids, type Grid, tableCsv, tableJson } from "./grids.ts";
export {
  buildReport,
  duplicateCells,
  isSubset,
  loadResults,
  type Report,
  selectTrials,
  writeReport,
} from "./report.ts";
export type { Chart, LoadedRecord, ReportOptions, ReportPaths, ResultsInput } from "./report.ts";
