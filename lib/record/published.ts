/**
 * The reference study as data: its three sweeps (which trials they hold) and the numbers it
 * published for each trial (PyTorch, CPU, the author's laptop).
 * The presets of `deno task epochs|lr|batch` are built from these sweeps.
 * @module
 */

/** The swept argument of a sweep, named as in `TrialArgs`. */
export type SweepParam = "epochs" | "lr" | "batchSize";

/** The three arguments that place a trial in a sweep. */
export interface Cell {
  /** Epochs trained. */
  epochs: number;
  /** Training batch size. */
  batchSize: number;
  /** Adadelta learning rate. */
  lr: number;
}

/** One sweep of the reference study. */
export interface Sweep {
  /** Short name: `epochs`, `lr` or `batch` (also the `deno task` preset). */
  name: string;
  /** Heading, e.g. `Sweep a: epochs`. */
  title: string;
  /** Row label of the swept value in the table, as in the reference (`Epochs`). */
  label: string;
  /** The argument the sweep varies. */
  param: SweepParam;
  /** The trials of the sweep, in table order. */
  cells: Cell[];
}

/** Arguments every reference trial shares besides its cell. */
export const FIXED = { gamma: 0.7, seed: 1, limitTrain: null, limitTest: null } as const;

/** The three sweeps of the reference study, in its order. */
export const SWEEPS: readonly Sweep[] = [
  {
    name: "epochs",
    title: "Sweep a: epochs",
    label: "Epochs",
    param: "epochs",
    cells: [1, 5, 10].map((epochs) => ({ epochs, batchSize: 128, lr: 1.0 })),
  },
  {
    name: "lr",
    title: "Sweep b: learning rate",
    label: "Learning rate",
    param: "lr",
    cells: [1.0, 0.5].map((lr) => ({ epochs: 5, batchSize: 128, lr })),
  },
  {
    name: "batch",
    title: "Sweep c: batch size",
    label: "Batch size",
    param: "batchSize",
    cells: [32, 64, 128].map((batchSize) => ({ epochs: 5, batchSize, lr: 1.0 })),
  },
];

/** What the reference published for one trial; accuracy as a fraction. */
export interface PublishedResult extends Cell {
  /** Elapsed seconds. */
  elapsed: number;
  /** Validation loss after the last epoch. */
  valLoss: number;
  /** Validation accuracy after the last epoch. */
  valAcc: number;
}

/** The published results, one per distinct trial (the shared 5/128/1.0 trial once). */
export const PUBLISHED: readonly PublishedResult[] = [
  { epochs: 1, batchSize: 128, lr: 1.0, elapsed: 62.54, valLoss: 0.0561, valAcc: 0.9807 },
  { epochs: 5, batchSize: 128, lr: 1.0, elapsed: 354.47, valLoss: 0.0280, valAcc: 0.9908 },
  { epochs: 10, batchSize: 128, lr: 1.0, elapsed: 707.03, valLoss: 0.0263, valAcc: 0.9919 },
  { epochs: 5, batchSize: 128, lr: 0.5, elapsed: 322.88, valLoss: 0.0297, valAcc: 0.9902 },
  { epochs: 5, batchSize: 32, lr: 1.0, elapsed: 500.73, valLoss: 0.0332, valAcc: 0.9899 },
  { epochs: 5, batchSize: 64, lr: 1.0, elapsed: 388.76, valLoss: 0.0280, valAcc: 0.9905 },
];

/** A stable key for a cell, e.g. `e5_b128_lr1`. */
export function cellKey(cell: Cell): string {
  return `e${cell.epochs}_b${cell.batchSize}_lr${cell.lr}`;
}

/** The distinct cells of all sweeps, sorted by epochs, batch size, then learning rate. */
export function allCells(): Cell[] {
  const byKey = new Map<string, Cell>();
  for (const sweep of SWEEPS) {
    for (const cell of sweep.cells) byKey.set(cellKey(cell), cell);
  }
  return [...byKey.values()].sort(compareCells);
}

/** Orders cells by epochs, then batch size, then learning rate (descending, 1.0 first). */
export function compareCells(a: Cell, b: Cell): number {
  return a.epochs - b.epochs || a.batchSize - b.batchSize || b.lr - a.lr;
}

/** The published result of a cell, or undefined when the reference has none. */
export function publishedFor(cell: Cell): PublishedResult | undefined {
  return PUBLISHED.find((p) => cellKey(p) === cellKey(cell));
}
