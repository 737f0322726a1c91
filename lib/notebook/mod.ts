/**
 * Helpers for the Jupyter notebooks: parameters from the environment, digit grids, a model's
 * predictions and confusion matrix, the notebooks' charts (on the report's look), displays,
 * and the structured report shown section by section. The one door to `lib/notebook/`.
 * @module
 */

export { envChoice, envFlag, envInt, envString } from "./params.ts";
export {
  type Caption,
  digitGridPng,
  digitGridSvg,
  type DigitSheet,
  digitSheet,
  firstOfEachClass,
  type GridOptions,
} from "./digits.ts";
export { confusionMatrix, labelCounts, misclassified, predictLabels } from "./predictions.ts";
export {
  confusionChart,
  epochLossPoints,
  labelDistributionChart,
  type LossPoint,
  trainingLossChart,
} from "./charts.ts";
export {
  type BundleOptions,
  chartBundle,
  markdownBundle,
  type MediaBundle,
  pngBundle,
  show,
  showChart,
  showMarkdown,
  VEGA_LITE_MIME,
} from "./display.ts";
export { LiveChart } from "./live_chart.ts";
export { datasetFilesTable } from "./tables.ts";
export { type SectionDisplay, sectionDisplays, showSections } from "./report_view.ts";

// Types from other folders that appear in this folder's signatures, so its docs are complete.
export type { DatasetFile, EpochMetrics } from "../record/mod.ts";
export type { Split } from "../data/mod.ts";
export type { LayersModel } from "../model/mod.ts";
export type {
  Align,
  Block,
  Chart,
  ChartBlock,
  Section,
  TableBlock,
  TextBlock,
  VegaLiteSpec,
} from "../report/mod.ts";
