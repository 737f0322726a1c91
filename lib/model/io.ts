/**
 * Saving a model as TensorFlow.js' `model.json` plus `weights.bin` in a directory, and
 * loading it back, with Deno file APIs (tfjs' own `file://` handler needs tfjs-node).
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { LayersModel } from "./tf_types.ts";

/**
 * Writes `model.json` and `weights.bin` into `dir` (created if needed), both or neither: each
 * goes to a temporary file first, and only when both are complete are they renamed into place.
 * On failure the temporary files are removed and the error is thrown.
 */
export async function saveModel(model: LayersModel, dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const weights = new Uint8Array(artifacts.weightData as ArrayBuffer);
    const json = {
      format: "layers-model",
      generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
      convertedBy: null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs }],
    };
    const files = [
      ["weights.bin", weights],
      ["model.json", new TextEncoder().encode(JSON.stringify(json))],
    ] as const;
    const suffix = `.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
    try {
      for (const [name, data] of files) await Deno.writeFile(`${dir}/${name}${suffix}`, data);
      for (const [name] of files) await Deno.rename(`${dir}/${name}${suffix}`, `${dir}/${name}`);
    } catch (err) {
      for (const [name] of files) await Deno.remove(`${dir}/${name}${suffix}`).catch(() => {});
      throw err;
    }
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }));
}

/**
 * Loads a model saved by {@link saveModel} (or any single-shard tfjs layers model).
 * @param dir the directory holding `model.json` and its weight files
 * @returns the model, weights loaded
 */
export async function loadModel(dir: string): Promise<LayersModel> {
  const json = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
  const manifest = json.weightsManifest as {
    paths: string[];
    weights: tf.io.WeightsManifestEntry[];
  }[];
  const specs = manifest.flatMap((g) => g.weights);
  const parts = await Promise.all(
    manifest.flatMap((g) => g.paths).map((p) => Deno.readFile(`${dir}/${p}`)),
  );
  const total = parts.reduce((s, p) => s + p.length, 0);
  const data = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    data.set(p, offset);
    offset += p.length;
  }
  return await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: specs,
      weightData: data.buffer,
    }),
  );
}
