import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  buildReport,
  chartMarkdown,
  loadResults,
  type Section,
  toMarkdown,
} from "../report/mod.ts";
import { sectionDisplays } from "./report_view.ts";

Deno.test("sectionDisplays: the heading with text and tables up to a chart, each chart, the rest", () => {
  const spec = { mark: "point" };
  const chart = { name: "epochs_elapsed", title: "Elapsed", spec };
  const section: Section = {
    heading: "Sweep a: epochs",
    level: 2,
    blocks: [
      { kind: "text", markdown: "Fixed." },
      { kind: "table", header: ["a", "b"], rows: [["1", "2"]], align: [null, "right"] },
      { kind: "chart", chart },
      { kind: "text", markdown: "After." },
    ],
  };
  assert.deepEqual(sectionDisplays(section), [
    {
      kind: "markdown",
      markdown: "## Sweep a: epochs\n\nFixed.\n\n| a | b |\n| --- | ---: |\n| 1 | 2 |",
    },
    { kind: "chart", chart },
    { kind: "markdown", markdown: "After." },
  ]);
  assert.deepEqual(sectionDisplays({ heading: "Grid 1", level: 3, blocks: [] }), [
    { kind: "markdown", markdown: "### Grid 1" },
  ]);
});

Deno.test("sectionDisplays show what REPORT.md holds: the same Markdown, every chart in place", async () => {
  const dir = fileURLToPath(new URL("../report/testdata", import.meta.url));
  const report = buildReport(await loadResults(dir), { includeSubsets: true, resultsDir: "r" });
  const options = { chartsHref: "charts", png: false };
  const displays = report.sections.flatMap(sectionDisplays);
  assert.equal(displays.filter((d) => d.kind === "chart").length, 12);
  const shown = displays.map((d) =>
    d.kind === "markdown" ? d.markdown : chartMarkdown(d.chart, options)
  );
  const md = toMarkdown(report, options);
  assert.equal(shown.join("\n\n") + "\n", md.slice(md.indexOf("\n## ") + 1));
});
