import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { collectEnvironment, cpuModel, gitCommit } from "./environment.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

Deno.test("gitCommit: the checked-out commit of a repository, null elsewhere", async () => {
  const out = await new Deno.Command("git", { args: ["-C", ROOT, "rev-parse", "HEAD"] }).output();
  assert.equal(gitCommit(ROOT), new TextDecoder().decode(out.stdout).trim());
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(gitCommit(dir), null);
  } finally {
    await Deno.remove(dir);
  }
});

Deno.test("collectEnvironment: this process, with what the caller knows", () => {
  const env = collectEnvironment({
    tfjs: "unknown",
    backend: "blas",
    threads: 2,
    imageId: null,
    gitCommit: "abc",
  });
  assert.equal(env.deno, Deno.version.deno);
  assert.equal(env.os, `${Deno.build.os} ${Deno.osRelease()}`);
  assert.equal(env.cpu, cpuModel());
  assert.deepEqual(
    [env.tfjs, env.backend, env.threads, env.imageId, env.gitCommit, env.library],
    ["unknown", "blas", 2, null, "abc", null],
  );
});
