/**
 * Sweeps: a grid or preset of trials planned, run in containers or local processes under a
 * lock, and summarised; the trial image and cleaning up after it. The one door to `lib/sweep/`.
 * @module
 */

export { cleanProject } from "./clean.ts";
export { sweepCommand } from "./command.ts";
export { dockerAvailable } from "./docker.ts";
export { buildImage, imageId, imageInputs, imageTag, pushImage } from "./image.ts";
export { planArgv } from "./plan_index.ts";
export type { Printer, SweepCommandOptions } from "./command.ts";
export type { LineSink, Stream } from "./process.ts";
