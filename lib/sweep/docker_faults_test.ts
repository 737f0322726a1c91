/**
 * Docker trials under faults, with the real daemon: a running trial container's privileges,
 * a kill -9 of the sweep (its container is found by label and stopped by the next sweep), and
 * a stop while the container is being created (it is removed and never runs late).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { readRecord } from "../record/mod.ts";
import { docker, dockerAvailable } from "./docker.ts";
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
    "docker runner: a running trial has least privilege; kill -9 of the sweep: the next sweep stops its container first",
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

      // kill -9: nothing stops the container; it is found by its label.
      live.child.kill("SIGKILL");
      await live.done;
      await delay(2000);
      assert.deepEqual(await containersOf(dir), [name]);

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
        `Stopping 1 trial(s) of an earlier sweep on ${dir} still running (container ${name})`,
      );
      assert.ok(stopping >= 0, next.stdout);
      assert.ok(stopping < next.stdout.indexOf("==> trial 1/1"), "stopped before a trial ran");
      assert.deepEqual(await containersOf(dir), [], "no container left");

      // The orphan recorded itself interrupted when stopped, before the new trial started.
      const records = await recordsIn(dir);
      const orphan = records.get(longId)!;
      const fresh = records.get("e1_b128_lr1_g0.7_s1_n512_t256")!;
      assert.equal(orphan.status, "interrupted");
      assert.equal(fresh.status, "ok");
      assert.ok(orphan.endedAt < fresh.startedAt, "the two never ran at once");
      // Files on the host are the caller's.
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
