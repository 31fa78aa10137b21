import { defineJobHandler } from "../../../shared/handler/define-job-handler.ts";
import { schema } from "./schema.ts";

/** Where the benchmark collects publish -> start latencies (same process, same clock). */
const sink = globalThis as { __bwBenchLatencies?: number[] };

/** A no-op async function: the benchmark measures the system around it. */
export const handler = defineJobHandler({
  type: "noop",
  schema,
  async handle(payload) {
    // payload.t: the publisher's clock in fractional epoch ms (it may be another process).
    sink.__bwBenchLatencies?.push(performance.timeOrigin + performance.now() - payload.t);
  },
});
