import assert from "node:assert/strict";
import { writeFileAtomic } from "./record.ts";

Deno.test("results: writeFileAtomic replaces the file and leaves no temporary", async () => {
  const dir = await Deno.makeTempDir();
  await writeFileAtomic(`${dir}/r.json`, "one");
  await writeFileAtomic(`${dir}/r.json`, "two");
  assert.equal(await Deno.readTextFile(`${dir}/r.json`), "two");
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["r.json"]);
  await assert.rejects(() => writeFileAtomic(`${dir}/missing/r.json`, "x"));
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["r.json"]);
});
