import assert from "node:assert/strict";
import { DEFAULT_ARGS, trialId } from "../record/mod.ts";
import { DockerRunner } from "./docker_runner.ts";
import { LocalRunner } from "./local_runner.ts";

const args = { ...DEFAULT_ARGS, lr: -1, limitTrain: 512, dataDir: "/data/mnist" };
const job = {
  id: trialId(args),
  args,
  resultsDir: "/tmp/res",
  recordPath: `/tmp/res/trials/${trialId(args)}.json`,
  saveModel: false,
  slot: 1,
};

/** The value after `flag` in `argv` (every occurrence). */
function values(argv: string[], flag: string): string[] {
  return argv.flatMap((a, i) => (a === flag ? [argv[i + 1]] : []));
}

Deno.test("docker create: isolated, least privilege, limited, pinned, labelled, mounted", () => {
  const runner = new DockerRunner({
    image: "mnist-deno:0123456789ab",
    imageId: "sha256:abc",
    gitCommit: "deadbeef",
    cpus: 1,
    memory: "4g",
    cpusets: ["0", "1"],
    user: "1000:1000",
    handBackTo: null,
    resultsKey: "0123456789abcdef",
    sweepId: "42-1234",
  });
  const argv = runner.createArgs(job, "mnist-x");
  // -i: stdin stays open for `docker start -i`, the trial's lifeline to its sweep.
  assert.deepEqual(argv.slice(0, 4), ["create", "--rm", "--init", "-i"]);
  assert.deepEqual(values(argv, "--network"), ["none"]);
  assert.deepEqual(values(argv, "--memory-swap"), ["4g"]);
  assert.deepEqual(values(argv, "--pids-limit"), ["256"]);
  assert.deepEqual(values(argv, "--cap-drop"), ["ALL"]);
  assert.deepEqual(values(argv, "--security-opt"), ["no-new-privileges"]);
  assert.ok(argv.includes("--read-only"));
  assert.deepEqual(values(argv, "--tmpfs"), ["/tmp:rw,nosuid,nodev,size=64m"]);
  assert.deepEqual(values(argv, "--cpuset-cpus"), ["1"]);
  assert.deepEqual(values(argv, "--cpus"), ["1"]);
  assert.deepEqual(values(argv, "--memory"), ["4g"]);
  assert.deepEqual(values(argv, "--user"), ["1000:1000"]);
  assert.deepEqual(values(argv, "--name"), ["mnist-x"]);
  assert.deepEqual(values(argv, "--label"), [
    "org.mnist-deno.project=1",
    `org.mnist-deno.trial=${job.id}`,
    "org.mnist-deno.results=0123456789abcdef",
    "org.mnist-deno.sweep=42-1234",
  ]);
  assert.deepEqual(values(argv, "-v"), ["/tmp/res:/results", "/data/mnist:/data/mnist:ro"]);
  assert.deepEqual(values(argv, "-e"), [
    "TRIAL_IMAGE_ID=sha256:abc",
    "TRIAL_PARENT_PIPE=stdin",
    "TRIAL_GIT_COMMIT=deadbeef",
  ]);
  const image = argv.indexOf("mnist-deno:0123456789ab");
  assert.deepEqual(argv.slice(image + 1), [
    "--epochs=5",
    "--batch-size=128",
    "--lr=-1",
    "--gamma=0.7",
    "--seed=1",
    "--test-batch-size=1000",
    "--limit-train=512",
    "--data-dir=/data/mnist",
    `--out=/results/trials/${job.id}.json`,
    `--checkpoint-dir=/results/checkpoints/${job.id}`,
  ]);
  // With --save-model the model goes beside the record, as the container sees it.
  assert.equal(
    runner.createArgs({ ...job, saveModel: true }, "mnist-x").at(-1),
    `--save-model=/results/trials/${job.id}.model`,
  );
});

Deno.test("local run: a deno subprocess of scripts/train.ts, taskset when pinned", () => {
  const plain = new LocalRunner({ root: "/repo", gitCommit: null, cpusets: null, resultsKey: "k" });
  const argv = plain.commandLine(job);
  assert.equal(argv[0], Deno.execPath());
  assert.deepEqual(argv.slice(1, 4), ["run", "--allow-all", "/repo/scripts/train.ts"]);
  assert.deepEqual(argv.slice(-2), [
    `--out=${job.recordPath}`,
    `--checkpoint-dir=/tmp/res/checkpoints/${job.id}`,
  ]);
  assert.equal(
    plain.commandLine({ ...job, saveModel: true }).at(-1),
    `--save-model=/tmp/res/trials/${job.id}.model`,
  );
  const pinned = new LocalRunner({
    root: "/repo",
    gitCommit: null,
    cpusets: ["0", "1"],
    resultsKey: "k",
  });
  assert.deepEqual(pinned.commandLine(job).slice(0, 3), ["taskset", "-c", "1"]);
});
