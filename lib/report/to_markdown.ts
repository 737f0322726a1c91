/**
 * The report as Markdown: the one writer from the structured report ({@link Report}) to the
 * text of `REPORT.md`, chart blocks becoming an image and the links to its files.
 * @module
 */

import { table } from "../markdown.ts";
import type { Block, Chart, Report, Section, TableBlock, TextBlock } from "./document.ts";

/** Where the Markdown links its charts. */
export interface MarkdownOptions {
  /** Link from the Markdown file to the charts folder, e.g. `charts`. */
  chartsHref: string;
  /** Whether PNGs are written beside the SVGs (each chart then links its PNG too). */
  png: boolean;
}

/**
 * A chart as Markdown: its SVG as an image, then its caption with links to the spec (and PNG).
 * @param chart the chart
 * @param options where its files are
 * @returns two paragraphs
 */
export function chartMarkdown(chart: Chart, options: MarkdownOptions): string {
  const href = `${options.chartsHref}/${chart.name}`;
  const alt = chart.title.replace(/[[\]]/g, "");
  const links = [`[Vega-Lite spec](${href}.vl.json)`];
  if (options.png) links.push(`[PNG](${href}.png)`);
  return `![${alt}](${href}.svg)\n\n${alt} (${links.join(", ")})`;
}

/**
 * A paragraph or a table as Markdown: the paragraph as it is, the table as a Markdown table.
 * @param block the block
 * @returns the Markdown, without a trailing newline
 */
export function textMarkdown(block: TextBlock | TableBlock): string {
  return block.kind === "text" ? block.markdown : table(block.header, block.rows, block.align);
}

/**
 * One block as Markdown: {@link textMarkdown}, or {@link chartMarkdown} for a chart.
 * @param block the block
 * @param options where chart files are
 * @returns the Markdown, without a trailing newline
 */
export function blockMarkdown(block: Block, options: MarkdownOptions): string {
  return block.kind === "chart" ? chartMarkdown(block.chart, options) : textMarkdown(block);
}

/**
 * A section's heading as Markdown: `## heading`, or `### heading` under the one before.
 * @param section the section
 * @returns the heading line
 */
export function headingMarkdown(section: Section): string {
  return `${"#".repeat(section.level)} ${section.heading}`;
}

/**
 * The report as Markdown: the title, the introduction, then each section's heading and
 * blocks, one blank line between any two, one newline at the end.
 * @param report the structured report
 * @param options where chart files are
 * @returns the Markdown text
 * @example
 * ```ts
 * const report = { title: "T", intro: [], sections: [
 *   { heading: "S", level: 2 as const, blocks: [{ kind: "text" as const, markdown: "Hi." }] },
 * ] };
 * toMarkdown(report, { chartsHref: "charts", png: false }); // "# T\n\n## S\n\nHi.\n"
 * ```
 */
export function toMarkdown(report: Report, options: MarkdownOptions): string {
  const parts = [`# ${report.title}`, ...report.intro.map((b) => blockMarkdown(b, options))];
  for (const section of report.sections) {
    parts.push(headingMarkdown(section), ...section.blocks.map((b) => blockMarkdown(b, options)));
  }
  return parts.join("\n\n") + "\n";
}
