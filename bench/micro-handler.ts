/** Measures the per-record CPU cost of the handler contract alone (no Redis): CPU µs per record (CPU time, so a loaded machine skews it less). */
import { createRequire } from "node:module";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildFunctions } from "../shared/functions/build-functions.ts";
import { redisStreamEventSchema, toFunctionDefinition } from "../shared/functions/function-definition.ts";
import { createLogger } from "../shared/logging/logger.ts";
import { toStreamEvent } from "../shared/listener/to-stream-event.ts";
import { decodeEntry, envelopeFields, newEnvelope } from "../shared/job/envelope.ts";
import { benchPayload } from "./systems.ts";

const dir = mkdtempSync(join(tmpdir(), "bw-micro-"));
const def = toFunctionDefinition("noop", 60, 256, redisStreamEventSchema.parse({}));
await buildFunctions({ definitions: [def], functionsDir: join(import.meta.dirname, "functions"), outDir: dir });
const { handler } = createRequire(import.meta.url)(join(dir, "functions/noop/index.js"));
const host = { deps: {} as never, logger: createLogger({ level: "silent" }), timeoutMs: 60_000 };
const raw = Array.from({ length: 100 }, (_, i) => [`${1700000000000 + i}-0`, envelopeFields(newEnvelope("noop", JSON.stringify(benchPayload(i))))] as [string, string[]]);
const rounds = 3000;
for (const phase of ["decode+event", "handler", "all"]) {
  const c = process.cpuUsage();
  for (let r = 0; r < rounds; r++) {
    const jobs = raw.map(([id, flat]) => {
      const d = decodeEntry(id, flat);
      return { entryId: id, job: (d as unknown as { job: never }).job, attempt: 1 };
    });
    const event = toStreamEvent("s", jobs);
    if (phase !== "decode+event") await handler(event, { backendWorkers: host });
  }
  const used = process.cpuUsage(c);
  console.log(phase, ((used.user + used.system) / (rounds * 100)).toFixed(2), "µs CPU/record");
}
