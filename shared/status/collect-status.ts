import type { Redis } from "ioredis";
import type { FunctionManifest } from "../functions/manifest.ts";
import { GROUP, jobKeys } from "../redis/keys.ts";

/** The state of one function's queue, as `status --json` prints it. */
export interface FunctionStatus {
  type: string;
  stream: string;
  /** Jobs in the stream not yet delivered to any worker. */
  backlog: number;
  /** Delivered, not yet settled (running, or left by a dead worker). */
  pending: number;
  /** Age of the oldest pending job in ms (0 when none): the oldest, not the newest. */
  oldestPendingAgeMs: number;
  /** Consumers known to the group (including dead ones not yet cleaned up). */
  consumers: number;
  /** Workers holding a live name lease right now. */
  workersAlive: number;
  deadLetters: number;
  delayed: number;
}

/** The status document: one entry per function. */
export interface StatusDocument {
  at: string;
  functions: FunctionStatus[];
}

/** Reads every gauge of every function in one pipelined round trip (plus a lease SCAN). */
export async function collectStatus(redis: Redis, manifest: FunctionManifest, prefix: string, now = Date.now()): Promise<StatusDocument> {
  const functions = await Promise.all(
    manifest.functions.map(async (fn): Promise<FunctionStatus> => {
      const keys = jobKeys(prefix, fn.type);
      const results = await redis
        .pipeline()
        .xlen(keys.stream)
        .xinfo("GROUPS", keys.stream)
        .xpending(keys.stream, GROUP)
        .xlen(keys.dlq)
        .zcard(keys.delayed)
        .exec();
      const value = (i: number): unknown => (results?.[i]?.[0] ? undefined : results?.[i]?.[1]);
      const length = Number(value(0) ?? 0);
      const group = ((value(1) as unknown[][] | undefined) ?? []).map(flatToObject).find((g) => g.name === GROUP);
      const summary = value(2) as [number, string | null, string | null, unknown] | undefined;
      const pending = Number(summary?.[0] ?? 0);
      const oldest = summary?.[1] ? Number(summary[1].split("-")[0]) : undefined;
      // Acked entries are deleted, so the stream holds exactly the pending and the undelivered ones;
      // Redis's own `lag` is used when it can compute one.
      const lag = group?.lag;
      const backlog = typeof lag === "number" || (typeof lag === "string" && lag !== "") ? Number(lag) : Math.max(0, length - pending);
      return {
        type: fn.type,
        stream: keys.stream,
        backlog: group ? backlog : length,
        pending,
        oldestPendingAgeMs: oldest === undefined ? 0 : Math.max(0, now - oldest),
        consumers: Number(group?.consumers ?? 0),
        workersAlive: await countLeases(redis, keys.consumerLeasePattern),
        deadLetters: Number(value(3) ?? 0),
        delayed: Number(value(4) ?? 0),
      };
    }),
  );
  return { at: new Date(now).toISOString(), functions };
}

function flatToObject(flat: unknown[]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) object[String(flat[i])] = flat[i + 1];
  return object;
}

async function countLeases(redis: Redis, pattern: string): Promise<number> {
  let cursor = "0";
  let count = 0;
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    cursor = next;
    count += keys.length;
  } while (cursor !== "0");
  return count;
}
