/**
 * The swarm runner on a real 2-node swarm on this machine (scripts/ci/swarm_fixture.sh: the
 * Docker daemon as manager, a second dockerd in a network namespace as worker, a registry):
 * a sweep whose trials run on both nodes, metrics identical to the docker runner's, SIGTERM,
 * kill -9 of the sweep and the next sweep attaching, a worker killed mid-trial, and the
 * one-line errors. Needs root and a Docker daemon; skipped with a message otherwise, failing
 * when CI is set.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { docker, dockerAvailable } from "./docker.ts";
import { ensureImage } from "./image.ts";
import {
  type LiveSweep,
  recordsIn,
  ROOT,
  startSweep as startLive,
  sweep,
  tempResults,
} from "./sweep_cases_test.ts";
import { TRIAL_LABEL } from "./swarm.ts";

const FIXTURE = join(ROOT, "scripts", "ci", "swarm_fixture.sh");
const ci = (Deno.env.get("CI") ?? "") !== "";
const root = Deno.uid() === 0;
const up = await dockerAvailable();
const swarmState = up
  ? (await docker(["info", "--format", "{{.Swarm.LocalNodeState}}"])).stdout.trim()
  : "";
const why = !up
  ? "no Docker daemon answers"
  : !root
  ? "not root (the fixture makes a network namespace and starts a dockerd)"
  : swarmState !== "inactive"
  ? `the Docker daemon is already in a swarm (${swarmState})`
  : null;
if (why) {
  console.log(`%cswarm tests SKIPPED: ${why}${ci ? "; CI is set: failing" : ""}`, "color: yellow");
}
if (why && ci) {
  Deno.test("swarm runner: the 2-node swarm fixture must be possible in CI (CI is set)", () => {
    assert.fail(why);
  });
}

/** The fixture's KEY=VALUE output. */
type Fixture = Record<string, string>;

async function fixture(action: "up" | "down" | "kill-worker"): Promise<Fixture> {
  const out = await new Deno.Command("bash", { args: [FIXTURE, action], stdin: "null" }).output();
  const text = new TextDecoder();
  assert.equal(out.code, 0, `swarm_fixture.sh ${action}: ${text.decode(out.stderr)}`);
  return Object.fromEntries(
    text.decode(out.stdout).split("\n").filter((l) => l.includes("=")).map((l) => {
      const at = l.indexOf("=");
      return [l.slice(0, at), l.slice(at + 1)];
    }),
  );
}

/** Names of the services of trial `id`. */
async function servicesOf(id: string): Promise<string[]> {
  const r = await docker(["service", "ls", "--filter", `label=${TRIAL_LABEL}=${id}`, "-q"]);
  return r.stdout.split("\n").filter((l) => l.trim() !== "");
}

const TINY = ["--epochs", "1", "--limit-train", "512", "--limit-test", "256"];

/** Seconds of each `<== id: ok (X s)` line. */
function trialSeconds(output: string): number[] {
  return [...output.matchAll(/<== \S+: ok \(([0-9.]+) s\)/g)].map((m) => Number(m[1]));
}

