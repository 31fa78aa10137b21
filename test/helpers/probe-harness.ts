import type { Redis } from "ioredis";
import { startWorkers, type WorkerRuntime } from "../../shared/composition/worker-runtime.ts";
import type { Config } from "../../shared/config.ts";
import type { BuiltFunction, FunctionManifest } from "../../shared/functions/manifest.ts";
import type { BatchOutcome } from "../../shared/listener/batch-runner.ts";
import { Publisher } from "../../shared/publisher/publisher.ts";
import { jobKeys, type JobKeys } from "../../shared/redis/keys.ts";
import { testManifest } from "./test-functions.ts";
import { testConfig, testLogger, testRedis } from "./test-env.ts";

/** A probe-function test bench: config, manifest, a client, a publisher and the kv readers. */
export interface ProbeHarness {
  config: Config;
  manifest: FunctionManifest;
  redis: Redis;
  publisher: Publisher;
  keys: JobKeys;
  outcomes: BatchOutcome[];
  /** Starts in-process workers on this harness's prefix. */
  start(redisUrl?: string): Promise<WorkerRuntime>;
  runs(id: string): Promise<number>;
  done(id: string): Promise<number>;
  attempt(id: string): Promise<number>;
  totals(): { done: number; retried: number; dead: number; timedOut: number };
  close(): Promise<void>;
}

/** Builds a {@link ProbeHarness} for `redisUrl`, with probe settings overridden by `overrides`. */
export async function probeHarness(redisUrl: string, overrides: Partial<BuiltFunction> = {}, env: Record<string, string> = {}): Promise<ProbeHarness> {
  const config = testConfig(redisUrl, env);
  const manifest = await testManifest(overrides);
  const redis = testRedis(redisUrl);
  const publisher = new Publisher({ redis, manifest, config });
  const outcomes: BatchOutcome[] = [];
  const runtimes: WorkerRuntime[] = [];
  const kv = (name: string) => async (id: string) => Number((await redis.get(`${config.keyPrefix}:{probe}:kv:${name}:${id}`)) ?? 0);
  return {
    config,
    manifest,
    redis,
    publisher,
    keys: jobKeys(config.keyPrefix, "probe"),
    outcomes,
    async start(url = redisUrl) {
      const runtime = await startWorkers({ config, logger: testLogger(config), manifest, redisUrl: url, onBatch: (outcome) => outcomes.push(outcome) });
      runtimes.push(runtime);
      return runtime;
    },
    runs: kv("runs"),
    done: kv("done"),
    attempt: kv("attempt"),
    totals() {
      const sum = { done: 0, retried: 0, dead: 0, timedOut: 0 };
      for (const outcome of outcomes) {
        sum.done += outcome.done;
        sum.retried += outcome.retried;
        sum.dead += outcome.dead;
        sum.timedOut += outcome.timedOut;
      }
      return sum;
    },
    async close() {
      await Promise.all(runtimes.map((runtime) => runtime.stop(1000)));
      redis.disconnect();
    },
  };
}
