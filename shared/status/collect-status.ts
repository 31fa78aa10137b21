import type { Redis } from "ioredis";
import type { FunctionManifest } from "../functions/manifest.ts";
import { GROUP, jobKeys } from "../redis/keys.ts";

/** The state of one function's queue, as `status --json` prints it. */
export interface FunctionStatus {
  type: string;
  stream: string;
  /** Jobs in the stream not yet delivered to any worker. */
  backlog: number;
  /** Age of the oldest job not yet delivered, in ms (0 when none): how far the workers lag behind. */
  oldestWaitingAgeMs: number;
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

type Reply = [Error | null, unknown][] | null;

/**
 * Reads every gauge of every function in two pipelined round trips, whatever the number of
 * functions and the size of the database: first the stream, group, pending summary, dead letters,
 * delayed set and consumers, then the first undelivered entry and one EXISTS over the consumers'
 * name leases. Every worker registers its consumer at start (XGROUP CREATECONSUMER), so an idle
 * worker is a consumer too, and a consumer whose lease expired is a dead worker.
 */
export async function collectStatus(redis: Redis, manifest: FunctionManifest, prefix: string, now = Date.now()): Promise<StatusDocument> {
  const functions = manifest.functions.map((fn) => ({ type: fn.type, keys: jobKeys(prefix, fn.type) }));
  const first = redis.pipeline();
  for (const { keys } of functions) {
    first.xlen(keys.stream).xinfo("GROUPS", keys.stream).xpending(keys.stream, GROUP).xlen(keys.dlq).zcard(keys.delayed).xinfo("CONSUMERS", keys.stream, GROUP);
  }
  const firstReplies = await first.exec();
  const PER_FUNCTION = 6;
  const reads = functions.map(({ type, keys }, index) => {
    const value = (i: number) => replyValue(firstReplies, index * PER_FUNCTION + i);
    const length = Number(requiredValue(firstReplies, index * PER_FUNCTION));
    const group = ((value(1) as unknown[][] | undefined) ?? []).map(flatToObject).find((g) => g.name === GROUP);
    const summary = value(2) as [number, string | null, string | null, unknown] | undefined;
    const consumers = ((value(5) as unknown[][] | undefined) ?? []).map((consumer) => String(flatToObject(consumer).name));
    return { type, keys, length, group, summary, consumers, deadLetters: Number(requiredValue(firstReplies, index * PER_FUNCTION + 3)), delayed: Number(requiredValue(firstReplies, index * PER_FUNCTION + 4)) };
  });

  const second = redis.pipeline();
  for (const { keys, group, consumers } of reads) {
    // Acked entries are deleted, so the first entry after the group's cursor is the oldest job no worker has seen.
    const cursor = typeof group?.["last-delivered-id"] === "string" ? `(${group["last-delivered-id"]}` : "-";
    second.xrange(keys.stream, cursor, "+", "COUNT", 1);
    if (consumers.length > 0) second.exists(...consumers.map((name) => keys.consumerLease(name)));
    else second.echo("0");
  }
  const secondReplies = await second.exec();

  return {
    at: new Date(now).toISOString(),
    functions: reads.map((read, index): FunctionStatus => {
      const pending = Number(read.summary?.[0] ?? 0);
      const oldestPendingId = pending > 0 ? read.summary?.[1] : undefined;
      const firstWaiting = (requiredValue(secondReplies, index * 2) as [string, string[]][] | undefined)?.[0]?.[0];
      // Redis's own `lag` is used when it can compute one; otherwise every stream entry is either pending or waiting.
      const lag = read.group?.lag;
      const backlog = typeof lag === "number" || (typeof lag === "string" && lag !== "") ? Number(lag) : Math.max(0, read.length - pending);
      return {
        type: read.type,
        stream: read.keys.stream,
        backlog: read.group ? backlog : read.length,
        oldestWaitingAgeMs: ageOfEntry(firstWaiting, now),
        pending,
        oldestPendingAgeMs: ageOfEntry(oldestPendingId ?? undefined, now),
        consumers: Number(read.group?.consumers ?? 0),
        workersAlive: Number(requiredValue(secondReplies, index * 2 + 1)),
        deadLetters: read.deadLetters,
        delayed: read.delayed,
      };
    }),
  };
}

/** A pipeline reply's value, or undefined when that command failed (e.g. no stream yet). */
function replyValue(replies: Reply, index: number): unknown {
  const reply = replies?.[index];
  return !reply || reply[0] ? undefined : reply[1];
}

/**
 * The value of a command that cannot fail on missing keys (XLEN, ZCARD, EXISTS): an error there
 * means Redis itself failed, and a status made of zeros would be a lie, so it is thrown.
 */
function requiredValue(replies: Reply, index: number): unknown {
  const reply = replies?.[index];
  if (!reply) throw new Error("Redis returned no reply");
  if (reply[0]) throw reply[0];
  return reply[1];
}

/** Stream ids start with the ms time the entry was added: the age needs no extra read. */
function ageOfEntry(id: string | undefined, now: number): number {
  if (!id) return 0;
  const addedAt = Number(id.split("-")[0]);
  return Number.isFinite(addedAt) ? Math.max(0, now - addedAt) : 0;
}

function flatToObject(flat: unknown[]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) object[String(flat[i])] = flat[i + 1];
  return object;
}
