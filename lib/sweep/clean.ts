/**
 * Removing the project's Docker objects: swarm services, containers and images carrying its
 * label.
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
 * Removes (or, with `dryRun`, lists) the labelled swarm services (on a swarm manager: trials
 * of a swarm sweep that was killed), the labelled containers, then the labelled images but
 * `keep` (a tag, e.g. the current tree's; with it, services and containers are left alone).
 * Returns the service and container names and image `repo:tag` (or id) removed.
 */
export async function cleanProject(
  dryRun: boolean,
  keep: string | null = null,
): Promise<{ services: string[]; containers: string[]; images: string[] }> {
  const filter = `label=${PROJECT_LABEL}`;
  const manager = await docker(["info", "--format", "{{.Swarm.ControlAvailable}}"]);
  const services = keep !== null || manager.stdout.trim() !== "true"
    ? []
    : await lines(["service", "ls", "--filter", filter, "--format", "{{.Name}}"]);
  if (!dryRun && services.length > 0) await lines(["service", "rm", ...services]);
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
  return { services, containers, images: names };
}
