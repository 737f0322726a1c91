import assert from "node:assert/strict";
import { CHART_FONT } from "./charts.ts";
import { compileSpec, renderSvg, svgToPng, textRenders } from "./render.ts";

const SPEC = {
  $schema: "https://vega.github.io/schema/vega-lite/v6.json",
  data: { values: [{ epoch: 1, seconds: 62.5 }, { epoch: 2, seconds: 125.1 }] },
  mark: "line",
  encoding: {
    x: { field: "epoch", type: "quantitative", title: "Epoch" },
    y: { field: "seconds", type: "quantitative", title: "Elapsed time (s)" },
  },
  config: { font: CHART_FONT, background: "white" },
};

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

Deno.test("renderSvg draws the axis titles in the chart font, the same bytes every time", async () => {
  const svg = await renderSvg(SPEC);
  assert.match(svg, /^<svg /);
  assert.match(svg, /<\/svg>$/);
  const titles = [...svg.matchAll(/role-axis-title.*?<text[^>]*>([^<]*)<\/text>/g)].map((m) =>
    m[1]
  );
  assert.deepEqual(titles.sort(), ["Elapsed time (s)", "Epoch"]);
  assert.match(svg, /font-family="DejaVu Sans"/);
  assert.equal(await renderSvg(SPEC), svg);
});

Deno.test("svgToPng writes a PNG at twice the SVG size, deterministically", async () => {
  const svg = await renderSvg(SPEC);
  const png = svgToPng(svg);
  assert.deepEqual([...png.subarray(0, 8)], PNG_SIGNATURE);
  const view = new DataView(png.buffer, png.byteOffset);
  const width = Number(svg.match(/width="(\d+)"/)![1]);
  assert.equal(view.getUint32(16), 2 * width); // IHDR width
  assert.deepEqual(svgToPng(svg), png);
});

Deno.test("system fonts draw text in PNGs (needs fonts-dejavu-core on Debian)", () => {
  assert.ok(textRenders(), `no font found for '${CHART_FONT}': apt-get install fonts-dejavu-core`);
});

Deno.test("compileSpec rejects what is not a Vega-Lite spec", () => {
  assert.throws(() => compileSpec({ mark: "line", encoding: { x: { field: "a", type: "nope" } } }));
  assert.throws(() => svgToPng("<svg"));
});
