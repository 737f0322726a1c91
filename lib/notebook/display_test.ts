import assert from "node:assert/strict";
import { chartBundle, VEGA_LITE_MIME } from "./display.ts";
import { labelDistributionChart } from "./charts.ts";

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

function fromBase64(s: string): Uint8Array {
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

Deno.test("chartBundle holds the spec under the v5 MIME type with a PNG or SVG fallback", async () => {
  const spec = labelDistributionChart([0, 1], [1]);
  const bundle = await chartBundle(spec);
  const vl = bundle[VEGA_LITE_MIME] as Record<string, unknown>;
  assert.equal(vl.$schema, "https://vega.github.io/schema/vega-lite/v5.json");
  assert.deepEqual(vl.data, spec.data);
  const png = fromBase64(bundle["image/png"] as string);
  assert.deepEqual([...png.subarray(0, 8)], PNG_SIGNATURE);
  assert.equal(bundle["text/plain"], "<chart: Label distribution>");
  const svg = await chartBundle(spec, { fallback: "svg" });
  assert.match(svg["image/svg+xml"] as string, /^<svg /);
  assert.equal(svg["image/png"], undefined);
});
