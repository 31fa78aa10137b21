/**
 * `npm run bench`: this project vs BullMQ vs a bare ioredis consumer-group loop, on one private
 * redis-server started here. Several rounds, systems interleaved, medians with min–max; writes
 * bench/results/latest.json and prints a markdown table. Options: --rounds N, --quick.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { Queue, Worker as BullWorker } from "bullmq";
import { build } from "esbuild";
import { buildFunctions } from "../shared/functions/build-functions.ts";
import { redisStreamEventSchema, toFunctionDefinition } from "../shared/functions/function-definition.ts";
import { type FunctionManifest } from "../shared/functions/manifest.ts";
import { jobKeys } from "../shared/redis/keys.ts";
import { startRedisServer } from "../test/helpers/redis-server.ts";
import { spawnCli } from "../test/helpers/cli.ts";
import { bare, benchPayload, connect } from "./systems.ts";
import { formatSummary, percentile, summarize, type Summary } from "./stats.ts";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const rounds = Number(args[args.indexOf("--rounds") + 1]) || (quick ? 1 : 3);
const only = args.includes("--only") ? new Set((args[args.indexOf("--only") + 1] ?? "").split(",")) : undefined;
const wanted = (figure: string) => !only || only.has(figure);
const N = quick ? 20_000 : 100_000;
const BULL_N = quick ? 5_000 : 20_000;
const MEMORY_N = quick ? 100_000 : 1_000_000;
const WORKER_COUNTS = [1, 10, 100];
const BATCH = 100;

// This project's code as users run it: an esbuild bundle (like the CLI's), not tsx's output.
const runtimeBundle = join(import.meta.dirname, "..", "dist", "bench-runtime.mjs"); // inside the repo, so node_modules resolve
await build({ entryPoints: [join(import.meta.dirname, "runtime-entry.ts")], outfile: runtimeBundle, bundle: true, platform: "node", target: "node20", format: "esm", packages: "external", logLevel: "error" });
const { startWorkers, Publisher, loadConfig, createLogger, MetricsRecorder } = (await import(runtimeBundle)) as typeof import("./runtime-entry.ts");

const server = await startRedisServer({ appendonly: false });
const url = server.url;
const admin = connect(url);
const distDir = mkdtempSync(join(tmpdir(), "bw-bench-dist-"));
const definition = toFunctionDefinition("noop", 60, 256, redisStreamEventSchema.parse({ batchSize: BATCH, maximumRetryAttempts: 3 }));
const { manifest } = await buildFunctions({ definitions: [definition], functionsDir: join(import.meta.dirname, "functions"), outDir: distDir });
const builtManifest: FunctionManifest = JSON.parse(readFileSync(join(distDir, "manifest.json"), "utf8"));
builtManifest.functions = builtManifest.functions.map((fn) => ({ ...fn, bundle: join(distDir, fn.bundle), schemaBundle: join(distDir, fn.schemaBundle) }));
const varDir = mkdtempSync(join(tmpdir(), "bw-bench-var-"));
const silent = createLogger({ level: "silent" });
const sink = globalThis as { __bwBenchLatencies?: number[] };

const bwConfig = (workers: number, env: Record<string, string> = {}) => loadConfig({ REDIS_URL: url, BACKEND_WORKERS: String(workers), VAR_DIR: varDir, LOG_LEVEL: "silent", ...env });
const flush = () => admin.flushall();
const waitUntil = async (check: () => boolean | Promise<boolean>) => {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 2));
};

// ---- publish ---------------------------------------------------------------------------------
async function publishBw(): Promise<number> {
  await flush();
  const publisher = new Publisher({ redis: admin, manifest: builtManifest, config: bwConfig(1) });
  const started = performance.now();
  for (let start = 0; start < N; start += BATCH) await publisher.publishBatch("noop", Array.from({ length: BATCH }, (_, i) => benchPayload(start + i)));
  return N / ((performance.now() - started) / 1000);
}
async function publishBare(): Promise<number> {
  await flush();
  const started = performance.now();
  await bare.publish(admin, "bare:jobs", N, BATCH);
  return N / ((performance.now() - started) / 1000);
}
async function publishBull(): Promise<number> {
  await flush();
  const queue = new Queue("bench", { connection: connect(url) });
  const started = performance.now();
  for (let start = 0; start < BULL_N; start += BATCH) await queue.addBulk(Array.from({ length: BATCH }, (_, i) => ({ name: "noop", data: benchPayload(start + i), opts: { removeOnComplete: true } })));
  const rate = BULL_N / ((performance.now() - started) / 1000);
  await queue.close();
  return rate;
}

// ---- drain -----------------------------------------------------------------------------------
async function drainBw(workers: number, env: Record<string, string> = {}, n = N, withMetrics = false): Promise<number> {
  await flush();
  const config = bwConfig(workers, env);
  const publisher = new Publisher({ redis: admin, manifest: builtManifest, config });
  for (let start = 0; start < n; start += 1000) await publisher.publishBatch("noop", Array.from({ length: Math.min(1000, n - start) }, (_, i) => benchPayload(start + i)));
  let done = 0;
  const logger = env.LOG_LEVEL ? createLogger({ level: config.logLevel, file: join(varDir, "bench.log") }) : silent;
  const started = performance.now();
  const metricsRedis = withMetrics ? connect(url) : undefined;
  const metrics = metricsRedis ? new MetricsRecorder({ redis: metricsRedis, keyPrefix: config.keyPrefix }) : undefined;
  const runtime = await startWorkers({
    config,
    logger,
    manifest: builtManifest,
    redisUrl: url,
    onBatch: (outcome) => {
      done += outcome.done;
      metrics?.recordBatch(outcome);
    },
  });
  await waitUntil(() => done >= n);
  const rate = n / ((performance.now() - started) / 1000);
  await runtime.stop(1000);
  await metrics?.close();
  metricsRedis?.disconnect();
  return rate;
}
async function drainBare(workers: number): Promise<number> {
  await flush();
  await bare.publish(admin, "bare:jobs", N, 1000);
  let done = 0;
  const started = performance.now();
  const consumer = bare.consume(url, "bare:jobs", workers, BATCH, () => done++);
  await waitUntil(() => done >= N);
  const rate = N / ((performance.now() - started) / 1000);
  await consumer.stop();
  return rate;
}
async function drainBull(workers: number): Promise<number> {
  await flush();
  const queue = new Queue("bench", { connection: connect(url) });
  for (let start = 0; start < BULL_N; start += 1000) await queue.addBulk(Array.from({ length: 1000 }, (_, i) => ({ name: "noop", data: benchPayload(start + i), opts: { removeOnComplete: true } })));
  let done = 0;
  const started = performance.now();
  const worker = new BullWorker("bench", async () => undefined, { connection: connect(url), concurrency: workers });
  worker.on("completed", () => done++);
  await waitUntil(() => done >= BULL_N);
  const rate = BULL_N / ((performance.now() - started) / 1000);
  await worker.close();
  await queue.close();
  return rate;
}

// ---- latency: publish -> function start at 1,000 jobs/s for 5 s -----------------------------
// The publisher runs in its own process (as the web tier would), so its pacing loop does not share
// an event loop with the workers; both stamp times with the machine's clock in fractional ms.
const LATENCY_MS = quick ? 2000 : 5000;
const epochNow = () => performance.timeOrigin + performance.now();
const manifestFile = join(distDir, "manifest.abs.json");
writeFileSync(manifestFile, JSON.stringify(builtManifest));
async function publishFromChild(system: "bw" | "bare" | "bullmq"): Promise<void> {
  const { spawn } = await import("node:child_process");
  const child = spawn(process.execPath, [join(import.meta.dirname, "..", "bin", "run-ts.mjs"), join(import.meta.dirname, "latency-publisher.ts"), system, url, String(LATENCY_MS), manifestFile, runtimeBundle], { stdio: ["ignore", "pipe", "inherit"] });
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  if (code !== 0) throw new Error(`latency publisher (${system}) exited with ${code}`);
}
async function latencyBw(): Promise<number[]> {
  await flush();
  const config = bwConfig(10);
  const runtime = await startWorkers({ config, logger: silent, manifest: builtManifest, redisUrl: url });
  sink.__bwBenchLatencies = [];
  await publishFromChild("bw");
  await waitUntil(() => (sink.__bwBenchLatencies?.length ?? 0) >= LATENCY_MS + 1);
  const samples = sink.__bwBenchLatencies;
  sink.__bwBenchLatencies = undefined;
  await runtime.stop(1000);
  return samples;
}
async function latencyBare(): Promise<number[]> {
  await flush();
  const samples: number[] = [];
  const consumer = bare.consume(url, "bare:jobs", 10, BATCH, (payload) => samples.push(epochNow() - (JSON.parse(payload) as { t: number }).t));
  await publishFromChild("bare");
  await waitUntil(() => samples.length >= LATENCY_MS + 1);
  await consumer.stop();
  return samples;
}
async function latencyBull(): Promise<number[]> {
  await flush();
  const samples: number[] = [];
  const worker = new BullWorker("bench", async (job) => void samples.push(epochNow() - (job.data as { t: number }).t), { connection: connect(url), concurrency: 10 });
  await worker.waitUntilReady();
  await publishFromChild("bullmq");
  await waitUntil(() => samples.length >= LATENCY_MS + 1);
  await worker.close();
  return samples;
}

// ---- memory: drain 1,000,000 jobs in a worker process ---------------------------------------
async function memory(workers: number): Promise<{ peakRssMb: number; rate: number }> {
  await flush();
  const config = bwConfig(10);
  const publisher = new Publisher({ redis: admin, manifest: builtManifest, config });
  for (let start = 0; start < MEMORY_N; start += 1000) await publisher.publishBatch("noop", Array.from({ length: 1000 }, (_, i) => benchPayload(start + i)));
  const dist = mkdtempSync(join(tmpdir(), "bw-bench-mem-"));
  writeFileSync(join(dist, "manifest.json"), JSON.stringify(builtManifest));
  const started = performance.now();
  const nodeOptions = args.includes("--node-options") ? args[args.indexOf("--node-options") + 1] ?? "" : "";
  // Started the way a user starts it: the bin script itself, so its shebang's V8 flags apply.
  const worker = spawnCli(["worker"], { REDIS_URL: url, DIST_DIR: dist, VAR_DIR: varDir, BACKEND_WORKERS: String(workers), LOG_LEVEL: "warn", NODE_OPTIONS: nodeOptions }, { viaShebang: true });
  let peak = 0;
  const sampler = setInterval(() => {
    try {
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${worker.child.pid}/status`, "utf8"))?.[1] ?? 0);
      peak = Math.max(peak, kb / 1024);
    } catch {
      // the process is gone
    }
  }, 50);
  const stream = jobKeys(config.keyPrefix, "noop").stream;
  let exited = false;
  void worker.exited.then(() => (exited = true));
  await waitUntil(async () => exited || (await admin.xlen(stream)) === 0);
  if (exited) throw new Error(`the worker process exited early:\n${worker.output()}`);
  const rate = MEMORY_N / ((performance.now() - started) / 1000);
  clearInterval(sampler);
  worker.child.kill("SIGTERM");
  await worker.exited;
  return { peakRssMb: peak, rate };
}

// ---- run -------------------------------------------------------------------------------------
type Rounds = Record<string, number[]>;
const results: Rounds = {};
const add = (key: string, value: number) => (results[key] ??= []).push(value);
const log = (line: string) => process.stderr.write(line + "\n");

for (let round = 1; round <= rounds; round++) {
  log(`round ${round}/${rounds}`);
  if (wanted("publish")) {
    add("publish.bw", await publishBw());
    add("publish.bare", await publishBare());
    add("publish.bullmq", await publishBull());
  }
  for (const workers of wanted("drain") ? WORKER_COUNTS : []) {
    add(`drain.${workers}.bare`, await drainBare(workers));
    add(`drain.${workers}.bw`, await drainBw(workers));
    add(`drain.${workers}.bullmq`, await drainBull(workers));
  }
  for (const [name, run] of wanted("latency") ? ([["bare", latencyBare], ["bw", latencyBw], ["bullmq", latencyBull]] as const) : []) {
    const samples = await run();
    add(`latency.p50.${name}`, percentile(samples, 50));
    add(`latency.p99.${name}`, percentile(samples, 99));
  }
  if (wanted("realistic")) {
    add("realistic.plain", await drainBw(10));
    add("realistic.metrics", await drainBw(10, {}, N, true));
    add("realistic.log-info", await drainBw(10, { LOG_LEVEL: "info" }));
    add("realistic.both", await drainBw(10, { LOG_LEVEL: "info" }, N, true));
  }
}
if (wanted("memory")) {
  log("memory: draining " + MEMORY_N.toLocaleString("en-US") + " jobs in a worker process");
  // The default worker count (2) by default; --memory-workers 2,10 adds others (each ~1 min).
  const memoryWorkers = args.includes("--memory-workers") ? (args[args.indexOf("--memory-workers") + 1] ?? "2").split(",").map(Number) : [2];
  for (const workers of memoryWorkers) {
    const mem = await memory(workers);
    add(`memory.${workers}.peakRssMb`, mem.peakRssMb);
    add(`memory.${workers}.rate`, mem.rate);
  }
}

const summary: Record<string, Summary> = Object.fromEntries(Object.entries(results).map(([key, values]) => [key, summarize(values)]));
const s = (key: string) => summary[key] ?? { median: NaN, min: NaN, max: NaN };
const ratio = (a: string, b: string) => (s(a).median / s(b).median).toFixed(2);
const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, redis-server ${(await admin.info("server")).match(/redis_version:(\S+)/)?.[1]}`;

const lines = [
  `Machine: ${machine}. ${rounds} round(s), median (min–max). Drain sizes: ${N.toLocaleString("en-US")} jobs (BullMQ ${BULL_N.toLocaleString("en-US")}); batch ${BATCH}.`,
  "",
  "| figure | backend-workers | bare ioredis loop | BullMQ | bw / bare | bw / BullMQ |",
  "|---|---|---|---|---|---|",
  `| publish, jobs/s (batches of ${BATCH}) | ${formatSummary(s("publish.bw"))} | ${formatSummary(s("publish.bare"))} | ${formatSummary(s("publish.bullmq"))} | ${ratio("publish.bw", "publish.bare")} | ${ratio("publish.bw", "publish.bullmq")} |`,
  ...WORKER_COUNTS.map((w) => `| drain, jobs/s, ${w} worker(s) | ${formatSummary(s(`drain.${w}.bw`))} | ${formatSummary(s(`drain.${w}.bare`))} | ${formatSummary(s(`drain.${w}.bullmq`))} | ${ratio(`drain.${w}.bw`, `drain.${w}.bare`)} | ${ratio(`drain.${w}.bw`, `drain.${w}.bullmq`)} |`),
  `| latency p50, ms (1,000 jobs/s, 10 workers) | ${formatSummary(s("latency.p50.bw"), 3)} | ${formatSummary(s("latency.p50.bare"), 3)} | ${formatSummary(s("latency.p50.bullmq"), 3)} | ${ratio("latency.p50.bw", "latency.p50.bare")} | ${ratio("latency.p50.bw", "latency.p50.bullmq")} |`,
  `| latency p99, ms | ${formatSummary(s("latency.p99.bw"), 3)} | ${formatSummary(s("latency.p99.bare"), 3)} | ${formatSummary(s("latency.p99.bullmq"), 3)} | ${ratio("latency.p99.bw", "latency.p99.bare")} | ${ratio("latency.p99.bw", "latency.p99.bullmq")} |`,
  "",
  `| realistic (10 workers) | jobs/s | vs plain |`,
  "|---|---|---|",
  `| plain (no log, no metrics) | ${formatSummary(s("realistic.plain"))} | 1.00 |`,
  `| metrics on (MetricsRecorder, flushed to Redis every second) | ${formatSummary(s("realistic.metrics"))} | ${ratio("realistic.metrics", "realistic.plain")} |`,
  `| LOG_LEVEL=info to a file (2 lines per job) | ${formatSummary(s("realistic.log-info"))} | ${ratio("realistic.log-info", "realistic.plain")} |`,
  `| both | ${formatSummary(s("realistic.both"))} | ${ratio("realistic.both", "realistic.plain")} |`,
  "",
  ...Object.keys(summary).filter((key) => /^memory\.\d+\.peakRssMb$/.test(key)).map((key) => Number(key.split(".")[1])).map((w) => `Memory: a worker process (\`worker\`, BACKEND_WORKERS=${w}${w === 2 ? ", the default" : ""}) draining ${MEMORY_N.toLocaleString("en-US")} jobs: peak RSS ${s(`memory.${w}.peakRssMb`).median.toFixed(0)} MB, ${s(`memory.${w}.rate`).median.toFixed(0)} jobs/s.`),
];
const resultsDir = join(import.meta.dirname, "results");
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, "latest.json"), JSON.stringify({ machine, rounds, n: N, bullN: BULL_N, results, summary }, null, 2));
process.stdout.write(lines.join("\n") + "\n");
admin.disconnect();
await server.stop();
process.exit(0);
