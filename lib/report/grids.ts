/**
 * Every grid the records hold, not only the study's three sweeps: the `ok` records split by
 * the data they ran on, and within each such grid the parameters that vary, with trials that
 * differ only in `--seed` grouped (mean and sample standard deviation, each seed kept). The
 * table (a block of the report), CSV or JSON, and a small-multiples chart of each varied parameter
 * against validation accuracy and time. Pure and deterministic.
 * @module
 */

import { ARG_SPECS, type TrialArgs, type TrialRecord } from "../record/mod.ts";
import { CHART_CONFIG, CHART_SCHEMA, type VegaLiteSpec } from "./charts.ts";
import { type TableBlock, tableBlock } from "./document.ts";

/** The arguments that tell grids apart: the data a trial ran on. */
const DATA_KEYS: readonly (keyof TrialArgs)[] = ["limitTrain", "limitTest", "dataDir"];

/** One trial in a grid's table. */
export interface GridTrial {
  /** The trial's id (its record's file stem). */
  id: string;
  /** The trial's random seed. */
  seed: number;
  /** Final validation loss (mean negative log-likelihood over the test split). */
  valLoss: number;
  /** Final validation accuracy, 0 to 1. */
  valAcc: number;
  /** Summed epoch times, seconds. */
  time: number;
}

/** Trials that differ only in their seed: one setting of the varied parameters. */
export interface SeedGroup {
  /** The varied parameters' values (seed excluded), by `TrialArgs` key. */
  params: Partial<Record<keyof TrialArgs, TrialArgs[keyof TrialArgs]>>;
  /** Its trials, by seed ascending. */
  trials: GridTrial[];
  /** Mean over the seeds of validation loss, validation accuracy (0 to 1) and total time (s). */
  mean: { valLoss: number; valAcc: number; time: number };
  /** Sample standard deviation (n - 1); null with one seed. */
  std: { valLoss: number; valAcc: number; time: number } | null;
}

/** The trials run on one data set, and what varies among them. */
export interface Grid {
  /** E.g. `all data`, `1024 train / 256 test images`, `data in /x`. */
  data: string;
  /** The `TrialArgs` keys (seed excluded) that differ among its trials, in flag order. */
  varied: (keyof TrialArgs)[];
  /** Whether some setting ran with more than one seed. */
  seeds: boolean;
  /** The grid's settings, one per row, in the order of the grid's parameters. */
  groups: SeedGroup[];
}

function dataLabel(args: TrialArgs): string {
  const parts: string[] = [];
  if (args.limitTrain !== null || args.limitTest !== null) {
    parts.push(
      `${args.limitTrain ?? "all"} train / ${args.limitTest ?? "all"} test images`,
    );
  } else {
    parts.push("all images");
  }
  if (args.dataDir !== null) parts.push(`data in ${args.dataDir}`);
  return parts.join(", ");
}

function stats(values: number[]): { mean: number; std: number | null } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  if (values.length < 2) return { mean, std: null };
  const ss = values.reduce((s, v) => s + (v - mean) ** 2, 0);
  return { mean, std: Math.sqrt(ss / (values.length - 1)) };
}

function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a) < String(b) ? -1 : 1;
}

/**
 * Splits `ok` records into grids (one per data set) and seed groups.
 * @param records trial records (any order; non-`ok` ones are ignored)
 * @returns the grids, all images first, then by label
 */
