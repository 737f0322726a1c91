/**
 * Writing the report: every chart as its Vega-Lite spec, SVG and PNG, then the Markdown, each
 * file atomically.
 * @module
 */

import { join } from "node:path";
import { writeFileAtomic } from "../record/mod.ts";
import { type Report, reportCharts } from "./document.ts";
import { renderSvg, svgToPng } from "./render.ts";
import { toMarkdown } from "./to_markdown.ts";

/** Where {@link writeReport} puts the report. */
export interface ReportPaths {
  /** The Markdown file. */
  out: string;
  /** The folder of `NAME.vl.json`, `NAME.svg` and `NAME.png`. */
  chartsDir: string;
  /** Link from the Markdown file to `chartsDir`, e.g. `charts`. */
  chartsHref: string;
  /** Also render each chart to PNG (the SVG is always written; the Markdown links the PNG). */
  png: boolean;
}

/**
 * Renders every chart and writes specs, SVGs, PNGs and then the Markdown, each atomically.
 * @param report the structured report
 * @param paths where the files go
 * @returns the paths written, the Markdown last
 */
export async function writeReport(report: Report, paths: ReportPaths): Promise<string[]> {
  await Deno.mkdir(paths.chartsDir, { recursive: true });
  const written: string[] = [];
  for (const chart of reportCharts(report)) {
    const stem = join(paths.chartsDir, chart.name);
    const svg = await renderSvg(chart.spec);
    await writeFileAtomic(`${stem}.vl.json`, JSON.stringify(chart.spec, null, 2) + "\n");
    await writeFileAtomic(`${stem}.svg`, svg + "\n");
    written.push(`${stem}.vl.json`, `${stem}.svg`);
    if (paths.png) {
      await writeFileAtomic(`${stem}.png`, svgToPng(svg));
      written.push(`${stem}.png`);
    }
  }
  await writeFileAtomic(paths.out, toMarkdown(report, paths));
  written.push(paths.out);
  return written;
}
