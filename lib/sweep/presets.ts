/**
 * The sweeps a user can ask for: the reference study's three presets and a free grid.
 * @module
 */

import type { TrialArgs } from "../results.ts";
import type { Axis } from "./grid.ts";
import { findArgSpec, UsageError } from "./trial_args.ts";

/** A sweep before it is planned: its axes and the arguments it fixes. */
export interface SweepDef {
  /** Short name: a preset name or `grid`. */
  name: string;
  /** Heading printed above its table, e.g. `Sweep a: epochs`. */
  title: string;
  axes: Axis[];
  /** Arguments the sweep fixes; the user's flags override them. */
  fixed: Partial<TrialArgs>;
}

/** Names of the presets, in the reference's order. */
export const PRESET_NAMES = ["epochs", "lr", "batch"] as const;

/** A preset name. */
export type PresetName = typeof PRESET_NAMES[number];

/** Builds an axis from a flag name and the values as the reference writes them. */
function axis(flag: string, labels: string[]): Axis {
  const spec = findArgSpec(flag)!;
  return { spec, values: labels.map((label) => ({ label, value: Number(label) })) };
}

/** The three sweeps of the reference study. */
export const PRESETS: Readonly<Record<PresetName, SweepDef>> = {
  epochs: {
    name: "epochs",
    title: "Sweep a: epochs",
    axes: [axis("epochs", ["1", "5", "10"])],
    fixed: { batchSize: 128, lr: 1.0 },
  },
  lr: {
    name: "lr",
    title: "Sweep b: learning rate",
    axes: [axis("lr", ["1.0", "0.5"])],
    fixed: { epochs: 5, batchSize: 128 },
  },
  batch: {
    name: "batch",
    title: "Sweep c: batch size",
    axes: [axis("batch-size", ["32", "64", "128"])],
    fixed: { epochs: 5, lr: 1.0 },
  },
};

/** Looks up a preset by name; throws {@link UsageError} naming the accepted ones. */
export function presetByName(name: string): SweepDef {
  if (!(PRESET_NAMES as readonly string[]).includes(name)) {
    throw new UsageError(
      `--preset: unknown preset ${JSON.stringify(name)} (accepted: ${PRESET_NAMES.join(", ")})`,
    );
  }
  return PRESETS[name as PresetName];
}

/** A sweep over the product of user-given axes. */
export function gridSweep(axes: Axis[]): SweepDef {
  return {
    name: "grid",
    title: `Grid: ${axes.map((a) => a.spec.flag).join(" x ")}`,
    axes,
    fixed: {},
  };
}

/**
 * The sweeps asked for: the presets named, plus the grid when axes are given; with neither,
 * all three presets (`deno task sweep`).
 */
export function selectSweeps(presetNames: readonly string[], gridAxes: Axis[]): SweepDef[] {
  const unique = [...new Set(presetNames)];
  const sweeps = unique.map(presetByName);
  if (gridAxes.length > 0) sweeps.push(gridSweep(gridAxes));
  if (sweeps.length === 0) return PRESET_NAMES.map((n) => PRESETS[n]);
  return sweeps;
}
