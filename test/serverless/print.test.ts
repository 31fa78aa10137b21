import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readServerlessFunctions } from "../../shared/functions/serverless-config.ts";
import { REPO, runOsls, serviceDir, type ServiceDir } from "./osls.ts";

describe("serverless print validates the redisStream event", () => {
  const services: ServiceDir[] = [];
  afterAll(() => {
    for (const service of services) service.remove();
  });

  it("fails on a misspelt setting and a bad value, naming each, as the listener's reader does", async () => {
    // Prepare: one typo in each function of the real serverless.yml.
    const yml = readFileSync(join(REPO, "serverless.yml"), "utf8");
    const broken = yml.replace(/(\n {10})batchSize: 10\n/, "$1batchSiz: 10\n").replace("invoker: isolated", "invoker: lamda");
    expect(broken).not.toBe(yml);
    const service = serviceDir(broken);
    services.push(service);

    // Act
    const result = await runOsls(service.dir, ["print"]);

    // Assess
    const output = result.stdout + result.stderr;
    expect(result.code).not.toBe(0);
    expect(output).toContain("at 'functions.tracker-notification.events.0.redisStream': unrecognized property 'batchSiz'");
    expect(output).toMatch(/at 'functions\.jira-import\.events\.0\.redisStream\.invoker': must be equal to one of the allowed values \[inline, isolated, lambda\]/);
    // The listener's build reads the same file with the zod schema the plugin's JSON Schema comes from.
    await expect(readServerlessFunctions(join(service.dir, "serverless.yml"))).rejects.toMatchObject({ code: "INVALID_SERVERLESS_CONFIG", message: expect.stringContaining("batchSiz") });
  }, 120_000);
});
