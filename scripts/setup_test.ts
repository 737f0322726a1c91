import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname;

/** Every `.ts` file under `dir`, recursively. */
async function* sources(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory && entry.name !== "node_modules") yield* sources(path);
    else if (entry.isFile && entry.name.endsWith(".ts")) yield path;
  }
}

/** Programs named by a string literal as the first argument of Deno.Command or spawnStreaming. */
async function programsRun(): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const dir of ["lib", "scripts"]) {
    for await (const path of sources(`${ROOT}${dir}`)) {
      const text = await Deno.readTextFile(path);
      for (const m of text.matchAll(/(?:Deno\.Command|spawnStreaming)\(\s*"([^"]+)"/g)) {
        found.set(m[1], path.slice(ROOT.length));
      }
    }
  }
  return found;
}

Deno.test("every program a test or script runs is listed in scripts/setup.sh with what installs it", async () => {
  const setup = await Deno.readTextFile(`${ROOT}scripts/setup.sh`);
  const header = setup.split("\n").filter((l) => l.startsWith("#")).join("\n");
  const essential = ["sh", "bash", "true", "sleep", "setsid", "taskset"];
  const missing = [...await programsRun()]
    .filter(([name]) =>
      !essential.includes(name) && !header.includes(`${name} `) &&
      !header.includes(`${name},`)
    )
    .map(([name, where]) => `${name} (${where})`);
  assert.deepEqual(missing, []);
});

Deno.test("setup installs the packages its header names", async () => {
  const setup = await Deno.readTextFile(`${ROOT}scripts/setup.sh`);
  const installed = [...setup.matchAll(/packages(?:\+)?=\(([^)]*)\)/g)]
    .flatMap((m) => m[1].split(/\s+/)).filter(Boolean);
  const named = [...setup.matchAll(/^# {3}.*? {2,}([a-z0-9. -]+?)(?: \(--full\))?$/gm)]
    .flatMap((m) => m[1].trim().split(/\s+/));
  assert.ok(named.length >= 9, `header lists ${named.length} packages`);
  assert.deepEqual(named.filter((p) => !installed.includes(p)), []);
});

Deno.test("no test or script runs ImageMagick (setup does not install it)", async () => {
  const programs = await programsRun();
  assert.equal(programs.has("convert"), false);
  assert.equal(programs.has("magick"), false);
});
