import { defineJobHandler } from "../../../shared/handler/define-job-handler.ts";
import { schema } from "./schema.ts";

/** Where the benchmark collects publish -> start latencies (same process, same clock). */
const sink = globalThis as { __bwBenchLatencies?: number[] };

/** A no-op async function: the benchmark measures the system around it. */
export const handler = defineJobHandler({
  type: "noop",
  schema,
  async handle(payload) {
    sink.__bwBenchLatencies?.push(performance.now() - payload.t);
  },
});
