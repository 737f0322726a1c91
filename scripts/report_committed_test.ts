import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname;
const SCRIPT = `${ROOT}scripts/report.ts`;

Deno.test("report: the committed records regenerate the committed report byte for byte", async () => {
  const work = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${work}/results/trials`, { recursive: true });
    for (const e of Deno.readDirSync(`${ROOT}results/trials`)) {
      if (!e.isFile || !e.name.endsWith(".json")) continue; // e.g. a local <id>.model/
      await Deno.copyFile(`${ROOT}results/trials/${e.name}`, `${work}/results/trials/${e.name}`);
    }
    await Deno.copyFile(`${ROOT}results/bench.json`, `${work}/results/bench.json`);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", SCRIPT],
      cwd: work,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(
      await Deno.readTextFile(`${work}/results/REPORT.md`),
      await Deno.readTextFile(`${ROOT}results/REPORT.md`),
    );
    const committed = [...Deno.readDirSync(`${ROOT}results/charts`)].map((e) => e.name).sort();
    const made = [...Deno.readDirSync(`${work}/results/charts`)].map((e) => e.name).sort();
    assert.deepEqual(made, committed);
    for (const name of committed) {
      assert.deepEqual(
        await Deno.readFile(`${work}/results/charts/${name}`),
        await Deno.readFile(`${ROOT}results/charts/${name}`),
        name,
      );
    }
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});
