/** The bare loop of bench/systems.ts draining 100,000 jobs with 10 workers, profiled: its CPU per job and bare.cpuprofile, to compare with profile-drain.ts. */
import { startRedisServer } from "../test/helpers/redis-server.ts";
import { bare, connect, redisCpu } from "./systems.ts";
const server = await startRedisServer({ appendonly: false });
const admin = connect(server.url);
const batchSize = process.argv.includes("--batch") ? Number(process.argv[process.argv.indexOf("--batch") + 1]) : 100;
const N = batchSize < 10 ? 20_000 : 100_000;
await bare.publish(admin, "bare:jobs", N, 1000);
let done = 0;
const { Session } = await import("node:inspector/promises");
const session = new Session(); session.connect(); await session.post("Profiler.enable"); await session.post("Profiler.start");
const t = performance.now(); const redisCpu0 = await redisCpu(admin); const c0 = process.cpuUsage();
const consumer = bare.consume(server.url, "bare:jobs", 10, batchSize, () => done++);
while (done < N) await new Promise((r) => setTimeout(r, 2));
const wall = performance.now() - t; const cpu = process.cpuUsage(c0);
console.log("bare", Math.round(N / (wall / 1000)), "jobs/s; CPU", Math.round((cpu.user + cpu.system) / 1000), "ms of", Math.round(wall), "ms wall; Redis CPU", Math.round((await redisCpu(admin)) - redisCpu0), "ms");
const { profile } = await session.post("Profiler.stop");
(await import("node:fs")).writeFileSync("bare.cpuprofile", JSON.stringify(profile));
await consumer.stop(); admin.disconnect(); await server.stop(); process.exit(0);
