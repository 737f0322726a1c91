/**
 * `deno task report`: the Markdown report with Vega-Lite charts (spec, SVG, PNG) from the
 * trial records in `results/trials/` and the bench record `results/bench.json`.
 * @module
 */

import { dirname, join, relative } from "node:path";
import {
  buildReport,
  duplicateCells,
  findGrids,
  loadResults,
  selectTrials,
  tableCsv,
  tableJson,
  textRenders,
  writeReport,
} from "../lib/report/mod.ts";
import { parseScriptFlags, scriptArgs } from "../lib/cli.ts";

const HELP = `Usage: deno task report [-- options]

Writes a Markdown report of the reference study's three sweeps (epochs, learning rate,
batch size) from the trial records DIR/trials/*.json, with charts in DIR/charts/ (Vega-Lite
spec NAME.vl.json, NAME.svg and NAME.png), the comparison with the published numbers, the
benchmark (DIR/bench.json, when present), every grid the records hold (a table of all trials
with the parameters that vary, trials differing only in --seed as mean and standard deviation,
and a chart per grid) and the environment.

Options:
  --results DIR       results directory (default: results)
  --out FILE          Markdown file to write (default: DIR/REPORT.md)
  --include-subsets   also report trials run on the first N images (--limit-train/--limit-test)
  --no-png            write specs and SVGs only
  --format FORMAT     md (default: the report), or csv / json: print the table of all trials
                      to stdout instead (nothing written)
  --help              show this help

Records that are malformed, of another schema version or not 'ok' are left out with a
warning. Exit codes: 0 written, 1 no usable record (nothing written), 2 bad option.`;

async function main(argv: string[]): Promise<number> {
  const values = parseScriptFlags("report", HELP, {
    results: { type: "string", default: "results" },
    out: { type: "string" },
    "include-subsets": { type: "boolean", default: false },
    "no-png": { type: "boolean", default: false },
    format: { type: "string", default: "md" },
    help: { type: "boolean", default: false },
  }, argv);
  if (typeof values === "number") return values;
  const dir = values.results;
  const out = values.out ?? join(dir, "REPORT.md");
  const chartsDir = join(dir, "charts");
  const includeSubsets = values["include-subsets"];
  const png = !values["no-png"];

  if (!["md", "csv", "json"].includes(values.format)) {
    console.error(`report: --format ${JSON.stringify(values.format)}: expected md, csv or json`);
    return 2;
  }
  const input = await loadResults(dir);
  for (const warning of input.warnings) console.error(`warning: ${warning}`);
  for (const line of duplicateCells(input.records, includeSubsets)) {
    console.error(`warning: several records for one trial: ${line}`);
  }
  if (values.format !== "md") {
    if (input.records.length === 0) {
      console.error(`report: no usable trial record in ${join(dir, "trials")}; nothing printed`);
      return 1;
    }
    const grids = findGrids(input.records.map((r) => r.record));
    const bytes = new TextEncoder().encode(
      values.format === "csv" ? tableCsv(grids) : tableJson(grids),
    );
    for (let at = 0; at < bytes.length;) at += Deno.stdout.writeSync(bytes.subarray(at));
    return 0;
  }
  if (input.records.length === 0) {
    const hint = "; run a sweep first, e.g. deno task epochs";
    console.error(
      `report: no usable trial record in ${join(dir, "trials")}` +
        ` (${input.records.length} ok, ${input.warnings.length} left out${hint}); nothing written`,
    );
    return 1;
  }
  if (png && !textRenders()) {
    console.error(
      "warning: no system font found to draw chart text in PNGs " +
        "(on Debian: apt-get install fonts-dejavu-core)",
    );
  }
  const chosen = selectTrials(input.records, includeSubsets).size;
  if (chosen === 0) {
    console.error(
      "note: no trial of the study's sweeps" +
        (includeSubsets ? "" : " on all the data (--include-subsets for subsets)") +
        "; the report shows every grid under 'All trials, by grid'",
    );
  }
  const chartsHref = relative(dirname(out), chartsDir).split("\\").join("/") || ".";
  const report = buildReport(input, { includeSubsets, resultsDir: dir });
  const written = await writeReport(report, { out, chartsDir, chartsHref, png });
  console.log(`wrote ${out} and ${written.length - 1} chart files in ${chartsDir}`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(scriptArgs()));
