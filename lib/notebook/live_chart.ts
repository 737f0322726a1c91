/**
 * A chart shown once in a notebook and redrawn in place as new data comes (the live training
 * chart).
 * @module
 */

import type { VegaLiteSpec } from "../report/mod.ts";
import { chartBundle, show } from "./display.ts";

/**
 * A chart shown once and redrawn in place (Jupyter display update). Redraws are queued so
 * at most one renders at a time and the latest spec always wins; {@link LiveChart.flush}
 * waits for the last one.
 */
export class LiveChart {
  #id = `live-${crypto.randomUUID()}`;
  #shown = false;
  #pending: VegaLiteSpec | null = null;
  #drawing: Promise<void> | null = null;
  #error: unknown = null;

  /** Asks for `spec` to be drawn; returns at once (the drawing runs in the background). */
  request(spec: VegaLiteSpec): void {
    this.#pending = spec;
    if (!this.#drawing) this.#drawing = this.#drain();
  }

  /** Draws `spec` and waits until it and any queued drawing are shown. */
  async draw(spec: VegaLiteSpec): Promise<void> {
    this.request(spec);
    await this.flush();
  }

  /** Waits for queued drawings to finish; throws the error of a drawing that failed. */
  async flush(): Promise<void> {
    while (this.#drawing) await this.#drawing;
    const error = this.#error;
    this.#error = null;
    if (error) throw error;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending) {
        const spec = this.#pending;
        this.#pending = null;
        await show(await chartBundle(spec), this.#id, this.#shown);
        this.#shown = true;
      }
    } catch (err) {
      this.#error = err;
      this.#pending = null;
    } finally {
      this.#drawing = null;
    }
  }
}
