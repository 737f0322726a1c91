/**
 * Docker trials under faults, with the real daemon: a running trial container's privileges,
 * a kill -9 of the sweep (the trial reads end-of-file on stdin and stops itself; a container
 * that does not is found by label and stopped by the next sweep), and
 * a stop while the container is being created (it is removed and never runs late).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { readRecord } from "../record/mod.ts";
import { docker, dockerAvailable, PROJECT_LABEL } from "./docker.ts";
import { ensureImage } from "./image.ts";
import { resultsKey } from "./orphans.ts";
import {
  delay,
  recordsIn,
  ROOT,
  startSweep,
  sweep,
  tempResults,
  TINY,
} from "./sweep_cases_test.ts";

const up = await dockerAvailable();
const LONG = ["--limit-train", "512", "--limit-test", "256"];

/** Containers (any state) labelled with this results directory's key. */
async function containersOf(dir: string): Promise<string[]> {
  const key = await resultsKey(dir);
  const r = await docker([
    "ps",
    "-a",
    "--filter",
    `label=org.mnist-deno.results=${key}`,
    "--format",
    "{{.Names}}",
  ]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split("\n").filter((l) => l.trim() !== "");
}

/** Containers (any state) with exactly this name: [] or [name]. */
async function containerNamed(name: string): Promise<string[]> {
  const r = await docker(["ps", "-a", "--filter", `name=^${name}$`, "--format", "{{.Names}}"]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split("\n").filter((l) => l.trim() !== "");
}

/** Removes whatever a failed test left behind. */
async function removeContainers(dir: string): Promise<void> {
  const names = await containersOf(dir);
  if (names.length > 0) await docker(["rm", "-f", ...names]);
}

Deno.test({
  name:
    "docker runner: a running trial has least privilege; kill -9 of the sweep: the trial stops itself; a container left running is stopped by the next sweep first",
  ignore: !up,
  async fn() {
    await ensureImage(ROOT, () => {});
    const dir = await tempResults();
    const key = await resultsKey(dir);
    const longId = "e1000_b128_lr1_g0.7_s1_n512_t256";
    try {
      const live = startSweep([
        "--runner",
        "docker",
        "--results",
        dir,
        "--memory",
        "2g",
        "--grid",
        "epochs=1000",
        ...LONG,
      ]);
      await live.waitFor(/Epoch \d+\/1000/, 300_000);
      const name = /running as (mnist-\S+)/.exec(live.output())![1];
      const inspect = await docker(["inspect", name]);
      assert.equal(inspect.code, 0, inspect.stderr);
      const [c] = JSON.parse(inspect.stdout);
      assert.equal(c.State.Running, true);
      // Not root although the caller is (uid 0 here): the image's deno user.
      if (Deno.uid() === 0) assert.equal(c.Config.User, "1993:1993");
      assert.doesNotMatch(c.Config.User, /^0(:|$)/);
      assert.deepEqual(c.HostConfig.CapDrop, ["ALL"]);
      assert.ok(!c.HostConfig.CapAdd || c.HostConfig.CapAdd.length === 0);
      assert.deepEqual(c.HostConfig.SecurityOpt, ["no-new-privileges"]);
      assert.equal(c.HostConfig.PidsLimit, 256);
      assert.equal(c.HostConfig.ReadonlyRootfs, true);
      assert.deepEqual(Object.keys(c.HostConfig.Tmpfs), ["/tmp"]);
      assert.equal(c.HostConfig.Memory, 2 * 1024 ** 3);
      assert.equal(c.HostConfig.MemorySwap, c.HostConfig.Memory, "no swap beyond the memory");
      assert.equal(c.HostConfig.Privileged, false);
      assert.equal(c.HostConfig.NetworkMode, "none");
      assert.equal(c.HostConfig.Init, true);
      assert.equal(c.Config.Labels["org.mnist-deno.results"], key);
      assert.match(c.Config.Labels["org.mnist-deno.sweep"], new RegExp(`^${live.child.pid}-\\d+$`));

      // kill -9: the sweep's end of the container's stdin closes; the trial stops by itself.
      live.child.kill("SIGKILL");
      await live.done;
      const killedAt = Date.now();
      while ((await containersOf(dir)).length > 0) {
        assert.ok(Date.now() - killedAt < 90_000, "the container still runs 90 s after kill -9");
        await delay(1000);
      }
      console.log(`container gone ${((Date.now() - killedAt) / 1000).toFixed(1)} s after kill -9`);
      const stopped = await readRecord(join(dir, "trials", `${longId}.json`));
      assert.equal(stopped.status, "interrupted");
      assert.ok(stopped.epochs.length < 1000);

      // A container that does not stop by itself (a sleep with the labels of a trial on this
      // directory, as an image from before the lifeline would leave) is found by its label and
      // stopped by the next sweep before anything runs.
      const orphan = `mnist-orphan-${crypto.randomUUID().slice(0, 6)}`;
      const made = await docker([
        "run",
        "-d",
        "--init",
        "--name",
        orphan,
        "--network",
        "none",
        "--label",
        PROJECT_LABEL,
        "--label",
        `org.mnist-deno.results=${key}`,
        "--label",
        "org.mnist-deno.sweep=1-1",
        "--entrypoint",
        "sleep",
        c.Config.Image,
        "600",
      ], 180_000);
      assert.equal(made.code, 0, made.stderr);
      assert.deepEqual(await containersOf(dir), [orphan]);

      const next = await sweep([
        "--runner",
        "docker",
        "--results",
        dir,
        "--grid",
        "lr=1.0",
        ...TINY,
      ]);
      assert.equal(next.code, 0, next.stdout + next.stderr);
      const stopping = next.stdout.indexOf(
        `Stopping 1 trial(s) of an earlier sweep on ${dir} still running (container ${orphan})`,
      );
      assert.ok(stopping >= 0, next.stdout);
      assert.ok(stopping < next.stdout.indexOf("==> trial 1/1"), "stopped before a trial ran");
      assert.deepEqual(await containersOf(dir), [], "no container left");
      const records = await recordsIn(dir);
      const fresh = records.get("e1_b128_lr1_g0.7_s1_n512_t256")!;
      assert.equal(fresh.status, "ok");
      assert.equal(records.get(longId)!.status, "interrupted");
      // Files on the host are the caller's, the record written after the sweep died included.
      for (const f of [`${longId}.json`, `${fresh.id}.json`, ""]) {
        const st = await Deno.stat(join(dir, "trials", f));
        assert.equal(st.uid, Deno.uid(), `${f || "trials/"} owned by uid ${st.uid}`);
      }
    } finally {
      await removeContainers(dir);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "docker runner: a stop while the container is being created removes it; it never runs late",
  ignore: !up,
  async fn() {
    await ensureImage(ROOT, () => {});
    const dir = await tempResults();
    const id = "e1_b128_lr0.5_g0.7_s1_n512_t256";
    try {
      const live = startSweep([
        "--runner",
        "docker",
        "--results",
        dir,
        "--grid",
        "lr=0.5",
        ...TINY,
      ]);
      // The name is printed as `docker create` starts; creating takes 15-30 s on vfs.
      await live.waitFor(/running as mnist-\S+/, 120_000);
      const name = /running as (mnist-\S+)/.exec(live.output())![1];
      live.child.kill("SIGINT");
      const end = await live.done;
      assert.equal(end.code, 130, end.stdout + end.stderr);
      assert.doesNotMatch(end.stdout, /Epoch 01/, "stopped before it trained");
      const path = join(dir, "trials", `${id}.json`);
      const r = await readRecord(path);
      assert.equal(r.status, "interrupted");
      const mtime = (await Deno.stat(path)).mtime!.getTime();
      assert.deepEqual(await containerNamed(name), [], "the container is removed");
      // Long enough for a late container to be created, start and finish a tiny trial.
      await delay(45_000);
      assert.deepEqual(await containerNamed(name), [], "no container appeared later");
      assert.equal((await readRecord(path)).status, "interrupted");
      assert.equal((await Deno.stat(path)).mtime!.getTime(), mtime, "the record was not rewritten");
    } finally {
      await removeContainers(dir);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