export function findGrids(records: TrialRecord[]): Grid[] {
  const byData = new Map<string, TrialRecord[]>();
  for (const r of records) {
    if (r.status !== "ok") continue;
    const key = JSON.stringify(DATA_KEYS.map((k) => r.args[k]));
    byData.set(key, [...(byData.get(key) ?? []), r]);
  }
  const grids: Grid[] = [];
  for (const rs of byData.values()) {
    const keys = ARG_SPECS.map((s) => s.key).filter((k) => k !== "seed" && !DATA_KEYS.includes(k));
    const varied = keys.filter((k) => new Set(rs.map((r) => JSON.stringify(r.args[k]))).size > 1);
    const byParams = new Map<string, TrialRecord[]>();
    for (const r of rs) {
      const key = JSON.stringify(varied.map((k) => r.args[k]));
      byParams.set(key, [...(byParams.get(key) ?? []), r]);
    }
    const groups: SeedGroup[] = [...byParams.values()].map((members) => {
      const trials = members.map((r) => ({
        id: r.id,
        seed: r.args.seed,
        valLoss: r.totals!.valLoss,
        valAcc: r.totals!.valAcc,
        time: r.totals!.totalTime,
      })).sort((a, b) => a.seed - b.seed || compareValues(a.id, b.id));
      const loss = stats(trials.map((t) => t.valLoss));
      const acc = stats(trials.map((t) => t.valAcc));
      const time = stats(trials.map((t) => t.time));
      return {
        params: Object.fromEntries(varied.map((k) => [k, members[0].args[k]])),
        trials,
        mean: { valLoss: loss.mean, valAcc: acc.mean, time: time.mean },
        std: loss.std === null ? null : { valLoss: loss.std, valAcc: acc.std!, time: time.std! },
      };
    });
    groups.sort((a, b) => {
      for (const k of varied) {
        const c = compareValues(a.params[k], b.params[k]);
        if (c !== 0) return c;
      }
      return 0;
    });
    grids.push({
      data: dataLabel(rs[0].args),
      varied,
      seeds: groups.some((g) => g.trials.length > 1),
      groups,
    });
  }
  return grids.sort((a, b) =>
    (a.data === "all images" ? 0 : 1) - (b.data === "all images" ? 0 : 1) ||
    compareValues(a.data, b.data)
  );
}

function flagOf(key: keyof TrialArgs): string {
  return ARG_SPECS.find((s) => s.key === key)!.flag;
}

/** One row per trial (each seed), for CSV and JSON. */
export interface TableRow {
  grid: string;
  id: string;
  /** Varied parameters by flag name (`batch-size`), seed included. */
  params: Record<string, string | number | null>;
  valLoss: number;
  valAcc: number;
  time: number;
}

