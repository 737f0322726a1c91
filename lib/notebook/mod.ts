/**
 * Helpers for the Jupyter notebooks: parameters from the environment, PNG encoding, digit
 * grids, confusion matrices, charts and displays. The one door to `lib/notebook/`.
 * @module
 */

export * from "./display.ts";

// Types from other folders that appear in this folder's signatures, so its docs are complete.
export type { DatasetFile, EpochMetrics } from "../record/mod.ts";
export type { Split } from "../data/mod.ts";
export type { LayersModel } from "../model/mod.ts";
export type { Chart, Report, VegaLiteSpec } from "../report/mod.ts";
