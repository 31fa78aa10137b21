import type { Redis } from "ioredis";
import type { FunctionManifest } from "../functions/manifest.ts";
import { GROUP, jobKeys } from "../redis/keys.ts";

/** One line of the readiness answer. */
export interface ReadinessCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/** The readiness answer: ready when every check passes. */
export interface Readiness {
  ready: boolean;
  checks: ReadinessCheck[];
}

/**
 * Whether this process can do its job: Redis answers within `timeoutMs`, and every function's
 * consumer group exists (the workers create them when they start, so a missing group means no
 * worker ever served that function on this Redis). One pipelined round trip. Details name the
 * missing piece, never an internal error text.
 */
export async function checkReadiness(redis: Redis, manifest: FunctionManifest, prefix: string, timeoutMs = 2_000): Promise<Readiness> {
  const pipeline = redis.pipeline().ping();
  for (const fn of manifest.functions) pipeline.xinfo("GROUPS", jobKeys(prefix, fn.type).stream);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
  const replies = await Promise.race([pipeline.exec().catch(() => null), timeout]).finally(() => clearTimeout(timer));
  if (!replies || replies[0]?.[0]) return { ready: false, checks: [{ name: "redis", ok: false, detail: `Redis did not answer within ${timeoutMs} ms` }] };
  const checks: ReadinessCheck[] = [{ name: "redis", ok: true, detail: "Redis answers" }];
  manifest.functions.forEach((fn, index) => {
    const [error, groups] = replies[index + 1] ?? [new Error("no reply"), undefined];
    const present = !error && ((groups as unknown[][] | undefined) ?? []).some((group) => group[0] === "name" && group[1] === GROUP);
    checks.push({ name: `group ${fn.type}`, ok: present, detail: present ? `consumer group "${GROUP}" exists` : `consumer group "${GROUP}" missing: no worker has served ${fn.type} on this Redis yet` });
  });
  return { ready: checks.every((check) => check.ok), checks };
}
