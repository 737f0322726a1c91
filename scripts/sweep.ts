/**
 * `deno task sweep|epochs|lr|batch`: runs hyper-parameter sweeps, one fresh container (or
 * process) per trial, skipping trials already recorded `ok`. See `--help`.
 * @module
 */

import { fileURLToPath } from "node:url";
import { ARG_SPECS } from "../lib/record/mod.ts";
import { sweepCommand } from "../lib/sweep/mod.ts";
import { parseScriptFlags } from "../lib/cli.ts";

/** Words joined into lines of at most `width` characters, each line indented. */
function wrap(words: string[], width: number, indent: string): string {
  const lines = [indent];
  for (const w of words) {
    const last = lines.length - 1;
    if (lines[last].length > indent.length && lines[last].length + 1 + w.length > width) {
      lines.push(indent + w);
    } else lines[last] += (lines[last].length > indent.length ? " " : "") + w;
  }
  return lines.join("\n");
}

/** The task that ran this script: `epochs`, `lr` and `batch` pass `--preset NAME` first. */
const TASK = Deno.args[0] === "--preset" && ["epochs", "lr", "batch"].includes(Deno.args[1])
  ? Deno.args[1]
  : "sweep";

const USAGE = TASK === "sweep"
  ? "Usage: deno task sweep [-- FLAGS]      (epochs, lr, batch: one preset)"
  : `Usage: deno task ${TASK} [-- FLAGS]      (deno task sweep with --preset ${TASK})`;

const HELP = `${USAGE}

Runs hyper-parameter sweeps, one fresh Docker container (or deno process) per trial.
Trials are identified by their arguments: one shared by several sweeps runs once, and one
whose record (RESULTS/trials/<id>.json) says ok is skipped, so an interrupted sweep resumes.
Each trial writes a checkpoint after every epoch (RESULTS/checkpoints/<id>/): a trial that was
stopped, killed or failed continues from its last finished epoch, bit-identically (docker and
local runners; on swarm and kubernetes a trial that runs again starts from epoch 1).

Sweeps (with neither, all three presets):
  --preset NAME        epochs (1,5,10; batch 128; lr 1.0), lr (1.0,0.5; 5 epochs; batch 128),
                       batch (32,64,128; 5 epochs; lr 1.0); repeatable
  --grid KEY=V1,V2     sweep the product of all --grid axes, e.g. --grid epochs=1,2
                       --grid lr=1.0,0.5; KEY is a trial flag name; repeatable
  --seeds N            run every trial with N seeds (--seed, default 1, and the next N-1);
                       the report shows their mean and standard deviation

Running:
  --runner NAME        auto (default: docker when a daemon answers, else local), docker, local,
                       swarm (one Docker Swarm job per trial, across the swarm's nodes),
                       kubernetes (one Indexed Job; never run against a live cluster by us)
  --emit DIR           kubernetes: write the manifests (ConfigMap, NetworkPolicy, Job)
                       into DIR and stop
  --jobs N             trials at a time (default 1: parallel trials distort each other's
                       timings; swarm: what the nodes' CPUs hold); with N > 1 each trial
                       is pinned to its own CPUs (docker, local)
  --results DIR        results directory (default results/); locked while a sweep runs
  --dry-run            print the plan (which trials run, which are done) and stop
  --reuse-any          count an ok record as done wherever it ran (default: only one from
                       the same runner: the same image, or a local process)
  --force              rerun trials already recorded ok (from epoch 1)
  --rerun-failed       run only the trials whose record is not ok (failed, interrupted,
                       diverged); trials never run are left for later
  --retries N          run a failed trial up to N more times, from its checkpoint (default 0);
                       swarm: a trial whose node goes down also reruns on another node (at
                       least once); kubernetes: backoffLimitPerIndex
  --save-model         keep each trial's model beside its record (RESULTS/trials/<id>.model/)
  --cpus N             docker: CPUs per container (default: its share of this machine's);
                       swarm: CPUs reserved per trial (default: the smallest node's)
  --memory SIZE        docker, swarm: memory per container, no swap beyond it (default 4g;
                       >= 6m)
  --user UID[:GID]     docker: user in the container, never 0 (default: yours; root's trials
                       run as the image's deno user and their files are handed back to root)
  --registry HOST:PORT swarm: push the image there and run it by digest on every node
                       (without it, nodes use their local image: fine on a one-node swarm)
  --help               this text

Trial flags, passed to every trial and checked as the trial checks them, like --grid values
(see deno task train --help; --data-dir is mounted read-only into containers):
${wrap(ARG_SPECS.map((s) => `--${s.flag}`), 90, "  ")}

Ctrl-C stops the running trials (recorded as interrupted) and exits 130; a failed trial is
recorded as failed and the sweep goes on, then exits 1.`;

const trialOptions = Object.fromEntries(
  ARG_SPECS.map((s) => [s.flag, { type: "string" as const }]),
);

function main(): Promise<number> | number {
  const values = parseScriptFlags("sweep", HELP, {
    ...trialOptions,
    preset: { type: "string", multiple: true, default: [] },
    grid: { type: "string", multiple: true, default: [] },
    runner: { type: "string", default: "auto" },
    jobs: { type: "string" },
    registry: { type: "string" },
    emit: { type: "string" },
    results: { type: "string", default: "results" },
    "dry-run": { type: "boolean", default: false },
    force: { type: "boolean", default: false },
    "reuse-any": { type: "boolean", default: false },
    "rerun-failed": { type: "boolean", default: false },
    retries: { type: "string", default: "0" },
    seeds: { type: "string", default: "1" },
    "save-model": { type: "boolean", default: false },
    cpus: { type: "string" },
    memory: { type: "string", default: "4g" },
    user: { type: "string" },
    help: { type: "boolean", default: false },
  });
  if (typeof values === "number") return values;
  const trialFlags: Record<string, string | undefined> = {};
  const given = values as Record<string, unknown>;
  for (const s of ARG_SPECS) trialFlags[s.flag] = given[s.flag] as string | undefined;
  return sweepCommand({
    root: fileURLToPath(new URL("..", import.meta.url)),
    presets: values.preset,
    grid: values.grid,
    runner: values.runner,
    jobs: values.jobs ?? null,
    registry: values.registry ?? null,
    emit: values.emit ?? null,
    retries: values.retries,
    results: values.results,
    dryRun: values["dry-run"],
    force: values.force,
    reuseAny: values["reuse-any"],
    rerunFailed: values["rerun-failed"],
    seeds: values.seeds,
    saveModel: values["save-model"],
    cpus: values.cpus ?? null,
    memory: values.memory,
    user: values.user ?? null,
    trialFlags,
  }, (line, stream) => (stream === "stdout" ? console.log : console.error)(line));
}

Deno.exit(await main());
