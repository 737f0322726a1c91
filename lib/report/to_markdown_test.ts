import assert from "node:assert/strict";
import type { Report } from "./document.ts";
import { blockMarkdown, toMarkdown } from "./to_markdown.ts";
import { reportCharts } from "./document.ts";

const SPEC = { mark: "point" };

const REPORT: Report = {
  title: "T",
  intro: [{ kind: "text", markdown: "Intro." }],
  sections: [
    {
      heading: "A",
      level: 2,
      blocks: [
        { kind: "table", header: ["x", "y", "z"], rows: [["1", "2", "3"]] },
        { kind: "chart", chart: { name: "c1", title: "Chart [one]", spec: SPEC } },
      ],
    },
    {
      heading: "B",
      level: 3,
      blocks: [{ kind: "text", markdown: "- a\n- b" }],
    },
  ],
};

Deno.test("toMarkdown: title, intro, headings by level, one blank line between blocks", () => {
  assert.equal(
    toMarkdown(REPORT, { chartsHref: "charts", png: true }),
    [
      "# T",
      "",
      "Intro.",
      "",
      "## A",
      "",
      "| x | y | z |",
      "| --- | --- | --- |",
      "| 1 | 2 | 3 |",
      "",
      "![Chart one](charts/c1.svg)",
      "",
      "Chart one ([Vega-Lite spec](charts/c1.vl.json), [PNG](charts/c1.png))",
      "",
      "### B",
      "",
      "- a",
      "- b",
      "",
    ].join("\n"),
  );
});

Deno.test("toMarkdown: without PNGs a chart links its spec only", () => {
  const md = toMarkdown(REPORT, { chartsHref: "../out", png: false });
  assert.ok(md.includes("Chart one ([Vega-Lite spec](../out/c1.vl.json))\n"), md);
  assert.ok(!md.includes(".png"));
});

Deno.test("blockMarkdown: a table's columns align as asked", () => {
  assert.equal(
    blockMarkdown(
      {
        kind: "table",
        header: ["a", "b", "c", "d"],
        rows: [],
        align: [null, "left", "center", "right"],
      },
      { chartsHref: "c", png: false },
    ),
    "| a | b | c | d |\n| --- | :--- | :---: | ---: |",
  );
});

Deno.test("reportCharts lists the charts in the order they appear", () => {
  assert.deepEqual(reportCharts(REPORT).map((c) => c.name), ["c1"]);
});
