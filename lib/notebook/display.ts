/**
 * Showing things in a Jupyter notebook (Deno kernel): display bundles (Vega-Lite with a PNG
 * or SVG fallback for viewers without Vega, such as GitHub's notebook view; PNG images;
 * Markdown) and showing them.
 * @module
 */

import { CHART_SCHEMA, renderSvg, svgToPng, type VegaLiteSpec } from "../report/mod.ts";

/** Base64 of bytes (for `image/png` in a display bundle and for data URIs). */
export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** The Vega-Lite major version JupyterLab's built-in renderer reads. */
const JUPYTER_VEGA_LITE = 5;

/** The MIME type JupyterLab renders Vega-Lite with (its built-in renderer is Vega-Lite 5). */
export const VEGA_LITE_MIME = `application/vnd.vegalite.v${JUPYTER_VEGA_LITE}+json`;

/** The schema a bundle names: the project's ({@link CHART_SCHEMA}) at Jupyter's version. */
const BUNDLE_SCHEMA = CHART_SCHEMA.replace(/\/v\d+\.json$/, `/v${JUPYTER_VEGA_LITE}.json`);

/** A Jupyter display bundle (MIME type to data). */
export type MediaBundle = Record<string, unknown>;

/** Options of {@link chartBundle}. */
export interface BundleOptions {
  /** Picture for viewers without Vega: `png` (default, GitHub shows it) or `svg`. */
  fallback?: "png" | "svg";
  /** PNG zoom (default 1). */
  scale?: number;
}

function titleText(spec: VegaLiteSpec): string {
  const t = spec.title as string | { text?: string } | undefined;
  return typeof t === "string" ? t : t?.text ?? "chart";
}

/**
 * A display bundle for a Vega-Lite spec: the spec under {@link VEGA_LITE_MIME} (its
 * `$schema` set to v5, which these specs conform to), a picture rendered here as fallback,
 * and the chart's title as plain text.
 */
export async function chartBundle(
  spec: VegaLiteSpec,
  options: BundleOptions = {},
): Promise<MediaBundle> {
  const svg = await renderSvg(spec);
  const picture = options.fallback === "svg"
    ? { "image/svg+xml": svg }
    : { "image/png": toBase64(svgToPng(svg, options.scale ?? 1)) };
  return {
    [VEGA_LITE_MIME]: { ...spec, $schema: BUNDLE_SCHEMA },
    ...picture,
    "text/plain": `<chart: ${titleText(spec)}>`,
  };
}

/** A display bundle of a PNG image with a plain-text description. */
export function pngBundle(png: Uint8Array, description: string): MediaBundle {
  return { "image/png": toBase64(png), "text/plain": `<image: ${description}>` };
}

/** A display bundle of Markdown text. */
export function markdownBundle(markdown: string): MediaBundle {
  return { "text/markdown": markdown, "text/plain": markdown };
}

interface JupyterApi {
  display(
    obj: unknown,
    options?: { raw?: boolean; update?: boolean; display_id?: string },
  ): Promise<void>;
}

function jupyter(): JupyterApi {
  const api = (Deno as unknown as { jupyter?: JupyterApi }).jupyter;
  if (!api) throw new Error("Deno.jupyter is not available: run this in the Deno Jupyter kernel");
  return api;
}

/**
 * Shows a bundle in the notebook. With `displayId`, a later call with the same id and
 * `update: true` replaces it in place (used for the live training chart).
 */
export async function show(
  bundle: MediaBundle,
  displayId?: string,
  update = false,
): Promise<void> {
  await jupyter().display(bundle, { raw: true, display_id: displayId, update });
  // The kernel sends the message from its event loop; on a busy machine a cell could end (and
  // the kernel report idle) before it went out, and the display was lost. Let it go out first.
  await new Promise((resolve) => setTimeout(resolve, 25));
}

/** Renders and shows a Vega-Lite chart ({@link chartBundle}). */
export async function showChart(spec: VegaLiteSpec, options: BundleOptions = {}): Promise<void> {
  await show(await chartBundle(spec, options));
}

/** Shows Markdown text. */
export async function showMarkdown(markdown: string): Promise<void> {
  await show(markdownBundle(markdown));
}
