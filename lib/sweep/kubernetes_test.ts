import assert from "node:assert/strict";
import { join } from "node:path";
import { findFramedRecord, trialId } from "../record/mod.ts";
import { kubernetesManifests, kubernetesMemory, MANIFEST_FILES } from "./kubernetes.ts";
import { planArgv, planEntries } from "./plan_index.ts";
import { ROOT, sweep, tempResults } from "./sweep_cases_test.ts";
import { DEFAULT_ARGS } from "../record/mod.ts";

const trials = [0.5, 0.25, 0.125].map((lr) => {
  const args = { ...DEFAULT_ARGS, epochs: 1, lr, limitTrain: 512, limitTest: 256 };
  return { id: trialId(args), args };
});
const options = {
  image: "reg.example:5000/mnist-deno@sha256:" + "a".repeat(64),
  imageId: "sha256:" + "b".repeat(64),
  gitCommit: "c".repeat(40),
  cpus: 2,
  memory: "4g",
  parallelism: 2,
  retries: 1,
  resultsDir: "/data/results",
};

// deno-lint-ignore no-explicit-any
type Json = any;

Deno.test("kubernetes: the Indexed Job, field by field", () => {
  const m = kubernetesManifests(trials, options);
  const job = m.job as Json;
  assert.match(m.name, /^mnist-sweep-[0-9a-f]{12}$/);
  assert.equal(job.apiVersion, "batch/v1");
  assert.equal(job.kind, "Job");
  assert.equal(job.metadata.name, m.name);
  assert.equal(job.metadata.labels["org.mnist-deno.project"], "1");
  assert.equal(job.metadata.labels["org.mnist-deno.sweep"], m.name);
  assert.equal(job.spec.completionMode, "Indexed");
  assert.equal(job.spec.completions, 3);
  assert.equal(job.spec.parallelism, 2);
  assert.equal(job.spec.backoffLimitPerIndex, 1);
  assert.equal(job.spec.maxFailedIndexes, 3);
  const pod = job.spec.template.spec;
  assert.equal(pod.restartPolicy, "Never");
  assert.equal(pod.automountServiceAccountToken, false);
  assert.deepEqual(pod.securityContext, {
    runAsNonRoot: true,
    runAsUser: 1993,
    runAsGroup: 1993,
    seccompProfile: { type: "RuntimeDefault" },
  });
  assert.equal(pod.containers.length, 1);
  const c = pod.containers[0];
  assert.equal(c.image, options.image);
  assert.deepEqual(c.args, ["--plan", "/plan/plan.json"]);
  assert.deepEqual(c.resources, {
    requests: { cpu: "2", memory: "4Gi" },
    limits: { cpu: "2", memory: "4Gi" },
  });
  assert.deepEqual(c.securityContext, {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    privileged: false,
    capabilities: { drop: ["ALL"] },
  });
  const env = Object.fromEntries(c.env.map((e: Json) => [e.name, e.value ?? e.valueFrom]));
  assert.deepEqual(env, {
    TRIAL_RECORD_FRAME: "1",
    TRIAL_RUNNER: "kubernetes",
    TRIAL_NODE: { fieldRef: { fieldPath: "spec.nodeName" } },
    TRIAL_IMAGE_ID: options.imageId,
    TRIAL_GIT_COMMIT: options.gitCommit,
  });
  assert.deepEqual(c.volumeMounts.map((v: Json) => [v.name, v.mountPath, v.readOnly ?? false]), [
    ["plan", "/plan", true],
    ["tmp", "/tmp", false],
    ["results", "/results", false],
  ]);
  assert.deepEqual(pod.volumes[0], { name: "plan", configMap: { name: m.name } });
  const np = m.networkPolicy as Json;
  assert.deepEqual(np.spec, {
    podSelector: { matchLabels: { "org.mnist-deno.sweep": m.name } },
    policyTypes: ["Ingress", "Egress"],
  });
  assert.equal(job.spec.template.metadata.labels["org.mnist-deno.sweep"], m.name);
});

