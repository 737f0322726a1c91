/**
 * Removing the project's Docker objects: containers and images carrying its label.
 * @module
 */

import { docker, firstLine, PROJECT_LABEL } from "./docker.ts";

/** Lines of a docker command's output; throws with docker's message when it fails. */
async function lines(args: string[]): Promise<string[]> {
  const r = await docker(args);
  if (r.code !== 0) throw new Error(`docker ${args[0]}: ${firstLine(r.stderr)}`);
  return r.stdout.split("\n").map((l) => l.trim()).filter((l) => l !== "");
}

/**
 * Removes (or, with `dryRun`, lists) the labelled containers, then the labelled images but
 * `keep` (a tag, e.g. the current tree's; with it, containers are left alone). Returns the
 * container names and image `repo:tag` (or id) removed.
 */
export async function cleanProject(
  dryRun: boolean,
  keep: string | null = null,
): Promise<{ containers: string[]; images: string[] }> {
  const filter = `label=${PROJECT_LABEL}`;
  const containers = keep !== null
    ? []
    : await lines(["ps", "-a", "--filter", filter, "--format", "{{.Names}}"]);
  const images = await lines([
    "images",
    "--filter",
    filter,
    "--format",
    "{{.Repository}}:{{.Tag}} {{.ID}}",
  ]);
  const names = images.map((l) => {
    const [name, id] = l.split(" ");
    return name.includes("<none>") ? id : name;
  }).filter((name) => name !== keep);
  if (!dryRun) {
    if (containers.length > 0) await lines(["rm", "-f", ...containers]);
    if (names.length > 0) await lines(["rmi", "-f", ...new Set(names)]);
  }
  return { containers, images: names };
}
