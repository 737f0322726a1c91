import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { type BackendName, BACKENDS, isSoftwareAdapter, setupBackend } from "./mod.ts";

Deno.test("setupBackend('blas') activates blas with the threads asked for", async () => {
  const lines: string[] = [];
  const info = await setupBackend("blas", { threads: 1, log: (l) => lines.push(l) });
  assert.deepEqual({ ...info, library: undefined }, {
    name: "blas",
    threads: 1,
    library: undefined,
  });
  // OpenBLAS names its build and the CPU kernel it chose (Haswell, Cooperlake, ...).
  assert.match(info.library!, /^OpenBLAS \d+\.\d+\.\d+ .*\b[A-Z][A-Za-z0-9]+\b/);
  assert.equal(tf.getBackend(), "blas");
  assert.match(lines.join("\n"), /backend blas: .*\(OpenBLAS .*\), 1 threads/);
});

Deno.test("setupBackend('auto') picks blas here and says so in one line", async () => {
  const lines: string[] = [];
  const info = await setupBackend("auto", { threads: 2, log: (l) => lines.push(l) });
  assert.equal(info.name, "blas");
  const said = lines.filter((l) => !l.startsWith("note: "));
  assert.equal(said.length, 1, lines.join("\n"));
  assert.match(said[0], /^backend blas \(auto\): \S+ \(OpenBLAS .*\), 2 threads$/);
});

Deno.test("setupBackend('cpu') activates the pure-JS backend", async () => {
  assert.equal((await setupBackend("cpu", {})).name, "cpu");
  assert.equal(tf.getBackend(), "cpu");
});

Deno.test("bad names, bad threads and a missing tfjs-node give one-line errors", async () => {
  const oneLine = (re: RegExp) => (e: Error) => {
    assert.match(e.message, re);
    assert.ok(!e.message.includes("\n"));
    return true;
  };
  await assert.rejects(
    setupBackend("tpu" as BackendName, {}),
    oneLine(/unknown backend "tpu": expected one of auto, blas, tensorflow, webgpu, cpu/),
  );
  await assert.rejects(setupBackend("blas", { threads: 0 }), oneLine(/threads must be/));
  await assert.rejects(setupBackend("tensorflow", {}), oneLine(/tfjs-node.*--backend blas/));
  assert.deepEqual([...BACKENDS], ["auto", "blas", "tensorflow", "webgpu", "cpu"]);
});

Deno.test("a missing BLAS library fails with the install hint on one line", async () => {
  const code = `import { loadBlas } from "${new URL("./openblas.ts", import.meta.url).href}";
try { loadBlas(); console.log("loaded"); } catch (e) { console.log(e.message); }`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    env: { MNIST_BLAS_LIB: "/nonexistent/libopenblas.so" },
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  assert.match(text, /^MNIST_BLAS_LIB=\/nonexistent\/libopenblas.so could not be loaded/);
  assert.equal(text.split("\n").length, 1);
});

Deno.test("software WebGPU adapters are recognised (never auto-picked)", () => {
  assert.ok(isSoftwareAdapter({ isFallbackAdapter: true }));
  assert.ok(isSoftwareAdapter({ info: { isFallbackAdapter: true } }));
  assert.ok(isSoftwareAdapter({ info: { description: "llvmpipe (LLVM 15.0.6, 256 bits)" } }));
  assert.ok(isSoftwareAdapter({ info: { vendor: "Google", description: "SwiftShader Device" } }));
  assert.ok(!isSoftwareAdapter({ info: { vendor: "nvidia", description: "NVIDIA H100" } }));
});

/** Loads OpenBLAS in a fresh process with `env`; returns what it reports. */
async function blasIn(env: Record<string, string>, clear: string[] = []) {
  const code = `
    import { blasConfig, ignoredBlasCoretype, loadBlas } from "${
    new URL("./openblas.ts", import.meta.url).href
  }";
    loadBlas();
    const child = new Deno.Command("sh", { args: ["-c", "echo $OPENBLAS_CORETYPE"] }).outputSync();
    console.log(JSON.stringify({
      config: blasConfig(),
      ignored: ignoredBlasCoretype(),
      env: Deno.env.get("OPENBLAS_CORETYPE") ?? null,
      child: new TextDecoder().decode(child.stdout).trim(),
    }));`;
  const command = new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    env: Object.fromEntries(
      Object.entries({ ...Deno.env.toObject(), ...env }).filter(([k]) => !clear.includes(k)),
    ),
    clearEnv: true,
  });
  const out = await command.output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("OpenBLAS kernel: MNIST_BLAS_CORETYPE forces one, an inherited OPENBLAS_CORETYPE is set aside", async () => {
  const forced = await blasIn({ MNIST_BLAS_CORETYPE: "Sandybridge" }, ["OPENBLAS_CORETYPE"]);
  assert.match(forced.config, /\bSandybridge\b/);
  assert.equal(forced.ignored, null);
  assert.equal(forced.env, null);

  const inherited = await blasIn({ OPENBLAS_CORETYPE: "Sandybridge" }, ["MNIST_BLAS_CORETYPE"]);
  assert.doesNotMatch(inherited.config, /\bSandybridge\b/); // OpenBLAS' own choice instead
  assert.equal(inherited.ignored, "Sandybridge");
  // Put back for this process and its children.
  assert.equal(inherited.env, "Sandybridge");
  assert.equal(inherited.child, "Sandybridge");
});

/** Stderr of a fresh process that imports `imports`, then trains nothing but makes a tensor. */
async function stderrOf(imports: string, backend: string): Promise<string> {
  const code = `${imports}
    import * as tf from "@tensorflow/tfjs";
    ${
    backend === ""
      ? imports === "" ? "" : "void setupBackend; // imported, never called"
      : `await setupBackend("${backend}", { threads: 1, log: () => {} });`
  }
    tf.tensor([1, 2, 3]).square().dataSync();
    console.log(tf.getBackend());`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", code],
    cwd: new URL("../..", import.meta.url).pathname,
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stderr);
}

const BANNER = "Hi, looks like you are running TensorFlow.js in Node.js";

Deno.test("tfjs' 'install tfjs-node' banner is silenced for every backend once lib is imported", async () => {
  // Without lib, tfjs prints it on the first tensor (what this test guards against).
  assert.ok((await stderrOf("", "")).includes(BANNER));
  const lib = `import { setupBackend } from "${new URL("./mod.ts", import.meta.url).href}";`;
  for (const backend of ["", "cpu", "blas", "auto"]) {
    const err = await stderrOf(lib, backend);
    assert.ok(!err.includes(BANNER), `${backend || "default"}: ${err}`);
  }
});
