/**
 * What a report is, before it becomes Markdown: a title, an introduction and sections; a
 * section is a heading and blocks; a block is a paragraph of Markdown, a table or a chart.
 * {@link buildReport} makes one, {@link toMarkdown} writes it out, the notebooks show it.
 * @module
 */

import type { Align } from "../markdown.ts";
import type { VegaLiteSpec } from "./charts.ts";

/** One chart of the report: its file stem, its caption and its Vega-Lite spec. */
export interface Chart {
  /** File stem of the chart (`NAME.vl.json`, `NAME.svg`, `NAME.png`), unique in a report. */
  name: string;
  /** Caption, shown under the chart; also its alt text (without `[` and `]`). */
  title: string;
  /** The chart as a Vega-Lite spec, data inline. */
  spec: VegaLiteSpec;
}

/** A paragraph (or a list, or a code fence) of Markdown. */
export interface TextBlock {
  /** Which block this is. */
  kind: "text";
  /** The Markdown, already escaped where it holds text from records. */
  markdown: string;
}

/** A table: headings, rows of cells (already Markdown), and how each column aligns. */
export interface TableBlock {
  /** Which block this is. */
  kind: "table";
  /** The column headings. */
  header: string[];
  /** The rows, one cell per column. */
  rows: string[][];
  /** Per column, its alignment; absent: the viewer's default. */
  align?: Align[];
}

/** A chart, placed where it stands in its section. */
export interface ChartBlock {
  /** Which block this is. */
  kind: "chart";
  /** The chart. */
  chart: Chart;
}

/** A piece of a section. */
export type Block = TextBlock | TableBlock | ChartBlock;

/** A section: its heading and its blocks in order. */
export interface Section {
  /** The heading, without `#`s. */
  heading: string;
  /** 2 for a section (`##`), 3 for one under the section before it (`###`). */
  level: 2 | 3;
  /** Paragraphs, tables and charts, in order. */
  blocks: Block[];
}

/** The report as data. */
export interface Report {
  /** The title (`#`). */
  title: string;
  /** The blocks between the title and the first section. */
  intro: Block[];
  /** The sections, in order. */
  sections: Section[];
}

/**
 * A paragraph block.
 * @param markdown the paragraph as Markdown
 * @returns the block
 */
export function text(markdown: string): TextBlock {
  return { kind: "text", markdown };
}

/**
 * A table block.
 * @param header the column headings
 * @param rows the cells, already Markdown
 * @returns the block
 */
export function tableBlock(header: string[], rows: string[][]): TableBlock {
  return { kind: "table", header, rows };
}

/**
 * A chart block.
 * @param name the chart's file stem
 * @param title its caption
 * @param spec its Vega-Lite spec
 * @returns the block
 */
export function chartBlock(name: string, title: string, spec: VegaLiteSpec): ChartBlock {
  return { kind: "chart", chart: { name, title, spec } };
}

/**
 * Every chart of a report, in the order they appear.
 * @param report the report
 * @returns its charts
 */
export function reportCharts(report: Report): Chart[] {
  return [report.intro, ...report.sections.map((s) => s.blocks)].flat()
    .flatMap((b) => (b.kind === "chart" ? [b.chart] : []));
}

/** How the report is made. */
export interface ReportOptions {
  /** Also match trials run on the first N images (`limitTrain`/`limitTest` set). */
  includeSubsets: boolean;
  /** The results directory as commands in the report should name it, e.g. `results`. */
  resultsDir: string;
}
