/**
 * `deno task image`: builds the project image `mnist-deno:<hash of its inputs>` (skipped when
 * that tag exists) and prints its tag and id.
 * @module
 */

import { fileURLToPath } from "node:url";
import {
  buildImage,
  dockerAvailable,
  imageId,
  imageInputs,
  imageTag,
  pushImage,
} from "../lib/sweep/mod.ts";
import { parseScriptFlags } from "../lib/cli.ts";

const HELP = `Usage: deno task image [-- FLAGS]

Builds the project image (Dockerfile) as mnist-deno:<12 hex>, the hex being a hash of what
goes into it (Dockerfile, .dockerignore, deno.json, deno.lock, lib/ and scripts/ without
tests), so a changed tree gets a new tag. Skipped when that tag exists. The build runs with
--network host (deno install fetches the npm packages); trials later run with --network none.

  --tag-only   print the tag for this tree and stop (no Docker needed)
  --inputs     list the files the hash covers and stop
  --force      build even when the tag exists
  --push REGISTRY
               then tag it REGISTRY/mnist-deno:<hex>, push it there and print its
               reference by digest (what --runner swarm --registry REGISTRY runs)
  --help       this text`;

async function main(): Promise<number> {
  const values = parseScriptFlags("image", HELP, {
    "tag-only": { type: "boolean", default: false },
    inputs: { type: "boolean", default: false },
    force: { type: "boolean", default: false },
    push: { type: "string" },
    help: { type: "boolean", default: false },
  });
  if (typeof values === "number") return values;
  const root = fileURLToPath(new URL("..", import.meta.url));
  if (values.inputs) {
    for (const path of await imageInputs(root)) console.log(path);
    return 0;
  }
  const tag = await imageTag(root);
  if (values["tag-only"]) {
    console.log(tag);
    return 0;
  }
  if (!await dockerAvailable()) {
    console.error("image: no Docker daemon answers (docker info failed); start one first");
    return 1;
  }
  const existing = values.force ? null : await imageId(tag);
  try {
    if (existing !== null) {
      console.log(`${tag} already built (${existing}); --force to rebuild`);
    } else {
      console.log(`Building ${tag} ...`);
      const id = await buildImage(root, tag, (line, stream) => {
        (stream === "stdout" ? console.log : console.error)(`  ${line}`);
      });
      console.log(`Built ${tag} (${id})`);
    }
    if (values.push !== undefined) {
      console.log(`Pushing ${tag} to ${values.push} ...`);
      console.log(`Pushed: ${await pushImage(tag, values.push)}`);
    }
    return 0;
  } catch (err) {
    console.error(`image: ${(err as Error).message}`);
    return 1;
  }
}

Deno.exit(await main());
