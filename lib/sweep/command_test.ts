import assert from "node:assert/strict";
import { join } from "node:path";
import { sweep } from "./sweep_cases_test.ts";

/** Names of the entries of `dir`, or null when it does not exist. */
function entries(dir: string): string[] | null {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

Deno.test("sweep: grid values and trial flags get the trial CLI's checks up front (exit 2, nothing written)", async () => {
  const parent = await Deno.makeTempDir({ prefix: "mnist-sweep-bad-" });
  const results = join(parent, "results");
  // `x/` + as many `../` as it takes to climb from results/trials/ to the root, then into parent.
  const target = join(parent, "pwned");
  const escape = `x/${"../".repeat(results.split("/").length + 2)}${target.slice(1)}`;
  try {
    const cases: [string[], RegExp][] = [
      [
        ["--grid", `backend=${escape}`],
        /^sweep: --grid "backend=x\/.*": --backend must be one of auto, blas, tensorflow, webgpu, cpu, got "x\/\.\.\/.*pwned"\n$/,
      ],
      [
        ["--grid", "epochs=1,0"],
        /^sweep: --grid "epochs=1,0": --epochs must be a whole number from 1 to 1000, got "0"\n$/,
      ],
      [
        ["--grid", "lr=1.0,-1"],
        /^sweep: --grid "lr=1.0,-1": --lr must be a number > 0, got "-1"\n$/,
      ],
      [["--lr=-1"], /^sweep: --lr must be a number > 0, got "-1"\n$/],
      [
        ["--backend", "gpu"],
        /^sweep: --backend must be one of auto, blas, tensorflow, webgpu, cpu, got "gpu"\n$/,
      ],
    ];
    for (const [flags, message] of cases) {
      for (const runner of ["local", "docker"]) {
        await checkRefused(runner, flags, message);
      }
    }
    // Flags of the remote runners, refused before a swarm or cluster is even asked.
    const remote: [string, string[], RegExp][] = [
      [
        "swarm",
        ["--save-model"],
        /^sweep: --save-model: not available with --runner swarm \(a trial's model stays on the node that ran it; only its record comes back\); use --runner docker or local\n$/,
      ],
      [
        "kubernetes",
        ["--save-model", "--emit", join(parent, "k8s")],
        /^sweep: --save-model: not available with --runner kubernetes /,
      ],
      [
        "swarm",
        ["--registry", "bad/../x!"],
        /^sweep: --registry "bad\/\.\.\/x!": expected HOST\[:PORT\]\[\/PATH\]\n$/,
      ],
    ];
    for (const [runner, flags, message] of remote) await checkRefused(runner, flags, message);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }

  async function checkRefused(runner: string, flags: string[], message: RegExp) {
    const r = await sweep(["--runner", runner, "--results", results, ...flags]);
    assert.equal(r.code, 2, `${runner} ${flags.join(" ")}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, "");
    assert.equal(entries(results), null, "the results directory was not even created");
    assert.deepEqual(entries(parent), [], `nothing written next to it (${flags.join(" ")})`);
  }
});
