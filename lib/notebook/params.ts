/**
 * Notebook parameters from the environment (`NB_*` variables), each read with a default and
 * checked, with a one-line error naming the variable and what it accepts.
 * @module
 */

/**
 * Reads a positive integer parameter from environment variable `name`, or `fallback` when
 * it is unset or empty. Throws a one-line Error naming the variable for anything else.
 */
export function envInt(name: string, fallback: number): number {
  const raw = Deno.env.get(name)?.trim();
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer, got '${raw}'`);
  }
  return value;
}

/** Reads a string parameter from environment variable `name`, or `fallback` when unset/empty. */
export function envString(name: string, fallback: string): string {
  const raw = Deno.env.get(name)?.trim();
  return raw === undefined || raw === "" ? fallback : raw;
}

/** Reads one of `choices` from environment variable `name`; throws naming the choices. */
export function envChoice<T extends string>(name: string, choices: readonly T[], fallback: T): T {
  const raw = envString(name, fallback);
  if (!(choices as readonly string[]).includes(raw)) {
    throw new Error(`${name} must be one of ${choices.join(", ")}; got '${raw}'`);
  }
  return raw as T;
}

/** Reads a yes/no parameter (`1`, `true`, `yes` / `0`, `false`, `no`); throws on others. */
export function envFlag(name: string, fallback: boolean): boolean {
  const raw = Deno.env.get(name)?.trim().toLowerCase();
  if (raw === undefined || raw === "") return fallback;
  if (["1", "true", "yes"].includes(raw)) return true;
  if (["0", "false", "no"].includes(raw)) return false;
  throw new Error(`${name} must be one of 1, true, yes, 0, false, no; got '${raw}'`);
}