Deno.test("kubernetes: the ConfigMap's plan maps each index to its trial's flags", () => {
  const m = kubernetesManifests(trials, options);
  const cm = m.configMap as Json;
  assert.equal(cm.kind, "ConfigMap");
  const plan = JSON.parse(cm.data["plan.json"]);
  assert.deepEqual(plan, planEntries(trials));
  assert.deepEqual(planArgv(cm.data["plan.json"], "1"), [
    "--epochs=1",
    "--batch-size=128",
    "--lr=0.25",
    "--gamma=0.7",
    "--seed=1",
    "--test-batch-size=1000",
    "--limit-train=512",
    "--limit-test=256",
    `--out=/tmp/trials/${trials[1].id}.json`,
  ]);
  assert.throws(
    () => planArgv(cm.data["plan.json"], "3"),
    /JOB_COMPLETION_INDEX "3": expected 0\.\.2/,
  );
  assert.throws(() => planArgv(cm.data["plan.json"], undefined), /JOB_COMPLETION_INDEX null/);
  assert.throws(() => planArgv("{}", "0"), /not a JSON list/);
});

Deno.test("kubernetes: manifests are deterministic; name changes with the trials", () => {
  const a = JSON.stringify(kubernetesManifests(trials, options));
  assert.equal(JSON.stringify(kubernetesManifests(trials, options)), a);
  assert.notEqual(kubernetesManifests(trials.slice(1), options).name, JSON.parse(a).name);
  assert.equal(kubernetesMemory("512m"), "512Mi");
  assert.equal(kubernetesMemory("1048576"), "1048576");
  assert.throws(() => kubernetesMemory("4 GB"), /--memory "4 GB": expected N, Nk, Nm or Ng/);
  const many = Array.from({ length: 10000 }, (_, seed) => {
    const args = { ...DEFAULT_ARGS, seed };
    return { id: trialId(args), args };
  });
  assert.throws(
    () => kubernetesManifests(many, options),
    /^Error: 10000 trials make a plan of \d+ KiB, over what a ConfigMap holds \(1 MiB\)/,
  );
});

Deno.test("kubernetes: --emit writes the manifests of the pending trials", async () => {
  const dir = await tempResults();
  try {
    const out = join(dir, "k8s");
    const run = await sweep([
      "--runner",
      "kubernetes",
      "--emit",
      out,
      "--results",
      dir,
      "--jobs",
      "2",
      "--grid",
      "lr=0.5,0.25,0.125",
      "--epochs",
      "1",
      "--limit-train",
      "512",
      "--limit-test",
      "256",
    ]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /Indexed Job mnist-sweep-[0-9a-f]{12}, 3 trial\(s\), parallelism 2/);
    const names = [];
    for await (const e of Deno.readDir(out)) names.push(e.name);
    assert.deepEqual(names.sort(), MANIFEST_FILES);
    const job = JSON.parse(await Deno.readTextFile(join(out, "30-job.json")));
    assert.equal(job.spec.completions, 3);
    assert.match(job.spec.template.spec.containers[0].image, /^mnist-deno:[0-9a-f]{12}$/);
    const usage = await sweep(["--runner", "docker", "--emit", out, "--results", dir]);
    assert.equal(usage.code, 2);
    assert.equal(usage.stderr.trim(), "sweep: --emit: only with --runner kubernetes");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kubernetes: a pod's command (--plan, JOB_COMPLETION_INDEX) prints its record framed", async () => {
  const dir = await tempResults();
  try {
    const m = kubernetesManifests(trials, options);
    const planFile = join(dir, "plan.json");
    await Deno.writeTextFile(planFile, (m.configMap as Json).data["plan.json"]);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", join(ROOT, "scripts", "train.ts"), "--plan", planFile],
      env: {
        JOB_COMPLETION_INDEX: "2",
        TRIAL_RECORD_FRAME: "1",
        TRIAL_NODE: "node-7",
        TRIAL_RECORD_DIR: dir,
      },
      cwd: dir,
      stdin: "null",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const found = findFramedRecord(stdout.split("\n"), trials[2].id);
    assert.equal(found.problem, null);
    assert.equal(found.record!.status, "ok");
    assert.equal(found.record!.args.lr, 0.125);
    assert.equal(found.record!.environment.node, "node-7");
    assert.match(stdout, /^Epoch 01\/1 \|/m);
    const file = await Deno.readTextFile(join(dir, `${trials[2].id}.json`));
    assert.equal(file, found.json, "the frame carries the record file byte for byte");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
