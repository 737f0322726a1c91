/**
 * Talking to the Docker CLI: one command with its output captured, whether a daemon answers,
 * and the label every image and container of this project carries.
 * @module
 */

/** Label key on the project's images and containers (`docker:clean` removes by it). */
export const LABEL_KEY = "org.mnist-deno.project";

/** The label as `key=value`, for `--label` and `--filter label=`. */
export const PROJECT_LABEL = `${LABEL_KEY}=1`;

/** Output of one docker command. */
export interface DockerResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `docker args...`, capturing its output; a missing `docker` binary gives code 127. */
export async function docker(args: readonly string[], timeoutMs = 120_000): Promise<DockerResult> {
  try {
    const out = await new Deno.Command("docker", {
      args: [...args],
      stdin: "null",
      signal: AbortSignal.timeout(timeoutMs),
    }).output();
    const text = new TextDecoder();
    return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      return { code: 127, stdout: "", stderr: "docker: command not found" };
    }
    throw err;
  }
}

/** Whether a Docker daemon answers (`docker info` within 15 s). */
export async function dockerAvailable(): Promise<boolean> {
  const r = await docker(["info", "--format", "{{.ServerVersion}}"], 15_000).catch(() => null);
  return r !== null && r.code === 0 && r.stdout.trim() !== "";
}

/** The first line of a docker error, for one-line messages. */
export function firstLine(text: string): string {
  return text.trim().split("\n")[0] ?? "";
}
