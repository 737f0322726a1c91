/**
 * Helpers for the Jupyter notebooks: parameters from the environment, PNG encoding, digit
 * grids, confusion matrices, charts and displays. The one door to `lib/notebook/`.
 * @module
 */

export * from "./notebook.ts";
