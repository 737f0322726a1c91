import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname;
const TASKS = Object.keys(JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks);

async function task(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", ...args],
    cwd: ROOT,
    stdin: "null",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

Deno.test("every task takes --help (also after --) and names itself in its usage line", async () => {
  assert.ok(TASKS.length >= 13, TASKS.join(" "));
  for (const name of TASKS) {
    for (const args of [[name, "--help"], [name, "--", "--help"]]) {
      const r = await task(args);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      const usage = r.stdout.split("\n").find((l) => l.startsWith("Usage: "));
      assert.ok(usage?.startsWith(`Usage: deno task ${name} `), `${args.join(" ")}: ${usage}`);
    }
  }
});

Deno.test("deno task notebooks -- NAME reaches the notebook name past the --", async () => {
  const r = await task(["notebooks", "--", "nope.ipynb"]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, "notebooks: no notebook 'nope.ipynb' (expected a file in notebooks/)\n");
});

Deno.test("study, test, check and wasm refuse an unknown option with one line, exit 2", async () => {
  for (const name of ["study", "test", "check", "wasm"]) {
    const r = await task([name, "--", "--bogus"]);
    assert.equal(r.code, 2, name);
    assert.match(
      r.stderr,
      new RegExp(`^${name}: unknown option '--bogus' \\(accepted: --help[^\\n]*\\)\\n$`),
    );
  }
});
