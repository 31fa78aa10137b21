/** Publishes 100,000 jobs in batches of 100 with this project and with a bare XADD pipeline; prints rate and client CPU per job. */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../shared/config.ts";
import { buildFunctions } from "../shared/functions/build-functions.ts";
import { redisStreamEventSchema, toFunctionDefinition } from "../shared/functions/function-definition.ts";
import { Publisher } from "../shared/publisher/publisher.ts";
import { startRedisServer } from "../test/helpers/redis-server.ts";
import { bare, benchPayload, connect } from "./systems.ts";

const N = 100_000;
const server = await startRedisServer({ appendonly: false });
const redis = connect(server.url);
const dir = mkdtempSync(join(tmpdir(), "bw-pub-"));
await buildFunctions({ definitions: [toFunctionDefinition("noop", 60, 256, redisStreamEventSchema.parse({}))], functionsDir: join(import.meta.dirname, "functions"), outDir: dir });
const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
manifest.functions = manifest.functions.map((fn: { bundle: string; schemaBundle: string }) => ({ ...fn, bundle: join(dir, fn.bundle), schemaBundle: join(dir, fn.schemaBundle) }));
const publisher = new Publisher({ redis, manifest, config: loadConfig({ REDIS_URL: server.url, VAR_DIR: dir }) });
const measure = async (name: string, run: () => Promise<void>) => {
  await redis.flushall();
  const cpu = process.cpuUsage();
  const t = performance.now();
  await run();
  const used = process.cpuUsage(cpu);
  console.log(name.padEnd(6), Math.round(N / ((performance.now() - t) / 1000)), "jobs/s;", ((used.user + used.system) / N).toFixed(2), "µs client CPU/job");
};
for (let round = 0; round < 3; round++) {
  await measure("bare", () => bare.publish(redis, "bare", N, 100));
  await measure("bw", async () => {
    for (let s = 0; s < N; s += 100) await publisher.publishBatch("noop", Array.from({ length: 100 }, (_, i) => benchPayload(s + i)));
  });
}
redis.disconnect();
await server.stop();
