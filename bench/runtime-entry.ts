/**
 * What the benchmark runs of this project, bundled by esbuild like the CLI (bin/backend-workers.mjs)
 * so it measures the code users run, not the TypeScript loader's output (tsx adds a name-keeping
 * wrapper to every closure, measurable on a per-job path).
 */
export { startWorkers } from "../shared/composition/worker-runtime.ts";
export { Publisher } from "../shared/publisher/publisher.ts";
export { loadConfig } from "../shared/config.ts";
export { createLogger } from "../shared/logging/logger.ts";
export { MetricsRecorder } from "../shared/metrics/metrics-recorder.ts";
