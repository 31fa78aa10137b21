import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import { z } from "zod";
import { BackendWorkersError } from "../errors.ts";
import { summarizeIssues } from "../handler/validation.ts";
import { JOB_TYPE_PATTERN } from "../redis/keys.ts";
import { redisStreamEventSchema, toFunctionDefinition, type FunctionDefinition } from "./function-definition.ts";

const functionSchema = z
  .object({
    handler: z.string(),
    timeout: z.number().int().min(1).max(900).default(60),
    memorySize: z.number().int().min(128).max(10_240).default(256),
    events: z.array(z.record(z.string(), z.unknown())).default([]),
  })
  .passthrough();

/**
 * Reads the functions of serverless.yml, the single source of truth: each function with a
 * `redisStream` event becomes a {@link FunctionDefinition}. A bad setting throws an error that
 * names the function and the setting.
 */
export async function readServerlessFunctions(file: string): Promise<FunctionDefinition[]> {
  const document = parse(await readFile(file, "utf8")) as { functions?: Record<string, unknown> } | null;
  const definitions: FunctionDefinition[] = [];
  for (const [name, raw] of Object.entries(document?.functions ?? {})) {
    if (!JOB_TYPE_PATTERN.test(name)) throw invalid(name, "name", "lower-case letters, digits and '-'");
    const fn = functionSchema.safeParse(raw);
    if (!fn.success) throw invalid(name, "", summarizeIssues(fn.error));
    const expectedHandler = `dist/functions/${name}/index.handler`;
    if (fn.data.handler !== expectedHandler) throw invalid(name, "handler", `must be ${expectedHandler}`);
    for (const event of fn.data.events) {
      if (!("redisStream" in event)) continue;
      const parsed = redisStreamEventSchema.safeParse(event.redisStream ?? {});
      if (!parsed.success) throw invalid(name, "events.redisStream", summarizeIssues(parsed.error));
      definitions.push(toFunctionDefinition(name, fn.data.timeout, fn.data.memorySize, parsed.data));
    }
  }
  return definitions;
}

function invalid(fn: string, path: string, problem: string): BackendWorkersError {
  return new BackendWorkersError("INVALID_SERVERLESS_CONFIG", `serverless.yml functions.${fn}${path ? "." + path : ""}: ${problem}`, { retryable: false });
}
