import { caseLockAndInterrupt, caseRunResumeFail, caseStopKillResume } from "./sweep_cases_test.ts";

const local = { runner: "local" as const, expectedImageId: () => Promise.resolve(null) };

Deno.test("local runner: two trials, resume, a failing trial", async () => {
  await caseRunResumeFail(local);
});

Deno.test("local runner: the lock refuses a second sweep; Ctrl-C records interrupted", async () => {
  await caseLockAndInterrupt(local);
});

Deno.test("local runner: a stopped trial resumes from its last epoch; a killed one is retried", async () => {
  await caseStopKillResume({
    ...local,
    kill: (name) => Promise.resolve(Deno.kill(Number(name.replace("pid ", "")), "SIGKILL")),
  });
});
