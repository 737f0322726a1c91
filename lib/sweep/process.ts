/**
 * Child processes for trials: spawned in their own session (so a Ctrl-C in the terminal
 * reaches only the sweep, which then stops each trial once, on purpose), output streamed
 * line by line, and optionally a pipe on stdin that closes when the sweep dies (even by
 * kill -9), so a child can notice it lost its parent.
 * @module
 */

/** Which stream a line came from. */
export type Stream = "stdout" | "stderr";

/** Receives a trial's output, one line at a time (without the newline). */
export type LineSink = (line: string, stream: Stream) => void;

/** How a process ended: its exit code (128 + n for signal n, as a shell reports it). */
export interface ProcessExit {
  code: number;
  signal: Deno.Signal | null;
}

/** A started child process. */
export interface Spawned {
  child: Deno.ChildProcess;
  /** The write end of the child's stdin when `parentPipe` was asked for (never written). */
  parentPipe: WritableStreamDefaultWriter<Uint8Array> | null;
  /** Resolves when the process has exited and all its output has been delivered. */
  exited: Promise<ProcessExit>;
}

let setsidPath: string | null | undefined;

/** `setsid` when this system has it (util-linux), else null. */
function findSetsid(): string | null {
  if (setsidPath !== undefined) return setsidPath;
  setsidPath = null;
  if (Deno.build.os !== "linux") return null;
  for (const dir of (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":")) {
    try {
      if (Deno.statSync(`${dir}/setsid`).isFile) return setsidPath = `${dir}/setsid`;
    } catch { /* not here */ }
  }
  return null;
}

/** Delivers a byte stream to `sink` line by line; a last line without newline counts too. */
async function pumpLines(
  stream: ReadableStream<Uint8Array>,
  name: Stream,
  sink: LineSink,
): Promise<void> {
  let rest = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + text).split("\n");
    rest = parts.pop()!;
    for (const line of parts) sink(line.replace(/\r$/, ""), name);
  }
  if (rest !== "") sink(rest, name);
}

/**
 * Spawns `cmd args` in a new session (via `setsid` where available), stdout and stderr
 * delivered to `sink` line by line. Stdin is closed, or with `parentPipe` a pipe this process
 * holds open and never writes: the child reads end-of-file once this process is gone.
 */
export function spawnStreaming(
  cmd: string,
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; parentPipe?: boolean },
  sink: LineSink,
): Spawned {
  const setsid = findSetsid();
  const child = new Deno.Command(setsid ?? cmd, {
    args: setsid ? [cmd, ...args] : [...args],
    cwd: options.cwd,
    env: options.env,
    stdin: options.parentPipe ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const pumps = Promise.all([
    pumpLines(child.stdout, "stdout", sink),
    pumpLines(child.stderr, "stderr", sink),
  ]);
  const exited = (async () => {
    const status = await child.status;
    await pumps;
    return { code: status.code, signal: status.signal };
  })();
  const parentPipe = options.parentPipe ? child.stdin.getWriter() : null;
  return { child, exited, parentPipe };
}

/** Sends a signal to a child, ignoring the error when it has already exited. */
export function signalChild(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    child.kill(signal);
  } catch { /* already gone */ }
}

/** Waits for `p` up to `ms` milliseconds; true when it settled in time. */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms));
  try {
    return await Promise.race([p.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
