import { Redis } from "ioredis";
import { redactUrl } from "../config.ts";
import { errorMessage } from "../errors.ts";
import type { FunctionManifest } from "../functions/manifest.ts";
import { isLoopbackHost } from "../http/server.ts";
import { GROUP, jobKeys } from "../redis/keys.ts";
import type { DoctorCheck } from "./doctor-check.ts";
import { readRedisSettings, type RedisSettings } from "./redis-settings.ts";

/** Options of {@link runDoctor}. */
export interface DoctorOptions {
  redisUrl: string;
  manifest: FunctionManifest;
  keyPrefix: string;
  /** PINGs timed for the latency check. */
  pings?: number;
}

/** Shortest password `doctor` accepts (Tuleap's Redis guidance). */
export const MIN_PASSWORD_LENGTH = 30;
/** Median PING round trip from which latency is a warning: a job costs several round trips. */
export const LATENCY_WARN_MS = 10;
/** Median PING round trip from which latency fails the check: Redis is too far or overloaded. */
export const LATENCY_FAIL_MS = 100;

/**
 * Checks the Redis this system is configured for, one {@link DoctorCheck} per line: reachable,
 * TLS for non-loopback hosts, a password of at least 30 characters that Redis actually requires,
 * the version (XAUTOCLAIM needs 6.2, group lag 7.0), round-trip latency, `appendonly yes` (a
 * restart must not lose queued jobs), `maxmemory-policy noeviction` (Redis must refuse writes,
 * never drop job streams), and every function's consumer group. One-shot connections without
 * retries, so an unreachable Redis is reported at once instead of waited for.
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorCheck[]> {
  const { redisUrl } = options;
  const checks: DoctorCheck[] = [tlsCheck(redisUrl)];
  const redis = oneShotConnection(redisUrl);
  try {
    try {
      await redis.connect();
      await redis.ping();
    } catch (error) {
      checks.unshift({ name: "reachable", status: "fail", detail: `cannot use ${redactUrl(redisUrl)}: ${errorMessage(error)}`, fix: "start Redis, or correct REDIS_URL (host, port, password)" });
      return checks;
    }
    checks.unshift({ name: "reachable", status: "ok", detail: redactUrl(redisUrl) });
    checks.push(await passwordCheck(redisUrl));
    const settings = await readRedisSettings(redis);
    checks.push(versionCheck(settings), await latencyCheck(redis, options.pings ?? 20), configSourceCheck(settings), appendonlyCheck(settings), evictionCheck(settings));
    checks.push(...(await groupChecks(redis, options)));
  } finally {
    redis.disconnect();
  }
  return checks;
}

function oneShotConnection(url: string): Redis {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false, connectTimeout: 5_000, commandTimeout: 5_000 });
  redis.on("error", () => undefined);
  return redis;
}

/** TLS is required as soon as the traffic leaves the machine. */
export function tlsCheck(redisUrl: string): DoctorCheck {
  const url = new URL(redisUrl);
  if (url.protocol === "rediss:") return { name: "tls", status: "ok", detail: "rediss:// (TLS)" };
  if (isLoopbackHost(url.hostname)) return { name: "tls", status: "ok", detail: `not used; ${url.hostname} is loopback, traffic stays on this machine` };
  return { name: "tls", status: "fail", detail: `redis:// to ${url.hostname}: the password and every job cross the network in clear text`, fix: "enable TLS on Redis (tls-port) and use a rediss:// URL" };
}

async function passwordCheck(redisUrl: string): Promise<DoctorCheck> {
  const url = new URL(redisUrl);
  const password = decodeURIComponent(url.password);
  url.username = "";
  url.password = "";
  const anonymous = oneShotConnection(url.toString());
  let open = false;
  try {
    await anonymous.connect();
    open = (await anonymous.ping()) === "PONG";
  } catch {
    open = false; // NOAUTH: a password is required
  } finally {
    anonymous.disconnect();
  }
  const fix = `set "requirepass" to at least ${MIN_PASSWORD_LENGTH} random characters (e.g. openssl rand -hex 32) and put it in REDIS_URL as redis://:<password>@host:port`;
  if (open) return { name: "password", status: "fail", detail: "Redis accepts commands without a password", fix };
  if (password.length < MIN_PASSWORD_LENGTH) return { name: "password", status: "fail", detail: `required, but only ${password.length} characters long`, fix };
  return { name: "password", status: "ok", detail: `required, ${password.length} characters` };
}

