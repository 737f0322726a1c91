/**
 * Whole epochs side by side (`deno task bench --epochs N`): one epoch of 60k training images
 * at batch 128 plus the 10k test pass, ours in this process through the trainer and
 * PyTorch's through `reference/torch_mnist.py train`, alternating so that a machine whose speed
 * drifts slows both alike.
 * @module
 */

import { setupBackend } from "../blas/mod.ts";
import { DEFAULT_ARGS, type EpochRuns } from "../record/mod.ts";
import type { Mnist } from "../data/mod.ts";
import { createModel } from "../model/mod.ts";
import { train } from "../train/mod.ts";

/**
 * The project's one PyTorch script (`reference/torch_mnist.py`): the study's model trained
 * whole epochs (`train`), timed per step (`steps`) and stepped from given weights (`parity`).
 */
export const TORCH_SCRIPT: string =
  new URL("../../reference/torch_mnist.py", import.meta.url).pathname;

/** Hyper-parameters of every measured epoch (the study's defaults). */
const EPOCH = { batchSize: 128, lr: 1.0 };

/** One epoch of ours on the `blas` backend; seconds and accuracy as the trainer reports. */
export async function oursOneEpoch(data: Mnist, threads: number | null) {
  await setupBackend("blas", { threads, log: () => {} });
  const model = createModel(DEFAULT_ARGS.seed);
  try {
    const outcome = await train(model, data, {
      ...DEFAULT_ARGS,
      ...EPOCH,
      epochs: 1,
    });
    const m = outcome.epochs[0];
    if (outcome.status !== "ok" || !m) throw new Error(`training ${outcome.status}`);
    return { seconds: m.epochTime, valAcc: m.valAcc };
  } finally {
    model.dispose();
  }
}

/**
 * One epoch of {@linkcode TORCH_SCRIPT} `train` with `python`, parsed from its log line; null (with the
 * reason) when the script or torch is missing or the run fails.
 */
export async function pytorchOneEpoch(
  dataDir: string,
  threads: number,
  python = "/usr/bin/python3",
  script = TORCH_SCRIPT,
): Promise<{ seconds: number; valAcc: number } | string> {
  try {
    await Deno.stat(script);
  } catch {
    return `no PyTorch script at ${script}`;
  }
  let output;
  try {
    output = await new Deno.Command(python, {
      args: [
        script,
        "train",
        dataDir,
        "1",
        String(EPOCH.batchSize),
        String(EPOCH.lr),
        String(threads),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    return `cannot run ${python} (${(e as Error).message.split("\n")[0]})`;
  }
  const text = new TextDecoder().decode(output.stdout);
  const m = text.match(/val_acc=([0-9.]+)% \| epoch_time=([0-9.]+)s/);
  if (!output.success || !m) {
    const err = new TextDecoder().decode(output.stderr).trim().split("\n").at(-1) ?? "";
    return `${script} failed (${err || "no epoch line"})`;
  }
  return { seconds: Number(m[2]), valAcc: Number(m[1]) / 100 };
}

/**
 * Runs `runs` epochs of each, alternating which goes first; PyTorch is left out when not
 * asked for or (with a logged note) when it cannot run.
 */
export async function benchEpochs(
  data: Mnist,
  dataDir: string,
  runs: number,
  threads: number | null,
  log: (line: string) => void,
  withPytorch = true,
): Promise<EpochRuns[]> {
  const ours: EpochRuns = { name: "blas", seconds: [], valAcc: [] };
  const torch: EpochRuns = { name: "pytorch", seconds: [], valAcc: [] };
  let torchMissing: string | null = withPytorch ? null : "not asked (--vs-pytorch)";
  const runTorch = async () => {
    if (torchMissing !== null) return;
    const r = await pytorchOneEpoch(dataDir, threads ?? navigator.hardwareConcurrency);
    if (typeof r === "string") {
      torchMissing = r;
      log(`note: PyTorch epochs skipped: ${r}`);
      return;
    }
    torch.seconds.push(r.seconds);
    torch.valAcc.push(r.valAcc);
    log(`pytorch epoch: ${r.seconds.toFixed(2)} s, val_acc ${(100 * r.valAcc).toFixed(2)} %`);
  };
  const runOurs = async () => {
    const r = await oursOneEpoch(data, threads);
    ours.seconds.push(r.seconds);
    ours.valAcc.push(r.valAcc);
    log(`blas epoch: ${r.seconds.toFixed(2)} s, val_acc ${(100 * r.valAcc).toFixed(2)} %`);
  };
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      await runTorch();
      await runOurs();
    } else {
      await runOurs();
      await runTorch();
    }
  }
  return torch.seconds.length > 0 ? [ours, torch] : [ours];
}
