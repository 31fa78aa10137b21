import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { loadConfig } from "../shared/config.ts";
import { BackendWorkersError } from "../shared/errors.ts";
import type { FunctionDefinition } from "../shared/functions/function-definition.ts";
import type { SchemaModule } from "../shared/functions/function-module.ts";
import type { StreamEvent } from "../shared/handler/stream-event.ts";
import { summarizeIssues } from "../shared/handler/validation.ts";
import { newEnvelope } from "../shared/job/envelope.ts";
import { toStreamEvent } from "../shared/listener/to-stream-event.ts";
import type { KeyValueStore } from "../shared/ports/key-value-store.ts";
import { jobKeys } from "../shared/redis/keys.ts";

/** The enqueue time of every example (2026-01-01): fixed, so regenerating changes nothing by itself. */
export const EXAMPLE_ENQUEUED_AT = Date.UTC(2026, 0, 1);

/**
 * The SQS-shaped event a function receives for its `example.json`: the payload validated by the
 * function's schema and passed through its publish hook exactly as `publish` stores it (so
 * jira-import's example carries a `credentialsRef`, never credentials), wrapped as the listener
 * wraps a fresh job of the default `bw` prefix. The job id and times are derived from the
 * function name, so the file only changes when example.json or the event contract does. A
 * publish hook runs against a throwaway in-memory store and key: what it stores is dropped.
 */
export async function exampleEvent(fn: FunctionDefinition, functionsDir: string): Promise<StreamEvent> {
  const dir = join(functionsDir, fn.name);
  const file = join(dir, "example.json");
  let payload: unknown;
  try {
    payload = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new BackendWorkersError("NO_EXAMPLE", `${file}: ${(error as Error).message}`, { retryable: false });
  }
  const module = (await import(pathToFileURL(join(dir, "schema.ts")).href)) as SchemaModule;
  const parsed = module.schema.safeParse(payload);
  if (!parsed.success) throw new BackendWorkersError("INVALID_PAYLOAD", `${file} does not match the ${fn.type} schema: ${summarizeIssues(parsed.error)}`, { retryable: false });

  const job = newEnvelope(fn.type, "", { jobId: exampleJobId(fn.name), now: EXAMPLE_ENQUEUED_AT });
  const config = loadConfig({ SECRETS_KEY: randomBytes(32).toString("hex"), LOG_LEVEL: "silent" });
  const stored = module.beforePublish ? await module.beforePublish(parsed.data, { jobId: job.jobId, config, kv: throwawayStore() }) : payload;
  job.payload = JSON.stringify(stored);
  return toStreamEvent(jobKeys(config.keyPrefix, fn.type).stream, [{ entryId: `${EXAMPLE_ENQUEUED_AT}-0`, job, attempt: 1 }], { receivedAt: EXAMPLE_ENQUEUED_AT });
}

/** A UUID-shaped id derived from the function name. */
export function exampleJobId(name: string): string {
  const hex = createHash("sha256").update(`example:${name}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function throwawayStore(): KeyValueStore {
  const values = new Map<string, string>();
  return {
    async get(key) {
      return values.get(key) ?? null;
    },
    async set(key, value, options) {
      if (options?.ifAbsent && values.has(key)) return false;
      values.set(key, value);
      return true;
    },
    async del(key) {
      values.delete(key);
    },
    async incr(key) {
      const next = Number(values.get(key) ?? 0) + 1;
      values.set(key, String(next));
      return next;
    },
  };
}
