/**
 * `deno task docker:clean`: removes this project's swarm services, containers and images (found by their
 * label `org.mnist-deno.project=1`). The base image stand-in is left alone.
 * @module
 */

import { cleanProject, dockerAvailable, imageTag } from "../lib/sweep/mod.ts";
import { fileURLToPath } from "node:url";
import { parseScriptFlags } from "../lib/cli.ts";

const HELP = `Usage: deno task docker:clean [-- FLAGS]

Removes the swarm services (on a swarm manager), containers (running ones are killed)
and images labelled org.mnist-deno.project=1, i.e. everything deno task image and the
sweeps made.

  --stale     remove only images of older trees: keep the current tree's image (and
              leave containers alone)
  --dry-run   list what would be removed
  --help      this text`;

async function main(): Promise<number> {
  const values = parseScriptFlags("docker:clean", HELP, {
    "dry-run": { type: "boolean", default: false },
    stale: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  });
  if (typeof values === "number") return values;
  if (!await dockerAvailable()) {
    console.error("docker:clean: no Docker daemon answers (docker info failed)");
    return 1;
  }
  try {
    const root = fileURLToPath(new URL("..", import.meta.url));
    const keep = values.stale ? await imageTag(root) : null;
    const r = await cleanProject(values["dry-run"], keep);
    if (keep !== null) console.log(`keeping ${keep} (this tree's image)`);
    const verb = values["dry-run"] ? "would remove" : "removed";
    console.log(
      `${verb} ${r.services.length} service(s), ${r.containers.length} container(s), ` +
        `${r.images.length} image(s)`,
    );
    for (const s of r.services) console.log(`  service ${s}`);
    for (const c of r.containers) console.log(`  container ${c}`);
    for (const i of r.images) console.log(`  image ${i}`);
    return 0;
  } catch (err) {
    console.error(`docker:clean: ${(err as Error).message}`);
    return 1;
  }
}

Deno.exit(await main());
