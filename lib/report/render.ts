/**
 * Headless chart rendering: Vega-Lite spec -> Vega spec -> SVG (Vega's `none` renderer),
 * SVG -> PNG (resvg, system fonts). No browser, no canvas.
 * @module
 */

import * as vegaLite from "vega-lite";
import * as vega from "vega";
import { Resvg } from "@resvg/resvg-js";
import { CHART_FONT, type VegaLiteSpec } from "./charts.ts";

/** Compiles a Vega-Lite spec to a Vega spec; throws on an invalid spec. */
export function compileSpec(spec: VegaLiteSpec): vega.Spec {
  // deno-lint-ignore no-explicit-any
  return vegaLite.compile(spec as any).spec as vega.Spec;
}

/** Renders a Vega-Lite spec to an SVG document (text drawn with the chart's font). */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const view = new vega.View(vega.parse(compileSpec(spec)), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises an SVG document to PNG at `scale` times its size; text uses system fonts. */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  const resvg = new Resvg(svg, {
    font: { loadSystemFonts: true, defaultFontFamily: CHART_FONT },
    fitTo: { mode: "zoom", value: scale },
  });
  return resvg.render().asPng();
}

/**
 * Whether resvg finds a font to draw text with: renders a short text and looks for ink.
 * False means PNGs will have no labels (on Debian: `apt-get install fonts-dejavu-core`).
 */
export function textRenders(): boolean {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="60" height="30">` +
    `<rect width="60" height="30" fill="white"/>` +
    `<text x="4" y="22" font-family="${CHART_FONT}" font-size="20" fill="black">Ag</text></svg>`;
  const rgba = new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: CHART_FONT } })
    .render().pixels;
  for (let i = 0; i < rgba.length; i += 4) {
    if (rgba[i] + rgba[i + 1] + rgba[i + 2] < 3 * 128) return true;
  }
  return false;
}
