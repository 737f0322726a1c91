/**
 * The project image: its tag carries a hash of everything that goes into it (Dockerfile,
 * .dockerignore, deno.json, deno.lock, lib/ and scripts/ without tests and test data), so a changed tree
 * never runs a stale image; built on demand with `--network host` (deno install reaches npm).
 * @module
 */

import { join, relative } from "node:path";
import { docker, firstLine, PROJECT_LABEL } from "./docker.ts";
import { type LineSink, signalChild, spawnStreaming } from "./process.ts";

/** Repository part of the image tag. */
export const IMAGE_REPO = "mnist-deno";

/** Top-level files that go into the image. */
const INPUT_FILES = ["Dockerfile", ".dockerignore", "deno.json", "deno.lock"];

/** Directories that go into the image (tests and temporary files excepted). */
const INPUT_DIRS = ["lib", "scripts"];

/** Whether an entry under an input directory is left out of the image (see .dockerignore). */
function leftOut(entry: Deno.DirEntry): boolean {
  if (entry.isDirectory) return entry.name === "testdata";
  return entry.name.endsWith("_test.ts") || entry.name.endsWith(".tmp");
}

/** Relative paths of the image's inputs under `root`, sorted. */
export async function imageInputs(root: string): Promise<string[]> {
  const paths = [...INPUT_FILES];
  async function walk(dir: string): Promise<void> {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (leftOut(entry)) continue;
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile) paths.push(relative(root, path));
    }
  }
  for (const dir of INPUT_DIRS) await walk(join(root, dir));
  return paths.sort();
}

/** The first 12 hex digits of SHA-256 over the inputs' paths and contents. */
export async function inputsHash(root: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  const enc = new TextEncoder();
  for (const path of await imageInputs(root)) {
    chunks.push(enc.encode(`${path}\0`), await Deno.readFile(join(root, path)), enc.encode("\0"));
  }
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("").slice(0, 12);
}

/** The image tag for the tree at `root`: `mnist-deno:<12 hex>`. */
export async function imageTag(root: string): Promise<string> {
  return `${IMAGE_REPO}:${await inputsHash(root)}`;
}

/** The id (`sha256:...`) of a local image, or null when there is none by that name. */
export async function imageId(tag: string): Promise<string | null> {
  const r = await docker(["image", "inspect", "--format", "{{.Id}}", tag]);
  return r.code === 0 ? r.stdout.trim() : null;
}

/**
 * Builds the image at `root` as `tag` (labelled), streaming the build log; returns its id.
 * Aborting `signal` interrupts the build (the promise then rejects).
 */
export async function buildImage(
  root: string,
  tag: string,
  sink: LineSink,
  signal?: AbortSignal,
): Promise<string> {
  const args = ["build", "--network", "host", "--label", PROJECT_LABEL, "-t", tag, root];
  const { child, exited } = spawnStreaming("docker", args, {}, sink);
  const onAbort = () => signalChild(child, "SIGINT");
  signal?.addEventListener("abort", onAbort);
  const { code } = await exited.finally(() => signal?.removeEventListener("abort", onAbort));
  if (signal?.aborted) throw new Error(`docker build of ${tag} interrupted`);
  if (code !== 0) throw new Error(`docker build of ${tag} failed (exit ${code})`);
  const id = await imageId(tag);
  if (id === null) throw new Error(`docker build of ${tag} succeeded but the image is missing`);
  return id;
}

/** The image for the tree at `root`: built when missing. */
export async function ensureImage(
  root: string,
  sink: LineSink,
  signal?: AbortSignal,
): Promise<{ tag: string; id: string; built: boolean }> {
  const tag = await imageTag(root);
  const existing = await imageId(tag);
  if (existing !== null) return { tag, id: existing, built: false };
  return { tag, id: await buildImage(root, tag, sink, signal), built: true };
}
/**
 * Checks a registry address before anything is built or pushed.
 * @param registry `HOST[:PORT][/PATH]`, e.g. `10.0.0.1:5000`
 * @throws Error with a one-line message naming the value and the accepted form
 */
export function checkRegistry(registry: string): void {
  if (!/^[a-zA-Z0-9.-]+(:[0-9]+)?(\/[a-z0-9._\/-]+)?$/.test(registry)) {
    throw new Error(`registry ${JSON.stringify(registry)}: expected HOST[:PORT][/PATH]`);
  }
}

/**
 * Tags the local image `tag` as `REGISTRY/tag`, pushes it, and returns the reference by digest
 * (`REGISTRY/mnist-deno@sha256:...`) that every node of a swarm or cluster can pull.
 * @param tag a local image, e.g. `mnist-deno:0123456789ab`
 * @param registry `HOST:PORT` (or `HOST`) of a registry this machine reaches
 * @returns the pushed image's reference by digest
 * @throws Error with a one-line message when the push fails (registry down, unreachable)
 */
export async function pushImage(tag: string, registry: string): Promise<string> {
  checkRegistry(registry);
  const target = `${registry}/${tag}`;
  const t = await docker(["tag", tag, target]);
  if (t.code !== 0) throw new Error(`docker tag ${tag} ${target}: ${firstLine(t.stderr)}`);
  const p = await docker(["push", target], 30 * 60_000);
  if (p.code !== 0) {
    await docker(["rmi", target]); // the extra tag only; the image keeps its own
    const why = firstLine(p.stderr) || firstLine(p.stdout);
    throw new Error(
      `cannot push ${target}: ${why}; is the registry ${registry} running and reachable from ` +
        "this machine (plain HTTP needs it in the daemon's insecure-registries, or on 127.0.0.1)?",
    );
  }
  const repo = `${registry}/${IMAGE_REPO}@`;
  const r = await docker(["image", "inspect", "--format", "{{json .RepoDigests}}", tag]);
  const digests = r.code === 0 ? JSON.parse(r.stdout) as string[] : [];
  const ref = digests.find((d) => d.startsWith(repo));
  if (!ref) throw new Error(`pushed ${target} but its digest is unknown (docker image inspect)`);
  return ref;
}
