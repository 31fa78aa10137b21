import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { startWorkers, type WorkerRuntime } from "../../shared/composition/worker-runtime.ts";
import { createFunctionDeps } from "../../shared/composition/function-deps.ts";
import { buildFunctions } from "../../shared/functions/build-functions.ts";
import { loadManifest, type FunctionManifest } from "../../shared/functions/manifest.ts";
import { readServerlessFunctions } from "../../shared/functions/serverless-config.ts";
import { flushLogger } from "../../shared/logging/logger.ts";
import { Publisher } from "../../shared/publisher/publisher.ts";
import { jobKeys } from "../../shared/redis/keys.ts";
import { runImport } from "../../functions/jira-import/run-import.ts";
import { json, startJiraReplay, type JiraReplay } from "../../functions/jira-import/replay-server.ts";
import { testConfig } from "../helpers/test-env.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { ImportHarness, TEST_EMAIL, TEST_TOKEN } from "./import-harness.ts";
import { dumpRedis, readIfExists } from "./secret-scan.ts";
import { mailText } from "./mail-text.ts";

const redisUrl = inject("redisUrl");
const ROOT = join(import.meta.dirname, "..", "..");

describe("jira-import failures through the real listener: the reason reaches the requester and :dlq, the secret goes nowhere", () => {
  let harness: ImportHarness;
  let manifest: FunctionManifest;
  let runtime: WorkerRuntime | undefined;
  let replay: JiraReplay | undefined;

  beforeAll(async () => {
    harness = await ImportHarness.start(redisUrl);
    // serverless.yml's own definition, with a fast back-off and one retry so "Jira down" ends quickly.
    const definition = (await readServerlessFunctions(join(ROOT, "serverless.yml"))).find((fn) => fn.name === "jira-import")!;
    const fast = { ...definition, maximumRetryAttempts: 1, backoff: { baseMs: 20, maxMs: 50 } };
    const outDir = mkdtempSync(join(tmpdir(), "bw-jira-build-"));
    await buildFunctions({ definitions: [fast], functionsDir: join(ROOT, "functions"), outDir, minify: false });
    manifest = await loadManifest(outDir);
    // jira-import runs under the isolated invoker: its child processes read their configuration
    // from the environment, as in production, so the test hands them the same key, SMTP peer and
    // import directory (this file runs in its own process; the values are restored after).
    for (const [name, value] of Object.entries(childEnv())) {
      savedEnv[name] = process.env[name];
      process.env[name] = value;
    }
    runtime = await startWorkers({ config: harness.config, logger: harness.logger, manifest, redisUrl });
  });
  const savedEnv: Record<string, string | undefined> = {};
  const childEnv = () => ({ SECRETS_KEY: harness.config.secretsKey!, SMTP_URL: harness.config.smtpUrl!, IMPORT_DIR: harness.config.importDir, LOG_FILE: harness.config.logFile });
  afterEach(async () => {
    await replay?.close();
    replay = undefined;
  });
  afterAll(async () => {
    await runtime?.stop(1000);
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await harness.close();
  });

  const publishAndWaitForDeadLetter = async (jiraUrl: string, projectKey: string) => {
    const publisher = new Publisher({ redis: harness.redis, manifest, config: harness.config });
    const request = { jiraUrl, projectKey, issueTypes: ["10001"], credentials: { email: TEST_EMAIL, token: TEST_TOKEN }, requester: { email: "requester@example.com" }, tracker: { name: "Bugs", shortName: "bug" } };
    const { jobId } = await publisher.publish("jira-import", request);
    const { dlq } = jobKeys(harness.config.keyPrefix, "jira-import");
    const letter = await waitFor(async () => (await harness.redis.xrange(dlq, "-", "+")).find(([, fields]) => fields.includes(jobId)), { timeoutMs: 30_000, message: "no dead letter" });
    const fields = Object.fromEntries(letter![1].flatMap((value, index, all) => (index % 2 === 0 ? [[value, all[index + 1]]] : [])));
    return { jobId, fields };
  };

  const assertSecretNowhere = async () => {
    await flushLogger(harness.logger);
    const everything = [await dumpRedis(harness.redis, harness.config.keyPrefix), readIfExists(harness.config.logFile), ...harness.smtp.messages.map((mail) => mail.raw)].join("\n");
    expect(everything).not.toContain(TEST_TOKEN);
    expect(everything).not.toContain(Buffer.from(`${TEST_EMAIL}:${TEST_TOKEN}`).toString("base64"));
  };

  it("wrong credentials (401): final at once, reason in the mail and the dead letter, credentials deleted", async () => {
    replay = await startJiraReplay({ flavor: "cloud", expectedAuthorization: "Basic someone-else" });
    const { jobId, fields } = await publishAndWaitForDeadLetter(replay.url, "SYN");
    expect(fields.error_code).toBe("JIRA_AUTH_FAILED");
    expect(fields.error_message).toContain("rejected the credentials (401 Unauthorized)");
    expect(fields.attempt).toBe("1");
    expect(JSON.parse(fields.payload!)).toMatchObject({ credentialsRef: `secret:${jobId}` });
    expect(JSON.parse(fields.payload!)).not.toHaveProperty("credentials");
    const mail = (await waitFor(() => harness.smtp.messages.find((m) => m.raw.includes(jobId)), { message: "no failure mail" }))!;
    expect(mail.to).toEqual(["requester@example.com"]);
    expect(mailText(mail.raw)).toContain("failed");
    expect(mailText(mail.raw)).toContain("Reason: Jira at");
    expect(mailText(mail.raw)).toContain("JIRA_AUTH_FAILED");
    expect(await harness.redis.exists(`${harness.config.keyPrefix}:{jira-import}:kv:secret:${jobId}`)).toBe(0);
    await assertSecretNowhere();
  });

  it("unknown project (404): final at once, named in the mail and the dead letter", async () => {
    replay = await startJiraReplay({ flavor: "cloud" });
    const { jobId, fields } = await publishAndWaitForDeadLetter(replay.url, "NOPE");
    expect(fields.error_code).toBe("JIRA_NOT_FOUND");
    expect(fields.error_message).toContain("/rest/api/2/project/NOPE/roledetails (404 Not Found)");
    const mail = (await waitFor(() => harness.smtp.messages.find((m) => m.raw.includes(jobId)), { message: "no failure mail" }))!;
    expect(mailText(mail.raw)).toContain("roledetails (404 Not Found)");
    await assertSecretNowhere();
  });

  it("Jira down: retried, then dead-lettered as JIRA_UNAVAILABLE with the reason", async () => {
    const down = await startJiraReplay({ flavor: "cloud" });
    const url = down.url;
    await down.close();
    const { fields } = await publishAndWaitForDeadLetter(url, "SYN");
    expect(fields.error_code).toBe("JIRA_UNAVAILABLE");
    expect(fields.error_message).toMatch(/unreachable or failing: GET \/rest\/api\/2\/serverInfo failed 4 times \(last: ECONNREFUSED\)/);
    expect(fields.attempt).toBe("2");
    await assertSecretNowhere();
  });

  it("Jira failing with 5xx on the last attempt: the requester is told (once the host passes maxAttempts)", async () => {
    replay = await startJiraReplay({ flavor: "cloud", route: (request) => (request.path.endsWith("/roledetails") ? json(503, { errorMessages: ["maintenance"] }) : undefined) });
    const jobId = harness.newJobId();
    const payload = await harness.stored({ jiraUrl: replay.url, projectKey: "SYN", issueTypes: ["10001"] }, jobId);
    const scope = createFunctionDeps({ config: harness.config, logger: harness.logger, type: "jira-import", redis: harness.redis });
    const ctx = { logger: harness.logger, signal: new AbortController().signal, attempt: 3, maxAttempts: 3, jobId, enqueuedAt: Date.now(), deps: scope.deps };
    await expect(runImport(payload, ctx)).rejects.toMatchObject({ code: "JIRA_UNAVAILABLE", retryable: true });
    await scope.dispose();
    const mail = harness.smtp.messages.find((m) => m.raw.includes(jobId));
    expect(mailText(mail?.raw ?? "")).toContain("failed 4 times (last: HTTP 503: maintenance)");
    await assertSecretNowhere();
  });

  it("refuses to publish without a secrets key, naming the fix, and adds nothing", async () => {
    const config = testConfig(redisUrl);
    expect(config.secretsKey).toBeUndefined();
    const publisher = new Publisher({ redis: harness.redis, manifest, config });
    const request = { jiraUrl: "https://jira.example.com", projectKey: "SYN", credentials: { token: TEST_TOKEN }, requester: { email: "r@example.com" }, tracker: { name: "Bugs", shortName: "bug" } };
    await expect(publisher.publish("jira-import", request)).rejects.toMatchObject({ code: "SECRETS_KEY_MISSING", retryable: false, message: expect.stringContaining("set SECRETS_KEY") });
    expect(await harness.redis.exists(jobKeys(config.keyPrefix, "jira-import").stream)).toBe(0);
  });
});