Deno.test({
  name: "swarm runner: a real 2-node swarm with a registry (sweep, docker parity, faults)",
  ignore: why !== null,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await ensureImage(ROOT, () => {});
    const dirs: string[] = [];
    const dir = async () => {
      const d = await tempResults();
      dirs.push(d);
      return d;
    };
    let env: Fixture = {};
    // Sweeps started in the background: killed at the end if a failed step left one running.
    const lives: LiveSweep[] = [];
    const startSweep = (args: string[]) => {
      const live = startLive(args);
      lives.push(live);
      return live;
    };
    try {
      env = await fixture("up");
      const registry = env.SWARM_REGISTRY;
      const worker = env.SWARM_WORKER_NODE;
      const manager = env.SWARM_MANAGER_NODE;
      const swarm = ["--runner", "swarm", "--registry", registry];

      await t.step("an unreachable registry: one line, exit 1", async () => {
        const run = await sweep([
          "--runner",
          "swarm",
          "--registry",
          "127.0.0.1:1",
          "--results",
          await dir(),
          ...TINY,
          "--grid",
          "lr=0.9",
        ]);
        assert.equal(run.code, 1, run.stdout + run.stderr);
        assert.match(
          run.stderr,
          /^sweep: cannot push 127\.0\.0\.1:1\/mnist-deno:\S+: .*127\.0\.0\.1:1/m,
        );
        // Other tests' trials may run beside this one: their warning is not this error.
        const lines = run.stderr.trim().split("\n").filter((l) => !l.startsWith("sweep: warning:"));
        assert.equal(lines.length, 1, run.stderr);
      });

      let swarmDir = "";
      await t.step("4 trials run on both nodes; records say swarm and the node", async () => {
        swarmDir = await dir();
        const args = [...swarm, "--results", swarmDir, ...TINY, "--grid", "lr=1.0,0.5,0.25,0.125"];
        const run = await sweep(args);
        assert.equal(run.code, 0, run.stdout + run.stderr);
        assert.match(run.stdout, /Swarm: 2 usable node\(s\).*2 trial\(s\) in flight/);
        assert.match(run.stdout, new RegExp(`\\] \\(${worker}\\) Epoch 01/1`));
        const records = await recordsIn(swarmDir);
        assert.equal(records.size, 4);
        const nodes = new Set<string>();
        for (const r of records.values()) {
          assert.equal(r.status, "ok");
          assert.equal(r.environment.runner, "swarm");
          nodes.add(r.environment.node!);
        }
        assert.deepEqual([...nodes].sort(), [manager, worker].sort());
        for (const id of records.keys()) assert.deepEqual(await servicesOf(id), []);
        console.log(`swarm: seconds per trial ${trialSeconds(run.stdout).join(", ")}`);
      });

      await t.step(
        "metrics identical to the docker runner for the same image and args",
        async () => {
          const dockerDir = await dir();
          const run = await sweep([
            "--runner",
            "docker",
            "--results",
            dockerDir,
            ...TINY,
            "--grid",
            "lr=0.5",
          ]);
          assert.equal(run.code, 0, run.stdout + run.stderr);
          console.log(`docker: seconds per trial ${trialSeconds(run.stdout).join(", ")}`);
          const [d] = (await recordsIn(dockerDir)).values();
          const s = (await recordsIn(swarmDir)).get(d.id)!;
          const metrics = (r: typeof d) =>
            r.epochs.map((e) => [e.epoch, e.lr, e.trainLoss, e.trainAcc, e.valLoss, e.valAcc]);
          assert.deepEqual(metrics(s), metrics(d));
          assert.deepEqual(s.dataset, d.dataset);
          assert.equal(s.environment.imageId, d.environment.imageId);
        },
      );

      await t.step("SIGTERM removes the services and records the trial interrupted", async () => {
        const results = await dir();
        const live = startSweep([...swarm, "--results", results, ...TINY, "--grid", "lr=0.3"]);
        await live.waitFor("running as", 120_000);
        live.child.kill("SIGTERM");
        const run = await live.done;
        assert.equal(run.code, 130, live.output());
        const [r] = (await recordsIn(results)).values();
        assert.equal(r.status, "interrupted");
        assert.deepEqual(await servicesOf(r.id), []);
      });

      await t.step(
        "kill -9 of the sweep: docker:clean lists the service, the next sweep attaches",
        async () => {
          const results = await dir();
          const args = [...swarm, "--results", results, ...TINY, "--grid", "lr=0.2"];
          const live = startSweep(args);
          await live.waitFor("running as", 120_000);
          live.child.kill("SIGKILL");
          await live.done;
          const id = "e1_b128_lr0.2_g0.7_s1_n512_t256";
          const left = await servicesOf(id);
          assert.equal(left.length, 1, "the killed sweep's service is still there");
          const clean = await new Deno.Command(Deno.execPath(), {
            args: ["run", "--allow-all", join(ROOT, "scripts", "docker_clean.ts"), "--dry-run"],
            stdin: "null",
          }).output();
          assert.match(
            new TextDecoder().decode(clean.stdout),
            /would remove [1-9]\d* service\(s\)[^]*service mnist-e1-b128-lr0-2-/,
          );
          const run = await sweep(args);
          assert.equal(run.code, 0, run.stdout + run.stderr);
          assert.match(run.stdout, /left from an earlier sweep: attaching/);
          assert.equal((await recordsIn(results)).get(id)?.status, "ok");
          assert.deepEqual(await servicesOf(id), []);
        },
      );

      await t.step(
        "a worker killed mid-trial: noticed, rerun on the manager, recorded once",
        async () => {
          const results = await dir();
          const live = startSweep([
            ...swarm,
            "--results",
            results,
            "--epochs",
            "3",
            "--limit-train",
            "4096",
            "--limit-test",
            "256",
            "--grid",
            "lr=0.6,0.7",
          ]);
          await live.waitFor(new RegExp(`\\(${worker}\\) training on`), 600_000);
          await fixture("kill-worker");
          const killed = Date.now();
          await live.waitFor(`node ${worker} went down`, 120_000);
          console.log(`dead worker noticed after ${((Date.now() - killed) / 1000).toFixed(1)} s`);
          const run = await live.done;
          assert.equal(run.code, 0, live.output());
          assert.match(live.output(), /running the trial again on another node \(attempt 2 of 2\)/);
          const records = await recordsIn(results);
          assert.equal(records.size, 2);
          for (const r of records.values()) {
            assert.equal(r.status, "ok");
            assert.equal(r.environment.node, manager);
          }
        },
      );
    } finally {
      for (const live of lives) {
        try {
          live.child.kill("SIGKILL");
        } catch { /* already ended */ }
        await live.done;
      }
      await fixture("down");
      for (const d of dirs) await Deno.remove(d, { recursive: true }).catch(() => {});
    }

    await t.step("no swarm: one line naming docker swarm init, exit 1", async () => {
      const results = await dir();
      const run = await sweep([
        "--runner",
        "swarm",
        "--results",
        results,
        ...TINY,
        "--grid",
        "lr=0.9",
      ]);
      await Deno.remove(results, { recursive: true });
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.equal(
        run.stderr.trim(),
        "sweep: --runner swarm: this Docker daemon is not in a swarm (state: inactive); run " +
          "'docker swarm init' (one node) or set DOCKER_HOST to a swarm manager",
      );
    });
  },
});
