/**
 * The section "All trials, by grid": every `ok` record, one sub-section per grid (the records
 * on one data set) with its table and, when it has two settings or more, its chart.
 * @module
 */

import { ARG_SPECS, type TrialArgs, type TrialRecord } from "../record/mod.ts";
import { type Block, chartBlock, type Section, text } from "./document.ts";
import { findGrids, type Grid, gridChart, gridTable } from "./grids.ts";

/**
 * The grid sections of every `ok` record.
 * @param records the `ok` records
 * @returns the section "All trials, by grid" and one sub-section per grid; none without grids
 */
export function gridSections(records: TrialRecord[]): Section[] {
  const grids = findGrids(records);
  if (grids.length === 0) return [];
  return [
    {
      heading: "All trials, by grid",
      level: 2,
      blocks: [text(
        "Every `ok` record, grouped by the data it ran on; the columns are the parameters that " +
          "vary within the grid. Trials that differ only in `--seed` share a row: mean ± sample " +
          "standard deviation, then each seed (`deno task sweep -- --seeds 3` runs every trial " +
          "with 3 seeds). `deno task report -- --format csv` (or `json`) prints this table for " +
          "other tools.",
      )],
    },
    ...grids.map((grid, i) => gridSection(grid, i + 1)),
  ];
}

function flagName(key: keyof TrialArgs): string {
  return ARG_SPECS.find((s) => s.key === key)!.flag;
}

function gridSection(grid: Grid, n: number): Section {
  const count = grid.groups.reduce((s, g) => s + g.trials.length, 0);
  const blocks: Block[] = [gridTable(grid)];
  if (grid.groups.length >= 2) {
    const by = grid.varied.length > 0
      ? grid.varied.map((k) => `--${flagName(k)}`).join(", ")
      : "seed";
    blocks.push(chartBlock(
      `grid_${n}`,
      `Grid ${n}: validation accuracy and time by ${by}`,
      gridChart(grid, `Grid ${n}`),
    ));
  }
  return {
    heading: `Grid ${n}: ${grid.data} (${count} trial${count === 1 ? "" : "s"})`,
    level: 3,
    blocks,
  };
}
