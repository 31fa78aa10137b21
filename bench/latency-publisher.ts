/**
 * The latency benchmark's publisher, in its own process as a web tier would be: publishes one job
 * per millisecond for the given time with one system, stamping each with the current epoch time in
 * fractional ms (performance.timeOrigin + now(): the same clock in every process of this machine).
 * Usage: latency-publisher.ts <bw|bare|bullmq> <redis url> <duration ms> [manifest.json] [runtime bundle]
 */
import { readFileSync } from "node:fs";
import { Queue } from "bullmq";
import { benchPayload, connect } from "./systems.ts";

const [system, url, durationText, manifestFile, runtimeBundle] = process.argv.slice(2);
const duration = Number(durationText);
const now = () => performance.timeOrigin + performance.now();
const redis = connect(url as string);
let publishOne: (i: number) => Promise<unknown>;
let close = async () => undefined as unknown;
if (system === "bw") {
  const { Publisher, loadConfig } = (await import(runtimeBundle as string)) as typeof import("./runtime-entry.ts");
  const publisher = new Publisher({ redis, manifest: JSON.parse(readFileSync(manifestFile as string, "utf8")), config: loadConfig({ REDIS_URL: url, VAR_DIR: "/tmp" }) });
  publishOne = (i) => publisher.publish("noop", benchPayload(i, now()));
} else if (system === "bare") {
  publishOne = (i) => redis.xadd("bare:jobs", "*", "type", "noop", "payload", JSON.stringify(benchPayload(i, now())));
} else {
  const queue = new Queue("bench", { connection: redis });
  publishOne = (i) => queue.add("noop", benchPayload(i, now()), { removeOnComplete: true });
  close = () => queue.close();
}
// One job first, untimed by the pacing: it loads what a first publish loads (the schema bundle,
// BullMQ's scripts), which would otherwise stall the jobs stamped behind it.
await publishOne(-1);
// Paced by a 1 ms timer (not a busy loop, which would take a core from Redis and the workers).
const started = performance.now();
let sent = 0;
await new Promise<void>((resolve) => {
  const timer = setInterval(() => {
    const due = Math.min(duration, Math.floor(performance.now() - started));
    while (sent < due) void publishOne(sent++);
    if (sent >= duration) {
      clearInterval(timer);
      resolve();
    }
  }, 1);
});
await close();
redis.disconnect();
process.stdout.write(`${sent + 1}\n`);