/** Every trial of every grid as flat rows (grid order, then group, then seed). */
export function tableRows(grids: Grid[]): TableRow[] {
  return grids.flatMap((g) =>
    g.groups.flatMap((group) =>
      group.trials.map((t) => ({
        grid: g.data,
        id: t.id,
        params: {
          ...Object.fromEntries(g.varied.map((k) => [flagOf(k), group.params[k] ?? null])),
          seed: t.seed,
        },
        valLoss: t.valLoss,
        valAcc: t.valAcc,
        time: t.time,
      }))
    )
  );
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? "" : String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * The trials as CSV: `grid,id,<every varied flag>,seed,val_loss,val_acc,time_s`, one line per
 * trial; a flag not varied in a row's grid is empty there.
 */
export function tableCsv(grids: Grid[]): string {
  const rows = tableRows(grids);
  const flags: string[] = [];
  for (const g of grids) {
    for (const k of g.varied) if (!flags.includes(flagOf(k))) flags.push(flagOf(k));
  }
  const header = ["grid", "id", ...flags, "seed", "val_loss", "val_acc", "time_s"];
  const lines = rows.map((r) =>
    [
      r.grid,
      r.id,
      ...flags.map((f) => r.params[f] ?? null),
      r.params.seed,
      r.valLoss,
      r.valAcc,
      r.time,
    ]
      .map(csvCell).join(",")
  );
  return [header.join(","), ...lines].join("\n") + "\n";
}

/** The grids as JSON: each with its varied flags and seed groups (mean, std, trials). */
export function tableJson(grids: Grid[]): string {
  const out = grids.map((g) => ({
    grid: g.data,
    varied: g.varied.map(flagOf),
    groups: g.groups.map((group) => ({
      params: Object.fromEntries(g.varied.map((k) => [flagOf(k), group.params[k] ?? null])),
      mean: group.mean,
      std: group.std,
      trials: group.trials,
    })),
  }));
  return JSON.stringify(out, null, 2) + "\n";
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;

function paramText(v: unknown): string {
  return v === null || v === undefined ? "default" : String(v);
}

/**
 * One grid's table: a row per setting with mean (and ± std over seeds), then, when some
 * setting has several seeds, a row per seed below it.
 * @param grid the grid
 * @returns the table block
 */
export function gridTable(grid: Grid): TableBlock {
  const header = [
    ...grid.varied.map((k) => `\`--${flagOf(k)}\``),
    "Seeds",
    "Val loss",
    "Val accuracy",
    "Time",
  ];
  const rows: string[][] = [];
  for (const g of grid.groups) {
    const params = grid.varied.map((k) => paramText(g.params[k]));
    const seeds = g.trials.map((t) => t.seed).join(", ");
    const pm = (mean: string, std: string | null) => (std === null ? mean : `${mean} ± ${std}`);
    rows.push([
      ...params,
      seeds,
      pm(g.mean.valLoss.toFixed(4), g.std && g.std.valLoss.toFixed(4)),
      pm(pct(g.mean.valAcc), g.std && pct(g.std.valAcc)),
      pm(`${g.mean.time.toFixed(2)} s`, g.std && `${g.std.time.toFixed(2)} s`),
    ]);
    if (g.trials.length > 1) {
      for (const t of g.trials) {
        rows.push([
          ...params.map(() => ""),
          `seed ${t.seed}`,
          t.valLoss.toFixed(4),
          pct(t.valAcc),
          `${t.time.toFixed(2)} s`,
        ]);
      }
    }
  }
  return tableBlock(header, rows);
}

/** Axis title of a parameter (its flag). */
function paramAxis(key: keyof TrialArgs): string {
  return `--${flagOf(key)}`;
}

/**
 * A small-multiples chart of a grid: one column per varied parameter (x) against validation
 * accuracy and time (rows); every trial is a point (each seed), the mean of the trials at each
 * value a tick.
 */
export function gridChart(grid: Grid, title: string): VegaLiteSpec {
  const params: (keyof TrialArgs)[] = grid.varied.length > 0 ? grid.varied : ["seed"];
  const values = grid.groups.flatMap((g) =>
    g.trials.map((t) => ({
      ...Object.fromEntries(
        params.map((k) => [flagOf(k), k === "seed" ? String(t.seed) : paramText(g.params[k])]),
      ),
      seed: t.seed,
      valAcc: Number((100 * t.valAcc).toFixed(4)),
      time: Number(t.time.toFixed(3)),
    }))
  );
  const metrics = [
    { field: "valAcc", title: "Validation accuracy (%)" },
    { field: "time", title: "Time (s)" },
  ];
  const panel = (key: keyof TrialArgs, metric: { field: string; title: string }) => {
    const x = {
      field: flagOf(key),
      type: "ordinal",
      title: paramAxis(key),
      axis: { labelAngle: 0 },
      sort: key === "seed"
        ? [...new Set(values.map((v) => v.seed))].sort((a, b) => a - b).map(String)
        : [...new Set(grid.groups.map((g) => g.params[key]))].sort(compareValues).map(paramText),
    };
    return {
      width: 160,
      height: 130,
      layer: [
        {
          mark: { type: "point", filled: true, size: 50, opacity: 0.7 },
          encoding: {
            x,
            y: {
              field: metric.field,
              type: "quantitative",
              title: metric.title,
              scale: { zero: false },
            },
            tooltip: [
              { field: "seed", type: "ordinal", title: "seed" },
              { field: metric.field, type: "quantitative", title: metric.title },
            ],
          },
        },
        {
          mark: { type: "tick", thickness: 2, color: "black" },
          encoding: {
            x,
            y: {
              aggregate: "mean",
              field: metric.field,
              type: "quantitative",
              title: metric.title,
            },
          },
        },
      ],
    };
  };
  return {
    $schema: CHART_SCHEMA,
    title: {
      text: title,
      subtitle: `${grid.data}; a point per trial (each seed), a tick: the mean at each value`,
    },
    config: CHART_CONFIG,
    data: { values },
    vconcat: metrics.map((m) => ({ hconcat: params.map((k) => panel(k, m)) })),
  };
}