function versionCheck(settings: RedisSettings): DoctorCheck {
  if (!settings.version) return { name: "version", status: "warn", detail: "unknown (INFO is not available)", fix: "make sure the server runs Redis 7.0 or later" };
  const [major = 0, minor = 0] = settings.version.split(".").map(Number);
  const fix = "upgrade to Redis 7.0 or later";
  if (major < 6 || (major === 6 && minor < 2)) return { name: "version", status: "fail", detail: `${settings.version}: XAUTOCLAIM (taking over a dead worker's jobs) needs 6.2`, fix };
  if (major < 7) return { name: "version", status: "warn", detail: `${settings.version}: consumer group lag (the backlog gauge) needs 7.0; estimated meanwhile`, fix };
  return { name: "version", status: "ok", detail: settings.version };
}

async function latencyCheck(redis: Redis, pings: number): Promise<DoctorCheck> {
  const times: number[] = [];
  for (let i = 0; i < pings; i++) {
    const started = performance.now();
    await redis.ping();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? 0;
  const detail = `median ${median.toFixed(2)} ms, max ${(times.at(-1) ?? 0).toFixed(2)} ms over ${pings} PINGs`;
  const fix = "run Redis close to the workers (same host or data center), and check that it is not swapping or overloaded (redis-cli --latency)";
  if (median >= LATENCY_FAIL_MS) return { name: "latency", status: "fail", detail, fix };
  if (median >= LATENCY_WARN_MS) return { name: "latency", status: "warn", detail, fix };
  return { name: "latency", status: "ok", detail };
}

function configSourceCheck(settings: RedisSettings): DoctorCheck {
  if (settings.source === "config") return { name: "config", status: "ok", detail: "CONFIG GET available" };
  const why = settings.configError ? ` (${settings.configError.split("\n")[0]})` : "";
  if (settings.source === "info") return { name: "config", status: "info", detail: `CONFIG is disabled or renamed${why}; settings read from INFO instead` };
  return { name: "config", status: "warn", detail: `neither CONFIG nor INFO is available${why}; persistence and eviction cannot be checked`, fix: "check appendonly and maxmemory-policy in redis.conf by hand" };
}

function appendonlyCheck(settings: RedisSettings): DoctorCheck {
  if (settings.appendonly === undefined) return { name: "appendonly", status: "warn", detail: "unknown", fix: 'make sure redis.conf has "appendonly yes"' };
  if (!settings.appendonly) {
    return { name: "appendonly", status: "fail", detail: "no: a Redis restart loses every queued, pending and delayed job", fix: 'redis-cli CONFIG SET appendonly yes, then CONFIG REWRITE (or "appendonly yes" in redis.conf and restart)' };
  }
  const fsync = settings.appendfsync ? ` (appendfsync ${settings.appendfsync})` : "";
  if (settings.appendfsync === "no") return { name: "appendonly", status: "warn", detail: `yes${fsync}: the OS decides when jobs reach the disk`, fix: "CONFIG SET appendfsync everysec" };
  return { name: "appendonly", status: "ok", detail: `yes${fsync}` };
}

function evictionCheck(settings: RedisSettings): DoctorCheck {
  const policy = settings.maxmemoryPolicy;
  if (policy === undefined) return { name: "maxmemory-policy", status: "warn", detail: "unknown", fix: 'make sure redis.conf has "maxmemory-policy noeviction"' };
  if (policy !== "noeviction") {
    return { name: "maxmemory-policy", status: "fail", detail: `${policy}: when memory is full Redis deletes keys, job streams included`, fix: 'redis-cli CONFIG SET maxmemory-policy noeviction, then CONFIG REWRITE (or "maxmemory-policy noeviction" in redis.conf)' };
  }
  return { name: "maxmemory-policy", status: "ok", detail: "noeviction: a full Redis refuses new jobs instead of dropping old ones" };
}

async function groupChecks(redis: Redis, options: DoctorOptions): Promise<DoctorCheck[]> {
  const pipeline = redis.pipeline();
  for (const fn of options.manifest.functions) pipeline.xinfo("GROUPS", jobKeys(options.keyPrefix, fn.type).stream);
  const replies = (await pipeline.exec()) ?? [];
  return options.manifest.functions.map((fn, index): DoctorCheck => {
    const [error, groups] = replies[index] ?? [new Error("no reply"), undefined];
    const present = !error && ((groups as unknown[][] | undefined) ?? []).some((group) => group[0] === "name" && group[1] === GROUP);
    const stream = jobKeys(options.keyPrefix, fn.type).stream;
    return present
      ? { name: `group ${fn.type}`, status: "ok", detail: `"${GROUP}" on ${stream}` }
      : { name: `group ${fn.type}`, status: "fail", detail: `no consumer group "${GROUP}" on ${stream}`, fix: "start the workers once (backend-workers start or worker): they create the groups" };
  });
}
