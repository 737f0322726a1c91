/**
 * The sweeps a user can ask for: the reference study's three presets and a free grid.
 * @module
 */

import { findArgSpec, type Sweep, SWEEPS, type TrialArgs, UsageError } from "../record/mod.ts";
import type { Axis } from "./grid.ts";

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

/** A preset from a sweep of the reference study (`lib/record/published.ts`, the one definition). */
function presetOf(sweep: Sweep): SweepDef {
  const spec = findArgSpec(sweep.param)!;
  const values = sweep.cells.map((cell) => {
    const value = cell[sweep.param];
    // The reference writes learning rates as 1.0 and 0.5.
    return { label: sweep.param === "lr" ? value.toFixed(1) : String(value), value };
  });
  const fixed: Partial<TrialArgs> = { ...sweep.cells[0] };
  delete fixed[sweep.param];
  return { name: sweep.name, title: sweep.title, axes: [{ spec, values }], fixed };
}

/** The three sweeps of the reference study. */
export const PRESETS: Readonly<Record<PresetName, SweepDef>> = Object.fromEntries(
  PRESET_NAMES.map((name) => [name, presetOf(SWEEPS.find((s) => s.name === name)!)]),
) as Record<PresetName, SweepDef>;

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

/**
 * The sweeps with every trial run under `count` seeds, `first` to `first + count - 1` (one
 * more axis, so trials that differ only in seed can be averaged in the report). One seed:
 * the sweeps as they were.
 * @param defs the sweeps
 * @param count seeds per trial, 1 or more
 * @param first the first seed (the user's `--seed`, or the default)
 * @throws UsageError when a sweep already varies the seed
 */
export function withSeeds(defs: readonly SweepDef[], count: number, first: number): SweepDef[] {
  if (count === 1) return [...defs];
  const spec = findArgSpec("seed")!;
  return defs.map((def) => {
    if (def.axes.some((a) => a.spec.key === "seed")) {
      throw new UsageError(`--seeds: ${def.name} already varies --seed; drop one of them`);
    }
    const values = Array.from({ length: count }, (_, i) => ({
      label: String(first + i),
      value: first + i,
    }));
    return { ...def, axes: [...def.axes, { spec, values }] };
  });
}
