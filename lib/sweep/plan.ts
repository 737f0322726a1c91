/**
 * The plan of a sweep run: every sweep's columns, and the unique trials behind them (a trial
 * asked for by several sweeps runs once), each marked done when its record says `ok`.
 * @module
 */

import {
  DEFAULT_ARGS,
  fullyOk,
  ranIn,
  readRecord,
  type TrialArgs,
  trialId,
  UsageError,
  withArg,
} from "../record/mod.ts";
import { type GridPoint, gridPoints } from "./grid.ts";
import { recordPath } from "./layout.ts";
import type { SweepDef } from "./presets.ts";

/** One column of a sweep's table: the swept value(s) and the trial behind it. */
export interface PlannedColumn {
  label: string;
  id: string;
}

/** A sweep with its trials resolved. */
export interface PlannedSweep {
  name: string;
  title: string;
  /** Heading of the first column, e.g. `Epochs`; `Trial` for several axes. */
  heading: string;
  columns: PlannedColumn[];
}

/** One unique trial of the plan. */
export interface PlannedTrial {
  id: string;
  args: TrialArgs;
  /** The record at `trials/<id>.json` says `ok` and ran the way this sweep runs trials. */
  done: boolean;
  /** Where an `ok` record that does not count as done ran (another runner or image). */
  ranElsewhere?: string;
}

/** What a sweep run will do. */
export interface Plan {
  sweeps: PlannedSweep[];
  /** Unique trials, in the order they are first asked for. */
  trials: PlannedTrial[];
}

const HEADINGS: Record<string, string> = {
  epochs: "Epochs",
  lr: "Learning rate",
  batchSize: "Batch size",
  gamma: "Gamma",
  seed: "Seed",
  testBatchSize: "Test batch size",
  limitTrain: "Train images",
  limitTest: "Test images",
  dataDir: "Data directory",
  backend: "Backend",
  threads: "Threads",
};

/** Label of a grid point: the value alone for one axis, `key=value, ...` for several. */
function pointLabel(def: SweepDef, point: GridPoint): string {
  if (point.length === 1) return point[0].label;
  return point.map((v, i) => `${def.axes[i].spec.flag}=${v.label}`).join(", ");
}

/**
 * Resolves sweeps into a plan. `overrides` are the user's trial flags: they override a
 * sweep's fixed arguments but may not name an argument a sweep varies.
 */
export function planSweeps(defs: readonly SweepDef[], overrides: Partial<TrialArgs>): Plan {
  const trials = new Map<string, PlannedTrial>();
  const sweeps: PlannedSweep[] = [];
  for (const def of defs) {
    for (const axis of def.axes) {
      if (overrides[axis.spec.key] !== undefined) {
        throw new UsageError(
          `--${axis.spec.flag} is swept by ${def.name} (${def.title}); drop the flag or the sweep`,
        );
      }
    }
    const columns: PlannedColumn[] = [];
    for (const point of gridPoints(def.axes)) {
      let args: TrialArgs = { ...DEFAULT_ARGS, ...def.fixed, ...overrides };
      point.forEach((v, i) => args = withArg(args, def.axes[i].spec.key, v.value));
      const id = trialId(args);
      if (!trials.has(id)) trials.set(id, { id, args, done: false });
      columns.push({ label: pointLabel(def, point), id });
    }
    const heading = def.axes.length === 1 ? HEADINGS[def.axes[0].spec.key] : "Trial";
    sweeps.push({ name: def.name, title: def.title, heading, columns });
  }
  return { sweeps, trials: [...trials.values()] };
}

/**
 * Marks each trial done when `trials/<id>.json` holds a valid record with status `ok` that ran
 * the same way: in a container of image `imageId`, or (`imageId` null) as a local process.
 * With `imageId` undefined (`--reuse-any`) any `ok` record counts. An unreadable or invalid
 * record counts as not done (the trial runs again and replaces it).
 * @param plan the plan whose trials are marked
 * @param resultsDir the results directory holding `trials/`
 * @param imageId the image this sweep's trials run in, null for local processes, undefined
 * to accept a record from anywhere
 */
export async function markDone(
  plan: Plan,
  resultsDir: string,
  imageId?: string | null,
): Promise<void> {
  for (const t of plan.trials) {
    t.done = false;
    delete t.ranElsewhere;
    try {
      const record = await readRecord(recordPath(resultsDir, t.id), t.id);
      // An ok record with an error trained but did not save its model: it runs again.
      if (!fullyOk(record)) continue;
      if (imageId === undefined || record.environment.imageId === imageId) t.done = true;
      else t.ranElsewhere = ranIn(record.environment.imageId);
    } catch {
      // not done
    }
  }
}
