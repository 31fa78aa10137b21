import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Config } from "../../shared/config.ts";
import type { FunctionDefinition } from "../../shared/functions/function-definition.ts";
import { readServerlessFunctions } from "../../shared/functions/serverless-config.ts";
import type { BatchResponse, StreamEvent } from "../../shared/handler/stream-event.ts";
import { exampleEvent } from "../../scripts/example-event.ts";
import { testConfig } from "../helpers/test-env.ts";
import { REPO, runOsls, serviceDir, type OslsResult, type ServiceDir } from "./osls.ts";

const redisUrl = inject("redisUrl");

/** The result osls prints: the last pretty-printed JSON object of stdout. */
function printedResult(stdout: string): BatchResponse {
  const start = stdout.lastIndexOf("\n{\n") >= 0 ? stdout.lastIndexOf("\n{\n") + 1 : stdout.indexOf("{\n");
  const end = stdout.lastIndexOf("\n}") + 2;
  return JSON.parse(stdout.slice(start, end)) as BatchResponse;
}

function readEvent(fn: FunctionDefinition): StreamEvent {
  return JSON.parse(readFileSync(join(REPO, "functions", fn.name, "example-event.json"), "utf8")) as StreamEvent;
}

describe("serverless invoke local with each function's example event", () => {
  let functions: FunctionDefinition[];
  const services: ServiceDir[] = [];
  let config: Config;
  const results = new Map<string, OslsResult>();

  beforeAll(async () => {
    functions = await readServerlessFunctions(join(REPO, "serverless.yml"));
    config = testConfig(redisUrl);
    const env = { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: config.keyPrefix, VAR_DIR: config.varDir, SECRETS_KEY: randomBytes(32).toString("hex"), LOG_LEVEL: "silent" };
    // The plugin rebuilds dist/ before each invoke: one service copy per function, so no build
    // overwrites a bundle another invoke is loading.
    await Promise.all(
      functions.map(async (fn) => {
        const service = serviceDir();
        services.push(service);
        results.set(fn.name, await runOsls(service.dir, ["invoke", "local", "-f", fn.name, "--path", join("functions", fn.name, "example-event.json")], env));
      }),
    );
  }, 240_000);
  afterAll(() => {
    for (const service of services) service.remove();
  });

  it("keeps every example-event.json in step with its example.json", async () => {
    for (const fn of functions) {
      expect(readEvent(fn), `${fn.name}: run node bin/run-ts.mjs scripts/make-example-events.ts`).toEqual(await exampleEvent(fn, join(REPO, "functions")));
    }
  });

  it("prints a batch response naming only records of the event, for every function", () => {
    for (const fn of functions) {
      const result = results.get(fn.name) as OslsResult;
      expect(result.code, result.stdout + result.stderr).toBe(0);
      const response = printedResult(result.stdout);
      const ids = readEvent(fn).Records.map((record) => record.messageId);
      expect(Array.isArray(response.batchItemFailures)).toBe(true);
      for (const failure of response.batchItemFailures) expect(ids).toContain(failure.itemIdentifier);
      // A record the function could not even parse would mean the example event is wrong.
      expect(response.batchItemFailures.map((failure) => failure.code)).not.toContain("INVALID_PAYLOAD");
    }
  });

  it("tracker-notification mails every recipient of its example, into the local outbox", () => {
    const response = printedResult((results.get("tracker-notification") as OslsResult).stdout);
    expect(response.batchItemFailures).toEqual([]);
    // Without SMTP_URL mails go to <VAR_DIR>/mail: the plugin handed the function the local var dir, not Lambda's /tmp.
    const outbox = join(config.varDir, "mail");
    expect(existsSync(outbox)).toBe(true);
    const mails = readdirSync(outbox).map((file) => readFileSync(join(outbox, file), "utf8"));
    const example = JSON.parse(readFileSync(join(REPO, "functions", "tracker-notification", "example.json"), "utf8")) as { recipients: { address: string }[] };
    for (const { address } of example.recipients) expect(mails.some((mail) => mail.includes(address)), address).toBe(true);
  });

  it("jira-import runs its stored payload up to the credential vault, which has nothing for the example job", () => {
    const response = printedResult((results.get("jira-import") as OslsResult).stdout);
    const [record] = readEvent({ name: "jira-import" } as FunctionDefinition).Records;
    expect(response.batchItemFailures).toEqual([expect.objectContaining({ itemIdentifier: record?.messageId, code: "CREDENTIALS_EXPIRED", retryable: false })]);
  });
});
