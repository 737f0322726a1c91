/**
 * The results report as data: which record fills which trial of the reference's sweeps, then
 * the introduction and the sections (tables, charts, comparison with the published numbers,
 * benchmark, every grid, environment, how to rerun). {@link buildReport} is pure; reading the
 * records ({@link loadResults}), the Markdown ({@link toMarkdown}) and writing the files
 * ({@link writeReport}) are kept apart.
 * @module
 */

import type { Report, ReportOptions, Section } from "./document.ts";
import type { ResultsInput } from "./load.ts";
import { duplicateCells, selectTrials } from "./select.ts";
import { introBlocks } from "./section_intro.ts";
import { sweepSections } from "./section_sweeps.ts";
import { perEpochSection } from "./section_epochs.ts";
import { publishedSection } from "./section_published.ts";
import { benchSection } from "./section_bench.ts";
import { gridSections } from "./section_grids.ts";
import { environmentSection } from "./section_environment.ts";
import { duplicatesSection, leftOutSection } from "./section_records.ts";
import { rerunSection } from "./section_rerun.ts";

/** The report's title. */
export const REPORT_TITLE = "Results: the MNIST CNN study on Deno and TensorFlow.js";

/**
 * Builds the report from validated results; pure: the same input gives the same report.
 * @param input the results read by {@link loadResults}
 * @param options which records count and how commands name the results folder
 * @returns the structured report
 * @example
 * ```ts
 * const input = await loadResults("results");
 * const report = buildReport(input, { includeSubsets: false, resultsDir: "results" });
 * const markdown = toMarkdown(report, { chartsHref: "charts", png: true });
 * ```
 */
export function buildReport(input: ResultsInput, options: ReportOptions): Report {
  const chosen = selectTrials(input.records, options.includeSubsets);
  const trials = [...chosen.values()].map((r) => r.record);
  const sections: (Section | null)[] = [
    ...sweepSections(chosen, input, options),
    perEpochSection(trials),
    publishedSection(chosen),
    input.bench ? benchSection(input.bench) : null,
    ...gridSections(input.records.map((r) => r.record)),
    environmentSection(trials),
    duplicatesSection(duplicateCells(input.records, options.includeSubsets)),
    leftOutSection(input.warnings),
    rerunSection(options, input.bench),
  ];
  return {
    title: REPORT_TITLE,
    intro: introBlocks(input, chosen, options),
    sections: sections.filter((s) => s !== null),
  };
}
