/**
 * The "How to rerun" section: the commands that make the results and the report again.
 * @module
 */

import type { BenchRecord } from "../record/mod.ts";
import { benchCommand, trainCommand } from "./commands.ts";
import { type ReportOptions, type Section, text } from "./document.ts";

/**
 * The rerun section.
 * @param options how the report is made (its results folder, whether subsets are in)
 * @param bench the bench record, for the bench command that measures the same
 * @returns the section
 */
export function rerunSection(options: ReportOptions, bench: BenchRecord | null): Section {
  const dir = options.resultsDir;
  const report = ["deno task report", ...(dir === "results" ? [] : [`--results ${dir}`])];
  if (options.includeSubsets) report.push("--include-subsets");
  const reportCmd = report.length > 1 ? `${report[0]} -- ${report.slice(1).join(" ")}` : report[0];
  return {
    heading: "How to rerun",
    level: 2,
    blocks: [
      text([
        "```sh",
        "deno task image      # build the container image the trials run in",
        `deno task sweep${dir === "results" ? "" : ` -- --results ${dir}`}` +
        "  # all three sweeps; a trial already recorded ok in the same image is skipped",
        benchCommand(bench, dir),
        reportCmd,
        "```",
      ].join("\n")),
      text("One sweep: `deno task epochs`, `deno task lr` or `deno task batch`."),
      text("One trial alone, e.g. the shared one:"),
      text(
        ["```sh", trainCommand({ epochs: 5, batchSize: 128, lr: 1.0 }, dir), "```"].join("\n"),
      ),
    ],
  };
}
