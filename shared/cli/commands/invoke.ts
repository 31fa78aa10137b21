import type { Command } from "commander";
import type { Config } from "../../config.ts";
import { createFunctionDeps } from "../../composition/function-deps.ts";
import { findEmbeddedRedis } from "../../embedded/embedded-redis.ts";
import { BackendWorkersError } from "../../errors.ts";
import { loadHandlerModule, loadSchemaModule } from "../../functions/function-module.ts";
import { findFunction } from "../../functions/manifest.ts";
import type { BatchResponse } from "../../handler/stream-event.ts";
import { newEnvelope } from "../../job/envelope.ts";
import { summarizeIssues } from "../../handler/validation.ts";
import { toStreamEvent } from "../../listener/to-stream-event.ts";
import { createLogger, flushLogger } from "../../logging/logger.ts";
import { jobKeys } from "../../redis/keys.ts";
import { ensureBuilt } from "../project.ts";
import { readPayloadArgument } from "../read-payload.ts";

/**
 * `invoke <function> <json|@file|->`: runs one function once, in this process, on what `publish`
 * would store for the payload (validated by the function's schema, passed through its publish
 * hook), wrapped in a one-record SQS-shaped event exactly as the listener builds it, and prints
 * the function's `{ batchItemFailures }` as JSON on stdout (exit code 1 when the record failed).
 * No listener, no stream, no Serverless Framework: the quickest local check. The function gets
 * its ports the way the inline invoker gives them (so they are closed afterwards and the process
 * exits); Redis is opened only if the function or its hook uses the key-value store, at
 * REDIS_URL or else at the embedded Redis when one runs. Logs go to the worker log, keeping
 * stdout to the result.
 */
export async function runInvoke(config: Config, name: string, payloadArgument: string): Promise<BatchResponse> {
  const payload = await readPayloadArgument(payloadArgument);
  const manifest = await ensureBuilt(config);
  const fn = findFunction(manifest, name);
  const schemaModule = loadSchemaModule(fn.schemaBundle);
  const parsed = schemaModule.schema.safeParse(payload);
  if (!parsed.success) throw new BackendWorkersError("INVALID_PAYLOAD", `invalid ${fn.type} payload: ${summarizeIssues(parsed.error)}`, { retryable: false });

  const redisUrl = config.redisUrl ?? (await findEmbeddedRedis(config.varDir))?.url;
  const logger = createLogger({ level: config.logLevel, file: config.logFile, name: fn.type });
  const scope = createFunctionDeps({ config: { ...config, redisUrl }, logger, type: fn.type });
  let response: BatchResponse;
  try {
    const job = newEnvelope(fn.type, "");
    const stored = schemaModule.beforePublish ? await schemaModule.beforePublish(parsed.data, { jobId: job.jobId, config, kv: scope.deps.kv }) : payload;
    job.payload = JSON.stringify(stored);
    const event = toStreamEvent(jobKeys(config.keyPrefix, fn.type).stream, [{ entryId: `${job.enqueuedAt}-0`, job, attempt: 1 }]);
    const { handler } = loadHandlerModule(fn.bundle);
    const deadline = Date.now() + fn.timeoutMs;
    response = await handler(event, {
      backendWorkers: { deps: scope.deps, logger, timeoutMs: fn.timeoutMs },
      functionName: fn.name,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    });
  } finally {
    await scope.dispose().catch(() => undefined);
    await flushLogger(logger);
  }
  process.stdout.write(JSON.stringify(response, null, 2) + "\n");
  if (response.batchItemFailures.length > 0) {
    process.stderr.write(`backend-workers: ${fn.name} failed the job (log: ${config.logFile})\n`);
    process.exitCode = 1;
  }
  return response;
}

/** Adds the `invoke` command to the CLI. */
export function registerInvokeCommand(program: Command, config: () => Config): void {
  program
    .command("invoke")
    .description("run one function once in this process on a payload and print its batchItemFailures")
    .argument("<function>", "function name (or job type)")
    .argument("<payload>", "JSON text, @file, or - for stdin")
    .action(async (name: string, payload: string) => {
      await runInvoke(config(), name, payload);
    });
}
