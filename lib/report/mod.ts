/**
 * The report: loading and selecting trial records, building the report as data (a title, an
 * introduction, sections of text, tables and charts), writing it as REPORT.md with its charts,
 * the Vega-Lite charts themselves and their rendering to SVG and PNG. The one door to
 * `lib/report/`; the notebooks show the same structured report.
 * @module
 */

export { CHART_CONFIG, CHART_FONT, CHART_SCHEMA, chartBase, type VegaLiteSpec } from "./charts.ts";
export { compileSpec, renderSvg, svgToPng, textRenders } from "./render.ts";
export {
  findGrids,
  type Grid,
  type GridTrial,
  type SeedGroup,
  tableCsv,
  tableJson,
} from "./grids.ts";
export { buildReport, REPORT_TITLE } from "./build.ts";
export {
  type Block,
  type Chart,
  type ChartBlock,
  type Report,
  reportCharts,
  type ReportOptions,
  type Section,
  type TableBlock,
  type TextBlock,
} from "./document.ts";
export {
  blockMarkdown,
  chartMarkdown,
  headingMarkdown,
  type MarkdownOptions,
  textMarkdown,
  toMarkdown,
} from "./to_markdown.ts";
export { type LoadedRecord, loadResults, type ResultsInput } from "./load.ts";
export { duplicateCells, isSubset, selectTrials } from "./select.ts";
export { type ReportPaths, writeReport } from "./write.ts";

// Types from other folders that appear in this folder's signatures, so its docs are complete.
export { BACKENDS } from "../record/mod.ts";
export type { Align } from "../markdown.ts";
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
