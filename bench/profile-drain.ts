/** Drains 100,000 no-op jobs with N workers (argv[2]) and prints the rates. --profile writes drain.cpuprofile, --no-minify keeps the function bundle readable, --log-info logs at info to a file, --batch N sets the batch size (default 100). */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWorkers } from "../shared/composition/worker-runtime.ts";
import { loadConfig } from "../shared/config.ts";
import { buildFunctions } from "../shared/functions/build-functions.ts";
import { redisStreamEventSchema, toFunctionDefinition } from "../shared/functions/function-definition.ts";
import { createLogger } from "../shared/logging/logger.ts";
import { Publisher } from "../shared/publisher/publisher.ts";
import { startRedisServer } from "../test/helpers/redis-server.ts";
import { benchPayload, connect, redisCpu } from "./systems.ts";

const workers = Number(process.argv[2] ?? 10);
const batchSize = process.argv.includes("--batch") ? Number(process.argv[process.argv.indexOf("--batch") + 1]) : 100;
const N = batchSize < 10 ? 20_000 : 100_000;
const server = await startRedisServer({ appendonly: false });
const admin = connect(server.url);
const distDir = mkdtempSync(join(tmpdir(), "bw-prof-"));
const def = toFunctionDefinition("noop", 60, 256, redisStreamEventSchema.parse({ batchSize }));
await buildFunctions({ definitions: [def], functionsDir: join(import.meta.dirname, "functions"), outDir: distDir, minify: !process.argv.includes("--no-minify") });
const manifest = JSON.parse(readFileSync(join(distDir, "manifest.json"), "utf8"));
manifest.functions = manifest.functions.map((fn: any) => ({ ...fn, bundle: join(distDir, fn.bundle), schemaBundle: join(distDir, fn.schemaBundle) }));
const config = loadConfig({ REDIS_URL: server.url, BACKEND_WORKERS: String(workers), VAR_DIR: distDir, LOG_LEVEL: "silent" });
const publisher = new Publisher({ redis: admin, manifest, config });
let t = performance.now();
for (let s = 0; s < N; s += 100) await publisher.publishBatch("noop", Array.from({ length: 100 }, (_, i) => benchPayload(s + i)));
console.log("publish", Math.round(N / ((performance.now() - t) / 1000)));
let done = 0;
t = performance.now();
const profile = process.argv.includes("--profile") ? await startProfile() : undefined;
const redisCpu0 = await redisCpu(admin);
const cpu0 = process.cpuUsage();
// --log-info: as users run it by default (two pino lines per job to a file).
const logger = process.argv.includes("--log-info") ? createLogger({ level: "info", file: join(distDir, "drain.log") }) : createLogger({ level: "silent" });
const rt = await startWorkers({ config, logger, manifest, redisUrl: server.url, onBatch: (o) => (done += o.done) });
while (done < N) await new Promise((r) => setTimeout(r, 2));
const wall = performance.now() - t;
const cpu = process.cpuUsage(cpu0);
console.log("drain", workers, Math.round(N / (wall / 1000)), "jobs/s; worker CPU", Math.round((cpu.user + cpu.system) / 1000), "ms of", Math.round(wall), "ms wall; Redis CPU", Math.round((await redisCpu(admin)) - redisCpu0), "ms");
await profile?.();
await rt.stop(100);
admin.disconnect();
await server.stop();
process.exit(0);

/** Profiles only the drain (not the publishing before it) with the inspector; writes drain.cpuprofile. */
async function startProfile(): Promise<() => Promise<void>> {
  const { Session } = await import("node:inspector/promises");
  const { writeFileSync } = await import("node:fs");
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  return async () => {
    const { profile } = await session.post("Profiler.stop");
    writeFileSync("drain.cpuprofile", JSON.stringify(profile));
    session.disconnect();
  };
}
