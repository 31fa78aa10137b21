import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, inject, it } from "vitest";
import { startJiraReplay, type JiraReplay } from "../../functions/jira-import/replay-server.ts";
import { buildFunctions } from "../../shared/functions/build-functions.ts";
import { loadManifest } from "../../shared/functions/manifest.ts";
import { readServerlessFunctions } from "../../shared/functions/serverless-config.ts";
import { Publisher } from "../../shared/publisher/publisher.ts";
import { spawnCli, type CliProcess } from "../helpers/cli.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { ImportHarness, TEST_EMAIL, TEST_TOKEN } from "./import-harness.ts";
import { syntheticCloudProject } from "./synthetic-jira.ts";

const redisUrl = inject("redisUrl");
const ROOT = join(import.meta.dirname, "..", "..");

describe("jira-import in a worker process killed with SIGKILL mid-import", () => {
  const processes: CliProcess[] = [];
  let replay: JiraReplay | undefined;
  let harness: ImportHarness | undefined;
  afterEach(async () => {
    for (const p of processes.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
      await p.exited;
    }
    await replay?.close();
    await harness?.close();
  });

  it("a restarted worker resumes from the checkpoint: every issue once, done pages not fetched again, one mail", async () => {
    // Prepare: the real function (serverless.yml: isolated invoker) in a real worker process.
    harness = await ImportHarness.start(redisUrl);
    const h = harness;
    const distDir = mkdtempSync(join(tmpdir(), "bw-jira-dist-"));
    const definitions = (await readServerlessFunctions(join(ROOT, "serverless.yml"))).filter((fn) => fn.name === "jira-import");
    await buildFunctions({ definitions, functionsDir: join(ROOT, "functions"), outDir: distDir });
    const manifest = await loadManifest(distDir);
    // Page 3 is held the first time it is asked for: the worker is killed while it waits.
    const project = syntheticCloudProject({ key: "SYN", issues: 250, pageSize: 40 });
    let release: (() => void) | undefined;
    let held = false;
    replay = await startJiraReplay({
      flavor: "cloud",
      route: async (request) => {
        if (request.query.get("nextPageToken") === "p3" && !held) {
          held = true;
          await new Promise<void>((resolve) => (release = resolve));
        }
        return project.route(request);
      },
    });
    const env = {
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: h.config.keyPrefix,
      VAR_DIR: h.config.varDir,
      DIST_DIR: distDir,
      SECRETS_KEY: h.config.secretsKey as string,
      SMTP_URL: h.config.smtpUrl as string,
      IMPORT_DIR: h.config.importDir,
      LOG_LEVEL: "info",
    };
    const first = spawnCli(["worker"], env);
    processes.push(first);
    await waitFor(() => first.output().includes("ready"), { message: "worker not ready", timeoutMs: 30_000 });
    const publisher = new Publisher({ redis: h.redis, manifest, config: h.config });
    const request = { jiraUrl: replay.url, projectKey: "SYN", issueTypes: ["10001"], credentials: { email: TEST_EMAIL, token: TEST_TOKEN }, requester: { email: "requester@example.com" }, tracker: { name: "Bugs", shortName: "bug" }, users: { "dev@example.com": "dev" } };
    const { jobId } = await publisher.publish("jira-import", request);
    await waitFor(() => held, { message: "the import never reached page 3", timeoutMs: 30_000 });

    // Act: kill the worker (its isolated child must die with it), let the held page go, restart.
    first.child.kill("SIGKILL");
    await first.exited;
    release?.();
    const second = spawnCli(["worker"], env);
    processes.push(second);

    // Assess
    const xmlFile = join(h.config.importDir, jobId, "tracker.xml");
    await waitFor(() => h.smtp.messages.some((mail) => mail.raw.includes(jobId)), { message: "no outcome mail", timeoutMs: 40_000 }).catch((error: Error) => {
      throw new Error(`${error.message}\n${second.output()}\n${readFileSync(join(h.config.varDir, "log", "worker_log"), "utf8").split("\n").slice(-15).join("\n")}`);
    });
    const xml = readFileSync(xmlFile, "utf8");
    expect(xml.match(/<artifact id=/g)?.length).toBe(250);
    expect(new Set(xml.match(/<artifact id="[^"]+"/g)).size).toBe(250);
    expect([0, 1, 2].map((page) => project.pageRequests.get(page))).toEqual([1, 1, 1]);
    // Page 3 twice (the killed attempt, the resumed one); later pages once: the killed worker's
    // child did not carry on after its parent died.
    expect(project.pageRequests.get(3)).toBe(2);
    expect([4, 5, 6].map((page) => project.pageRequests.get(page))).toEqual([1, 1, 1]);
    expect(h.smtp.messages.filter((mail) => mail.raw.includes(jobId))).toHaveLength(1);
  });
});
