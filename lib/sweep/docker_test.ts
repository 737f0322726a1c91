import assert from "node:assert/strict";
import { join } from "node:path";
import { docker, dockerAvailable, PROJECT_LABEL } from "./docker.ts";
import { ensureImage, imageId, imageTag } from "./image.ts";
import {
  caseLockAndInterrupt,
  caseRunResumeFail,
  caseStopKillResume,
  recordsIn,
  ROOT,
  sweep,
  tempResults,
  TINY,
} from "./sweep_cases_test.ts";

const up = await dockerAvailable();
const ci = (Deno.env.get("CI") ?? "") !== "";
if (!up) {
  console.log(
    `%cdocker tests SKIPPED: no Docker daemon answers (docker info)${
      ci ? "; CI is set: failing" : ""
    }`,
    "color: yellow",
  );
}

if (!up && ci) {
  Deno.test("docker runner: a Docker daemon must answer in CI (CI is set)", () => {
    assert.fail(
      "no Docker daemon answers; start one (scripts/ci/dockerd_start.sh) before the tests",
    );
  });
}

/** The image of this tree, built when missing (the first run takes minutes). */
async function projectImage(): Promise<string> {
  const image = await ensureImage(ROOT, () => {});
  return image.id;
}

const opts = {
  runner: "docker" as const,
  expectedImageId: projectImage,
  async assertNothingRunning(id: string) {
    const r = await docker(["ps", "-a", "-q", "--filter", `label=org.mnist-deno.trial=${id}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), "", `containers of ${id} left behind`);
  },
};

Deno.test({
  name: "docker runner: two trials, resume, a failing trial",
  ignore: !up,
  async fn() {
    await projectImage();
    await caseRunResumeFail(opts);
  },
});

Deno.test({
  name: "docker runner: the lock refuses a second sweep; Ctrl-C kills and records the trial",
  ignore: !up,
  async fn() {
    await projectImage();
    await caseLockAndInterrupt(opts);
  },
});

Deno.test({
  name: "docker runner: a stopped trial resumes from its checkpoint; a killed one is retried",
  ignore: !up,
  async fn() {
    await projectImage();
    await caseStopKillResume({
      ...opts,
      async kill(name) {
        // The container may still be starting: retry until docker kill finds it.
        for (let i = 0; i < 100; i++) {
          if ((await docker(["kill", name])).code === 0) return;
          await new Promise((r) => setTimeout(r, 200));
        }
        throw new Error(`docker kill ${name} never succeeded`);
      },
    });
  },
});

Deno.test({
  name: "docker runner: a normal uid can read the image's deno cache and owns its record",
  ignore: !up,
  async fn() {
    const id = await projectImage();
    const dir = await tempResults();
    // The sweep runs as root here, the container as uid 1000: let both write the records.
    await Deno.mkdir(join(dir, "trials"), { mode: 0o777 });
    await Deno.chmod(join(dir, "trials"), 0o777);
    try {
      const run = await sweep([
        "--runner",
        "docker",
        "--results",
        dir,
        "--user",
        "1000:1000",
        "--grid",
        "lr=0.5",
        ...TINY,
      ]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const [record] = (await recordsIn(dir)).values();
      assert.equal(record.status, "ok");
      assert.equal(record.environment.imageId, id);
      const stat = await Deno.stat(join(dir, "trials", `${record.id}.json`));
      assert.equal(stat.uid, 1000);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "docker image: labelled, tag is the tree's hash, runs as the deno user (uid 1993)",
  ignore: !up,
  async fn() {
    const id = await projectImage();
    const tag = await imageTag(ROOT);
    assert.match(tag, /^mnist-deno:[0-9a-f]{12}$/);
    assert.equal(await imageId(tag), id);
    const r = await docker([
      "image",
      "inspect",
      "--format",
      '{{index .Config.Labels "org.mnist-deno.project"}} {{.Config.User}}',
      tag,
    ]);
    assert.equal(r.stdout.trim(), `${PROJECT_LABEL.split("=")[1]} deno`);
    const uid = await docker(["run", "--rm", "--network", "none", "--entrypoint", "id", tag, "-u"]);
    assert.equal(uid.stdout.trim(), "1993");
    const help = await docker(["run", "--rm", "--network", "none", tag, "--help"]);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /--batch-size N/);
  },
});
