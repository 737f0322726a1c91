/**
 * The report: loading and selecting trial records, building REPORT.md with its charts, the
 * Vega-Lite charts themselves and their rendering to SVG and PNG. The one door to `lib/report/`.
 * @module
 */

export { CHART_CONFIG, CHART_FONT, CHART_SCHEMA, type VegaLiteSpec } from "./charts.ts";
export { compileSpec, renderSvg, svgToPng, textRenders } from "./render.ts";
export {
  findGrids,
  type Grid,
  type GridTrial,
  type SeedGroup,
  tableCsv,
  tableJson,
} from "./grids.ts";
export {
  buildReport,
  duplicateCells,
  isSubset,
  loadResults,
  type Report,
  selectTrials,
  writeReport,
} from "./build.ts";
export type { Chart, LoadedRecord, ReportOptions, ReportPaths, ResultsInput } from "./build.ts";

// Types from other folders that appear in this folder's signatures, so its docs are complete.
export { BACKENDS } from "../record/mod.ts";
export type {
  BackendName,
  BenchEntry,
  BenchFloor,
  BenchRecord,
  BenchStep,
  DatasetFile,
  DatasetInfo,
  Environment,
  EpochMetrics,
  EpochRuns,
  MachineLoad,
  TrialArgs,
  TrialRecord,
  TrialStatus,
  TrialTotals,
} from "../record/mod.ts";
