import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { Adadelta, createModel, trainableVariables } from "../model/mod.ts";
import { setupBackend } from "../blas/mod.ts";
import { gatherImages, gatherOneHot, loadMnist } from "../data/mod.ts";
import { nllLoss } from "./step.ts";
import { TORCH_SCRIPT } from "../bench/mod.ts";

const PYTHON = "/usr/bin/python3";

function hasTorch(): boolean {
  try {
    return new Deno.Command(PYTHON, { args: ["-c", "import torch"], stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

function concat(arrays: Float32Array[]): Float32Array {
  const out = new Float32Array(arrays.reduce((s, a) => s + a.length, 0));
  let o = 0;
  for (const a of arrays) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

const torchReady = hasTorch();
if (!torchReady && Deno.env.get("CI")) {
  throw new Error(
    "CI needs python3-torch for the PyTorch parity test (apt-get install python3-torch)",
  );
}

Deno.test({
  name: "parity: model, NLL loss and Adadelta match PyTorch step for step",
  ignore: !torchReady,
  fn: async () => {
    await setupBackend("blas", { threads: 1 });
    const dir = await Deno.makeTempDir();
    const data = await loadMnist({ limitTrain: 32, limitTest: 1 });
    const indices = Uint32Array.from({ length: 32 }, (_, i) => i);
    const images = gatherImages(data.train, indices);
    const labels = data.train.labels.slice(0, 32);
    const model = createModel(11);
    const vars = trainableVariables(model);
    await Deno.writeFile(
      `${dir}/weights.bin`,
      new Uint8Array(concat(vars.map((v) => v.dataSync() as Float32Array)).buffer),
    );
    await Deno.writeFile(`${dir}/images.bin`, new Uint8Array(images.buffer));
    await Deno.writeFile(`${dir}/labels.bin`, labels);
    await Deno.writeTextFile(`${dir}/batch`, "32");

    const steps = 3;
    const lr = 1.0;
    const optimizer = new Adadelta(lr);
    const x = tf.tensor4d(images, [32, 28, 28, 1]);
    const y = tf.tensor2d(gatherOneHot(data.train, indices), [32, 10]);
    const losses: number[] = [];
    for (let s = 0; s < steps; s++) {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => nllLoss(model.apply(x, { training: false }) as tf.Tensor, y),
          vars,
        );
        optimizer.applyGradients(vars, vars.map((v) => grads[v.name]));
        losses.push(value.dataSync()[0]);
      });
    }
    const ours = concat(vars.map((v) => v.dataSync() as Float32Array));

    const out = await new Deno.Command(PYTHON, {
      args: [TORCH_SCRIPT, "parity", dir, String(steps), String(lr)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const theirs = JSON.parse(new TextDecoder().decode(out.stdout)) as { losses: number[] };
    const after = new Float32Array((await Deno.readFile(`${dir}/after.bin`)).buffer);

    for (let s = 0; s < steps; s++) {
      const rel = Math.abs(losses[s] - theirs.losses[s]) / theirs.losses[s];
      assert.ok(rel < 1e-4, `step ${s + 1}: loss ${losses[s]} vs PyTorch ${theirs.losses[s]}`);
    }
    assert.ok(losses[2] < losses[0], "the loss falls");
    assert.equal(after.length, ours.length);
    let maxDiff = 0;
    let maxMove = 0;
    const before = new Float32Array((await Deno.readFile(`${dir}/weights.bin`)).buffer);
    for (let i = 0; i < ours.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(ours[i] - after[i]));
      maxMove = Math.max(maxMove, Math.abs(after[i] - before[i]));
    }
    // Each Adadelta step moves a weight by about sqrt(eps) * lr = 1e-3; agree to 1 % of that.
    assert.ok(maxMove > 1e-3, `weights moved: ${maxMove}`);
    assert.ok(maxDiff < 2e-5, `max weight difference after ${steps} steps: ${maxDiff}`);
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  },
});
