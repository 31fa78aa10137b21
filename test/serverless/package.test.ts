import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readServerlessFunctions } from "../../shared/functions/serverless-config.ts";
import type { FunctionDefinition } from "../../shared/functions/function-definition.ts";
import { REPO, runOsls, serviceDir, type OslsResult, type ServiceDir } from "./osls.ts";
import { zipEntries } from "./zip-entries.ts";

interface CfnFunction {
  Type: string;
  Properties: { Handler: string; Runtime: string; Timeout: number; MemorySize: number; Code: { S3Key: string }; Environment?: { Variables: Record<string, unknown> } };
}

describe("serverless package (osls, offline, no account)", () => {
  let service: ServiceDir;
  let result: OslsResult;
  let functions: FunctionDefinition[];
  const out = () => join(service.dir, "out");

  beforeAll(async () => {
    functions = await readServerlessFunctions(join(REPO, "serverless.yml"));
    service = serviceDir();
    // A V8 code cache a local worker left beside a bundle (load-bundle.cjs) must not be shipped.
    for (const fn of functions) {
      const dir = join(service.dir, "dist", "functions", fn.name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "index.js.0123456789abcdef.v8cache"), "cache");
    }
    result = await runOsls(service.dir, ["package", "--package", "out"]);
  }, 180_000);
  afterAll(() => service?.remove());

  it("builds the bundles first and writes one zip per function", () => {
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout + result.stderr).toContain("redisStream: bundled");
    const zips = readdirSync(out()).filter((file) => file.endsWith(".zip"));
    expect(zips.sort()).toEqual(functions.map((fn) => `${fn.name}.zip`).sort());
  });

  it("puts only the function's own bundle in its zip: no node_modules, no other function, no source map, no code cache, no publisher schema", () => {
    const lines: string[] = [];
    for (const fn of functions) {
      const zipFile = join(out(), `${fn.name}.zip`);
      const entries = zipEntries(readFileSync(zipFile));
      const prefix = `dist/functions/${fn.name}/`;
      expect(entries.every((entry) => entry.name.startsWith(prefix)), entries.map((entry) => entry.name).join(", ")).toBe(true);
      expect(entries.some((entry) => entry.name.includes("node_modules") || entry.name.endsWith(".map") || entry.name.endsWith(".v8cache") || entry.name.endsWith("schema.js"))).toBe(false);
      expect(entries.map((entry) => entry.name)).toEqual(expect.arrayContaining([`${prefix}index.js`, `${prefix}package.json`]));
      // The zipped bundle is the one the plugin's build just wrote.
      const bundle = entries.find((entry) => entry.name === `${prefix}index.js`);
      expect(bundle?.size).toBe(statSync(join(service.dir, "dist", "functions", fn.name, "index.js")).size);
      lines.push(`${fn.name}: zip ${(statSync(zipFile).size / 1024).toFixed(1)} KiB; ${entries.map((entry) => `${entry.name.slice(prefix.length)} ${(entry.size / 1024).toFixed(1)} KiB`).join(", ")}`);
    }
    console.log(`artifacts:\n  ${lines.join("\n  ")}`);
  });

  it("ships bundles that load on their own, with no node_modules around them", () => {
    for (const fn of functions) {
      // The temp service has no node_modules up its tree: a require that escaped the bundle fails here.
      const bundle = join(service.dir, "dist", "functions", fn.name, "index.js");
      const run = spawnSync(process.execPath, ["-e", `process.stdout.write(typeof require(${JSON.stringify(bundle)}).handler)`], { cwd: service.dir, env: { PATH: process.env.PATH }, encoding: "utf8" });
      expect(run.stdout, run.stderr).toBe("function");
    }
  });

  it("names each function's handler, settings and zip in the CloudFormation template", () => {
    const template = JSON.parse(readFileSync(join(out(), "cloudformation-template-update-stack.json"), "utf8")) as { Resources: Record<string, CfnFunction> };
    const lambdas = Object.values(template.Resources).filter((resource) => resource.Type === "AWS::Lambda::Function");
    expect(lambdas).toHaveLength(functions.length);
    for (const fn of functions) {
      const lambda = lambdas.find((resource) => resource.Properties.Code.S3Key.endsWith(`/${fn.name}.zip`));
      expect(lambda, fn.name).toBeDefined();
      expect(lambda?.Properties).toMatchObject({ Handler: `dist/functions/${fn.name}/index.handler`, Runtime: "nodejs20.x", Timeout: fn.timeoutMs / 1000, MemorySize: fn.memorySize });
      expect(Object.keys(lambda?.Properties.Environment?.Variables ?? {})).toEqual(expect.arrayContaining(["REDIS_URL", "SECRETS_KEY", "VAR_DIR"]));
    }
  });
});
