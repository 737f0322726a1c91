/**
 * Grids of trial arguments: `--grid epochs=1,2 --grid lr=1.0,0.5` parsed into axes, and the
 * product of the axes as a list of points.
 * @module
 */

import { ARG_SPECS, type ArgSpec, findArgSpec, parseArgValue, UsageError } from "../record/mod.ts";

/** One value of an axis: as typed (for table headings) and parsed. */
export interface AxisValue {
  label: string;
  value: number | string;
}

/** One swept argument and its values, in the order given. */
export interface Axis {
  spec: ArgSpec;
  values: AxisValue[];
}

/** One point of a grid: a value for every axis, in axis order. */
export type GridPoint = AxisValue[];

/**
 * Parses one `--grid KEY=V1,V2,...` text into an axis. Every value passes the trial CLI's own
 * checks (`epochs=0`, `lr=-1` or an unknown backend are refused here, before anything runs);
 * paths are made absolute. Throws {@link UsageError}.
 */
export function parseAxis(text: string): Axis {
  const eq = text.indexOf("=");
  if (eq <= 0) {
    throw new UsageError(
      `--grid ${JSON.stringify(text)}: expected KEY=V1,V2,... (e.g. --grid lr=1.0,0.5)`,
    );
  }
  const name = text.slice(0, eq).trim();
  const spec = findArgSpec(name);
  if (spec === undefined) {
    const accepted = ARG_SPECS.map((s) => s.flag).join(", ");
    throw new UsageError(`--grid: unknown key ${JSON.stringify(name)} (accepted: ${accepted})`);
  }
  const labels = text.slice(eq + 1).split(",").map((v) => v.trim());
  if (labels.some((v) => v === "")) {
    throw new UsageError(`--grid ${JSON.stringify(text)}: empty value in the list`);
  }
  const values: AxisValue[] = [];
  for (const label of labels) {
    let value: number | string;
    try {
      value = parseArgValue(spec, label);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      throw new UsageError(`--grid ${JSON.stringify(text)}: ${e.message}`);
    }
    if (values.some((v) => v.value === value)) {
      throw new UsageError(`--grid ${JSON.stringify(text)}: value ${label} given twice`);
    }
    values.push({ label, value });
  }
  return { spec, values };
}

/** Parses every `--grid` text; one key may appear in one `--grid` only. */
export function parseGrid(texts: readonly string[]): Axis[] {
  const axes: Axis[] = [];
  for (const text of texts) {
    const axis = parseAxis(text);
    if (axes.some((a) => a.spec.key === axis.spec.key)) {
      throw new UsageError(`--grid: key ${axis.spec.flag} given twice; list its values in one`);
    }
    axes.push(axis);
  }
  return axes;
}

/** The product of the axes, the first axis varying slowest; one empty point for no axes. */
export function gridPoints(axes: readonly Axis[]): GridPoint[] {
  let points: GridPoint[] = [[]];
  for (const axis of axes) {
    points = points.flatMap((p) => axis.values.map((v) => [...p, v]));
  }
  return points;
}
