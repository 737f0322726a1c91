/**
 * Saving a model as TensorFlow.js' `model.json` plus `weights.bin` in a directory, and
 * loading it back, with Deno file APIs (tfjs' own `file://` handler needs tfjs-node).
 * @module
 */

import * as tf from "@tensorflow/tfjs";

/** Writes `model.json` and `weights.bin` into `dir` (created if needed). */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
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
    for (
      const [name, data] of [
        ["weights.bin", weights],
        ["model.json", new TextEncoder().encode(JSON.stringify(json))],
      ] as const
    ) {
      const tmp = `${dir}/${name}.tmp`;
      await Deno.writeFile(tmp, data);
      await Deno.rename(tmp, `${dir}/${name}`);
    }
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }));
}
