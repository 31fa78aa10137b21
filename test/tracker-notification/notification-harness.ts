import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Redis } from "ioredis";
import type { Config } from "../../shared/config.ts";
import { startWorkers, type WorkerRuntime } from "../../shared/composition/worker-runtime.ts";
import { buildFunctions } from "../../shared/functions/build-functions.ts";
import type { BuiltFunction, FunctionManifest } from "../../shared/functions/manifest.ts";
import { loadManifest } from "../../shared/functions/manifest.ts";
import { readServerlessFunctions } from "../../shared/functions/serverless-config.ts";
import { Publisher } from "../../shared/publisher/publisher.ts";
import { jobKeys, type JobKeys } from "../../shared/redis/keys.ts";
import { testConfig, testLogger, testRedis } from "../helpers/test-env.ts";
import { waitFor } from "../helpers/wait-for.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const TYPE = "tracker-notification";

let built: Promise<FunctionManifest> | undefined;

/**
 * Bundles the real function with its serverless.yml settings into a temp dir, once per test file
 * (esbuild, as `backend-workers build` does), and returns the manifest the listener reads.
 */
export function buildTrackerNotification(): Promise<FunctionManifest> {
  built ??= (async () => {
    const definitions = (await readServerlessFunctions(join(ROOT, "serverless.yml"))).filter((definition) => definition.type === TYPE);
    const outDir = mkdtempSync(join(tmpdir(), "bw-tn-build-"));
    await buildFunctions({ definitions, functionsDir: join(ROOT, "functions"), outDir, minify: false });
    return loadManifest(outDir);
  })();
  return built;
}

/** Options of {@link startHarness}. */
export interface HarnessOptions {
  redisUrl: string;
  /** SMTP_URL of the workers (the test's SMTP peer). */
  smtpUrl: string;
  /** Settings that replace serverless.yml's, e.g. a fast backoff so retries happen in milliseconds. */
  settings?: Partial<BuiltFunction>;
}

/** Workers running the real bundle on a private key prefix, and what a test needs to watch them. */
export interface Harness {
  config: Config;
  keys: JobKeys;
  /** A plain client for assertions. */
  redis: Redis;
  runtime: WorkerRuntime;
  publish(payload: unknown): Promise<string>;
  /** Waits until no job is queued, delayed or running: each one ended done or dead-lettered. */
  settled(timeoutMs?: number): Promise<void>;
  /** The delivery markers the function wrote, key (without prefix) -> value. */
  markers(): Promise<Map<string, string>>;
  /** What the workers logged so far (JSON lines, level info and above). */
  logLines(): Record<string, unknown>[];
  /** The function's "tracker notification summary" lines, one per finished attempt. */
  summaries(): Record<string, unknown>[];
  stop(): Promise<void>;
}

/**
 * Starts the workers on the real bundle with the listener of shared/ (so retries go through the
 * delayed set and back, with the same job id and a higher attempt), a publisher, and the
 * function's serverless.yml settings overridden by `settings` (default: 3 retries, 20-200 ms backoff).
 */
export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const built = await buildTrackerNotification();
  const settings: Partial<BuiltFunction> = { maximumRetryAttempts: 3, backoff: { baseMs: 20, maxMs: 200 }, ...options.settings };
  const manifest: FunctionManifest = { ...built, functions: built.functions.map((fn) => ({ ...fn, ...settings })) };
  // info: tests read the function's own summary line per attempt from the log file.
  const config = testConfig(options.redisUrl, { SMTP_URL: options.smtpUrl, LOG_LEVEL: "info" });
  const redis = testRedis(options.redisUrl);
  const runtime = await startWorkers({ config, logger: testLogger(config), manifest, redisUrl: options.redisUrl });
  const publisher = new Publisher({ redis, manifest, config });
  const keys = jobKeys(config.keyPrefix, TYPE);
  const kvPrefix = `${config.keyPrefix}:{${TYPE}}:kv:`;
  const logLines = (): Record<string, unknown>[] => {
    let text = "";
    try {
      text = readFileSync(config.logFile, "utf8");
    } catch {
      return [];
    }
    // The logger writes asynchronously: the last line may still be partial, so it is skipped.
    return text.split("\n").flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  };
  return {
    config,
    keys,
    redis,
    runtime,
    publish: async (payload) => (await publisher.publish(TYPE, payload)).jobId,
    async settled(timeoutMs = 30_000) {
      await waitFor(
        async () => {
          const [queued, delayed, pending] = await Promise.all([redis.xlen(keys.stream), redis.zcard(keys.delayed), redis.xpending(keys.stream, "workers") as Promise<[number]>]);
          return queued === 0 && delayed === 0 && pending[0] === 0;
        },
        { timeoutMs, message: "jobs did not settle" },
      );
    },
    async markers() {
      const markers = new Map<string, string>();
      let cursor = "0";
      do {
        const [next, keysFound] = await redis.scan(cursor, "MATCH", `${kvPrefix}*`, "COUNT", 1000);
        cursor = next;
        if (keysFound.length > 0) {
          const values = await redis.mget(...keysFound);
          keysFound.forEach((key, index) => markers.set(key.slice(kvPrefix.length), values[index] ?? ""));
        }
      } while (cursor !== "0");
      return markers;
    },
    logLines,
    summaries: () => logLines().filter((line) => line.msg === "tracker notification summary"),
    async stop() {
      await runtime.stop(2000);
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
