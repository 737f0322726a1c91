/**
 * The structured report in a notebook: each section becomes Markdown displays (its heading,
 * paragraphs and tables) and chart displays, in the report's order.
 * @module
 */

import { type Chart, headingMarkdown, type Section, textMarkdown } from "../report/mod.ts";
import { showChart, showMarkdown } from "./display.ts";

/** What a notebook shows for a run of a section: Markdown, or one chart. */
export type SectionDisplay =
  | { kind: "markdown"; markdown: string }
  | { kind: "chart"; chart: Chart };

/**
 * The displays of a section: its heading with the paragraphs and tables up to the first
 * chart as one Markdown display, each chart as a chart, the blocks between charts as Markdown.
 * @param section a section of the report
 * @returns the displays, in order
 * @example
 * ```ts
 * const report = buildReport(await loadResults("results"), { includeSubsets: false, resultsDir: "results" });
 * const displays = report.sections.flatMap(sectionDisplays);
 * ```
 */
export function sectionDisplays(section: Section): SectionDisplay[] {
  const out: SectionDisplay[] = [];
  let text = [headingMarkdown(section)];
  const flush = () => {
    if (text.length > 0) out.push({ kind: "markdown", markdown: text.join("\n\n") });
    text = [];
  };
  for (const block of section.blocks) {
    if (block.kind === "chart") {
      flush();
      out.push({ kind: "chart", chart: block.chart });
    } else {
      text.push(textMarkdown(block));
    }
  }
  flush();
  return out;
}

/**
 * Shows sections of the report in the notebook: Markdown as Markdown, charts as Vega-Lite
 * charts with a picture for viewers without Vega.
 * @param sections the sections to show
 */
export async function showSections(sections: Section[]): Promise<void> {
  for (const display of sections.flatMap(sectionDisplays)) {
    if (display.kind === "markdown") await showMarkdown(display.markdown);
    else await showChart(display.chart.spec);
  }
}
